"""Vietnam has one time zone (UTC+7, no daylight saving); business dates are read in it."""

from datetime import timedelta, timezone

VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")
