"""The activity log (nhật ký): who recorded, corrected, cancelled, forwarded, answered,
resolved and filed what, and when, per unit.

Every event that names its actor is one entry. The entries are folded by the projector as it
reads each record (no second decode or signature check: services.reporting.read.projector.reading),
kept in the projection version's `activity` collection and written in the same flush as the
figures and positions, so each entry is written once and a rebuild writes the same log
(services.reporting.read.projector.working_set). The query API reads them newest first, scoped like
every other read (services.reporting.activity.api).
"""
