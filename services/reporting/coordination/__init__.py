"""Coordination between council levels, inside the reporting service: declarations (seats,
delegates trained, staff), periodic reports and their deadlines, the work programme, and
proposals going up with answers coming down. See services/reporting/coordination/domain.py."""
