"""What a record id may look like, wherever one is accepted: in an event, a request body or a path.

Ids are chosen by the writer (an office's own numbering, or a client's UUID) so that a resend is
idempotent; the pattern keeps them safe in URLs, logs and Kafka keys.
"""

ID_PATTERN = r"^[A-Za-z0-9._:-]+$"
ID_MAX_LENGTH = 64
