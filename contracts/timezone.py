"""Vietnam has one time zone (UTC+7, no daylight saving); business dates are read in it."""

from datetime import date, datetime, timedelta, timezone

VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")


def today_in_vietnam() -> date:
    """Today in Vietnam: what "in the future" and "deadline passed" are judged by."""
    return datetime.now(VIETNAM_TZ).date()
