"""Standard Webhooks signatures (https://www.standardwebhooks.com/), both directions.

A message is signed with HMAC-SHA256 over ``"{webhook-id}.{webhook-timestamp}.{body}"`` and sent
with the headers ``webhook-id``, ``webhook-timestamp`` (unix seconds) and
``webhook-signature: v1,<base64 digest>`` (several space-separated signatures are allowed, for
key rotation).

Secrets: ``whsec_<base64>`` (what Standard Webhooks issues) is base64-decoded after the prefix
and the decoded bytes are the key. Any other string is a *raw* secret: its UTF-8 bytes are the
key as they are (note: the reference libraries base64-decode an unprefixed string; to give us a
base64 secret, prefix it with ``whsec_``). ``bytes`` are always used as the key as they are.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE = 300  # seconds, either side of now


class SignatureError(Exception):
    """A message's signature headers are missing, stale or wrong (the reason, never a secret)."""


def secret_key(secret: str | bytes) -> bytes:
    """The HMAC key of a secret, as described in the module docstring."""
    if isinstance(secret, bytes):
        key = secret
    elif secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("webhook secret after 'whsec_' is not valid base64") from None
    else:
        key = secret.encode("utf-8")
    if not key:
        raise ValueError("webhook secret is empty")
    return key


def sign(secret: str | bytes, msg_id: str, timestamp: int, body: bytes | str) -> str:
    """The ``webhook-signature`` value for one message: ``v1,<base64 HMAC-SHA256>``."""
    payload = body.encode("utf-8") if isinstance(body, str) else body
    signed = f"{msg_id}.{int(timestamp)}.".encode() + payload
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_headers(
    secret: str | bytes, msg_id: str, body: bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body``, timestamped now unless given."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(secret, msg_id, ts, body),
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise SignatureError(f"missing {name} header")


def check_signature(
    secret: str | bytes,
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> str:
    """Checks a signed message and returns its ``webhook-id``; raises :class:`SignatureError`.

    Header names are matched case-insensitively. The timestamp must lie within ``tolerance``
    seconds of ``now`` (either side); any one of the ``v1`` signatures must match, compared in
    constant time. Verify the raw body bytes, before parsing them.
    """
    msg_id = _header(headers, "webhook-id")
    raw_ts = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    try:
        timestamp = int(raw_ts.strip())
    except ValueError:
        raise SignatureError("webhook-timestamp is not an integer") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError("webhook-timestamp is outside the tolerance")
    expected = sign(secret, msg_id, timestamp, body).encode("ascii")
    matched = False
    for candidate in signatures.split():
        version, _, _ = candidate.partition(",")
        if version == "v1":
            # No early exit: every candidate is compared, each in constant time.
            matched |= hmac.compare_digest(expected, candidate.encode("ascii", "replace"))
    if not matched:
        raise SignatureError("no valid v1 signature")
    return msg_id


def verify_signature(
    secret: str | bytes,
    headers: Mapping[str, str],
    body: bytes | str,
    tolerance: int = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> bool:
    """True when ``body`` carries a valid, fresh Standard Webhooks signature by ``secret``."""
    try:
        check_signature(secret, headers, body, tolerance=tolerance, now=now)
    except SignatureError:
        return False
    return True
