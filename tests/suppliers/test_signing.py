"""Standard Webhooks signing and verification, including the spec's published test vector."""

from __future__ import annotations

import base64

import pytest

from dsr_plugins.suppliers.signing import (
    SignatureError,
    check_signature,
    secret_key,
    sign,
    signature_headers,
    verify_signature,
)
from dsr_plugins.suppliers.webhook import verify_signature as reexported

# The test vector published with the Standard Webhooks specification / reference libraries.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TS = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def vector_headers(**override: str) -> dict[str, str]:
    headers = {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": str(VECTOR_TS),
        "webhook-signature": VECTOR_SIGNATURE,
    }
    headers.update(override)
    return headers


def test_matches_the_published_test_vector() -> None:
    assert sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_BODY) == VECTOR_SIGNATURE
    assert sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_BODY.decode()) == VECTOR_SIGNATURE


def test_verifies_the_published_test_vector() -> None:
    assert verify_signature(VECTOR_SECRET, vector_headers(), VECTOR_BODY, now=VECTOR_TS + 10)
    assert reexported is verify_signature


def test_header_names_are_case_insensitive() -> None:
    headers = {k.title(): v for k, v in vector_headers().items()}
    assert check_signature(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TS) == VECTOR_ID


def test_any_of_several_signatures_may_match() -> None:
    headers = vector_headers(**{"webhook-signature": f"v1,Zm9vYmFy v2,xyz {VECTOR_SIGNATURE}"})
    assert verify_signature(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TS)


@pytest.mark.parametrize(
    ("headers", "body", "reason"),
    [
        (vector_headers(), b'{"test": 2432232315}', "no valid v1 signature"),
        (vector_headers(**{"webhook-id": "msg_other"}), VECTOR_BODY, "no valid v1 signature"),
        (
            vector_headers(**{"webhook-signature": "v2," + VECTOR_SIGNATURE[3:]}),
            VECTOR_BODY,
            "no valid v1 signature",
        ),
        (vector_headers(**{"webhook-timestamp": "soon"}), VECTOR_BODY, "not an integer"),
        ({"webhook-id": VECTOR_ID}, VECTOR_BODY, "missing webhook-timestamp"),
    ],
)
def test_rejects_tampered_or_incomplete_messages(
    headers: dict[str, str], body: bytes, reason: str
) -> None:
    with pytest.raises(SignatureError, match=reason):
        check_signature(VECTOR_SECRET, headers, body, now=VECTOR_TS)
    assert not verify_signature(VECTOR_SECRET, headers, body, now=VECTOR_TS)


def test_rejects_a_wrong_secret() -> None:
    other = "whsec_" + base64.b64encode(b"another key of 24 bytes!").decode()
    assert not verify_signature(other, vector_headers(), VECTOR_BODY, now=VECTOR_TS)


@pytest.mark.parametrize("skew", [-301, 301, 10_000])
def test_rejects_timestamps_outside_the_tolerance(skew: int) -> None:
    assert not verify_signature(VECTOR_SECRET, vector_headers(), VECTOR_BODY, now=VECTOR_TS + skew)
    assert verify_signature(
        VECTOR_SECRET, vector_headers(), VECTOR_BODY, tolerance=abs(skew), now=VECTOR_TS + skew
    )


def test_fresh_headers_round_trip_with_the_current_clock() -> None:
    body = b'{"notice_id":"N-1-1"}'
    headers = signature_headers(VECTOR_SECRET, "msg_N-1-1", body)
    assert verify_signature(VECTOR_SECRET, headers, body)


def test_secret_forms() -> None:
    # whsec_<base64>: the decoded bytes are the key.
    assert secret_key(VECTOR_SECRET) == base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    # Without the prefix: a raw secret, its UTF-8 bytes as they are.
    assert secret_key("plain shared secret") == b"plain shared secret"
    assert secret_key(b"\x00\x01key") == b"\x00\x01key"
    raw_sig = sign("plain shared secret", "msg_1", 1, b"{}")
    assert raw_sig == sign(b"plain shared secret", "msg_1", 1, b"{}")
    assert raw_sig != sign("whsec_" + base64.b64encode(b"plain").decode(), "msg_1", 1, b"{}")


@pytest.mark.parametrize("bad", ["whsec_not base64!", "whsec_", "", b""])
def test_rejects_unusable_secrets_without_echoing_them(bad: str | bytes) -> None:
    with pytest.raises(ValueError) as caught:
        secret_key(bad)
    assert "not base64!" not in str(caught.value)
