"""Deadlines that remind and escalate (issue 22): the notifier's projection of open items,
its sweep (exactly once per notice and recipient), the in-app notifications, e-mail, and the
answers that come down. See services/reporting/notifications/sweep.py."""
