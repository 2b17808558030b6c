"""The roots of the hash chains reporting receives from every instance of its area
(contracts.audit): kept, shown (`GET /units/{unit}/audit-roots`) and printed, as a code, on
the report documents built on them."""
