"""Deadline rules as data (quy định thời hạn): the defaults with their sources, the one rule
every due date of a periodic report is computed by, the versioned document in MongoDB and its
API. See services/reporting/deadlines/defaults.py for the defaults and where each comes from."""
