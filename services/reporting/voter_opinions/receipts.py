"""The code printed on a voter's receipt (mã phiếu): 8 characters that find one opinion on the
public page and cannot be guessed. Pure.

A code is derived, not drawn: the first 40 bits of HMAC-SHA256 over the opinion's unit and id,
keyed with the deployment's secret (kept in reporting's database, `ReceiptKeys`), written in
Crockford's base 32 (no I, L, O, U: nothing to misread on a phone). So every opinion has one,
the ones recorded before receipts too; the workspace can print it as soon as the opinion is
recorded; a rebuild gives the same codes; and without the key nobody can derive the code of
an opinion whose unit and id they know, or walk through codes (2^40 of them, the public page
rate-limited) to read what was raised.
"""

from __future__ import annotations

import hashlib
import hmac

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32
LENGTH = 8  # 40 bits
_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def receipt_code(key: bytes, unit: str, opinion_id: str) -> str:
    """The code of opinion `opinion_id` of `unit`, 8 characters of ALPHABET."""
    digest = hmac.new(key, f"{unit}:{opinion_id}".encode(), hashlib.sha256).digest()
    bits = int.from_bytes(digest[:5], "big")
    return "".join(ALPHABET[(bits >> shift) & 31] for shift in range(35, -1, -5))


def printed(code: str) -> str:
    """As the receipt prints it: two groups of four, "7KQ2-M9XD"."""
    return f"{code[:4]}-{code[4:]}"


def read_code(typed: str) -> str | None:
    """The code a voter typed, as stored: any case, spaces and dashes ignored, letters that
    look alike read as Crockford says (O as 0, I and L as 1); None if it cannot be one."""
    code = "".join(typed.split()).replace("-", "").upper().translate(_READS_AS)
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code
