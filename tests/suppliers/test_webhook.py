"""Webhook notices against a real HTTP server on loopback that checks every signature itself."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from dsr_plugins.suppliers.message import Controller, Notice
from dsr_plugins.suppliers.payload import opendsr_request_id
from dsr_plugins.suppliers.webhook import WebhookTransport, parse_retry_after

from .conftest import HookServer, Reply, free_port, hook_supplier

FAST = {"backoff_initial": 0.01, "backoff_max": 0.05, "backoff_jitter": 0.01, "timeout": 2.0}


def transport(**kw: object) -> WebhookTransport:
    args: dict = dict(FAST)
    args.update(kw)
    return WebhookTransport(**args)


def test_500_then_200_is_retried_with_the_same_id_and_fresh_signatures(
    hook_server: HookServer, make_notice: Callable[..., Notice], controller: Controller
) -> None:
    url = hook_server.script("/flaky", Reply(500), Reply(200, {"status": "received"}))
    ticks = itertools.count(int(time.time()), 7)  # every attempt gets a later timestamp

    result = transport(controller=controller, clock=lambda: next(ticks)).send(
        make_notice(), hook_supplier(url)
    )

    assert result.delivered and not result.confirmed and not result.permanent
    assert result.detail["attempts"] == 2
    assert result.detail["status_code"] == 200
    assert result.detail["reply_status"] == "received"
    first, second = hook_server.requests("/flaky")
    assert first.signature_ok and second.signature_ok
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == "msg_N-12-3"
    assert first.headers["webhook-timestamp"] != second.headers["webhook-timestamp"]
    assert first.headers["webhook-signature"] != second.headers["webhook-signature"]
    assert first.body == second.body
    assert first.headers["content-type"] == "application/json"
    doc = second.json()
    assert doc["type"] == "dsr.notice.erasure"
    assert doc["data"]["notice_id"] == "N-12-3"
    assert doc["data"]["confirm_by"] == "2025-08-01"
    assert {"kind": "phone", "value": "+32477123456"} in doc["data"]["identities"]


def test_a_hang_longer_than_the_timeout_is_retried(
    hook_server: HookServer, make_notice: Callable[..., Notice]
) -> None:
    url = hook_server.script("/slow", Reply(200, delay=3.0), Reply(202))
    started = time.monotonic()
    result = transport(timeout=0.3).send(make_notice(), hook_supplier(url))
    elapsed = time.monotonic() - started

    assert result.delivered and result.detail["attempts"] == 2
    # waiting the first reply out takes 3 s: the margin lets a busy machine (the suite runs
    # on two workers) take its time over the 0.3 s timeout and the second attempt
    assert elapsed < 2.5  # the client gave up on the first attempt, it did not wait it out
    first, second = hook_server.requests("/slow")
    assert first.signature_ok and second.signature_ok
    assert first.headers["webhook-id"] == second.headers["webhook-id"]


def test_410_disables_the_endpoint_without_retrying(
    hook_server: HookServer, make_notice: Callable[..., Notice]
) -> None:
    url = hook_server.script("/gone", Reply(410))
    result = transport().send(make_notice(), hook_supplier(url))
    assert not result.delivered
    assert result.disable_endpoint and result.permanent
    assert result.detail["status_code"] == 410
    assert len(hook_server.requests("/gone")) == 1


def test_429_honours_retry_after_seconds(
    hook_server: HookServer, make_notice: Callable[..., Notice]
) -> None:
    url = hook_server.script(
        "/busy", Reply(429, headers={"Retry-After": "1"}), Reply(200, {"status": "queued"})
    )
    result = transport().send(make_notice(), hook_supplier(url))
    assert result.delivered and result.detail["attempts"] == 2
    first, second = hook_server.requests("/busy")
    assert 0.9 <= second.at - first.at < 2.0
    assert first.signature_ok and second.signature_ok


def test_retry_after_http_date_is_capped(
    hook_server: HookServer, make_notice: Callable[..., Notice]
) -> None:
    in_an_hour = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    url = hook_server.script("/later", Reply(503, headers={"Retry-After": in_an_hour}), Reply(204))
    waits: list[float] = []
    result = transport(max_retry_after=0.25, sleep=waits.append).send(
        make_notice(), hook_supplier(url)
    )
    assert result.delivered
    assert waits == [0.25]


def test_400_is_permanent_after_one_attempt(
    hook_server: HookServer, make_notice: Callable[..., Notice]
) -> None:
    url = hook_server.script("/bad", Reply(400, {"error": {"code": 400, "message": "nope"}}))
    result = transport().send(make_notice(), hook_supplier(url))
    assert not result.delivered and result.permanent and not result.disable_endpoint
    assert result.error == "HTTP 400 Bad Request"
    assert len(hook_server.requests("/bad")) == 1


def test_a_done_reply_confirms(hook_server: HookServer, make_notice: Callable[..., Notice]) -> None:
    url = hook_server.script("/done", Reply(200, {"status": "done", "reference": "TCK-4411"}))
    result = transport().send(make_notice("restriction"), hook_supplier(url))
    assert result.delivered and result.confirmed
    assert result.detail["reference"] == "TCK-4411"
    assert hook_server.requests("/done")[0].signature_ok


def test_persistent_5xx_gives_up_after_max_attempts_as_transient(
    hook_server: HookServer, make_notice: Callable[..., Notice]
) -> None:
    url = hook_server.script("/down", Reply(503))
    waits: list[float] = []
    result = transport(max_attempts=3, sleep=waits.append).send(make_notice(), hook_supplier(url))
    assert not result.delivered and not result.permanent and result.retry_later
    assert result.detail["attempts"] == 3
    assert "503" in (result.error or "")
    assert len(hook_server.requests("/down")) == 3
    assert len(waits) == 2 and all(0 < w <= 0.05 for w in waits)


def test_connection_refused_is_retried_then_transient(make_notice: Callable[..., Notice]) -> None:
    url = f"http://127.0.0.1:{free_port()}/nobody"
    waits: list[float] = []
    result = transport(max_attempts=3, sleep=waits.append).send(make_notice(), hook_supplier(url))
    assert not result.delivered and not result.permanent
    assert result.detail["attempts"] == 3 and len(waits) == 2
    assert "ConnectError" in (result.error or "")


def test_opendsr_supplier_gets_an_opendsr_request(
    hook_server: HookServer, make_notice: Callable[..., Notice]
) -> None:
    notice = make_notice(status_callback_url="https://dsr.voxtra.be/opendsr/callbacks")
    rid = opendsr_request_id(notice)
    url = hook_server.script(
        "/v1/opendsr_requests",
        Reply(
            201,
            {
                "controller_id": "voxtra",
                "subject_request_id": rid,
                "expected_completion_time": "2025-07-30T00:00:00Z",
                "received_time": "2025-07-02T09:30:01Z",
                "encoded_request": "eyJzdWJqZWN0X2lkZW50aXRpZXMiOiBbXX0=",
            },
        ),
    )
    result = transport().send(notice, hook_supplier(url, protocol="opendsr"))

    assert result.delivered and not result.confirmed
    assert result.detail["reference"] == rid
    assert result.detail["expected_completion_time"] == "2025-07-30T00:00:00Z"
    assert "encoded_request" not in result.detail
    (seen,) = hook_server.requests("/v1/opendsr_requests")
    assert seen.signature_ok
    doc = seen.json()
    assert doc["subject_request_id"] == rid
    assert doc["subject_request_type"] == "erasure"
    assert doc["api_version"] == "0.1"
    assert doc["submitted_time"] == "2025-07-02T09:30:00Z"
    assert doc["status_callback_urls"] == ["https://dsr.voxtra.be/opendsr/callbacks"]
    assert {
        "identity_type": "email",
        "identity_value": "jan.peeters@example.org",
        "identity_format": "raw",
    } in doc["subject_identities"]


def test_opendsr_completed_confirms(
    hook_server: HookServer, make_notice: Callable[..., Notice]
) -> None:
    url = hook_server.script("/v1/done", Reply(200, {"request_status": "completed"}))
    result = transport().send(make_notice(), hook_supplier(url, protocol="opendsr"))
    assert result.delivered and result.confirmed


@pytest.mark.parametrize(
    ("url", "protocol", "secret", "reason"),
    [
        ("https://hooks.example/x", "email", "whsec_c2VjcmV0", "by e-mail"),
        ("http://hooks.example/x", "webhook", "whsec_c2VjcmV0", "plain http"),
        ("ftp://hooks.example/x", "webhook", "whsec_c2VjcmV0", "not an http"),
        ("https://hooks.example/x", "webhook", None, "no webhook secret"),
        ("https://hooks.example/x", "opendsr", "whsec_!!", "not valid base64"),
    ],
)
def test_refuses_before_sending(
    make_notice: Callable[..., Notice], url: str, protocol: str, secret: str | None, reason: str
) -> None:
    def no_network(_: float) -> None:
        raise AssertionError("must not retry")

    supplier = hook_supplier(url, protocol=protocol, secret=secret)
    result = transport(sleep=no_network).send(make_notice(), supplier)
    assert not result.delivered and result.permanent
    assert reason in (result.error or "")
    assert "c2VjcmV0" not in (result.error or "")


def test_parse_retry_after() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("soon", now) is None
    date = format_datetime(datetime.fromtimestamp(now + 30, UTC), usegmt=True)
    assert parse_retry_after(date, now) == pytest.approx(30.0)
    past = format_datetime(datetime.fromtimestamp(now - 30, UTC), usegmt=True)
    assert parse_retry_after(past, now) == 0.0


def test_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError):
        WebhookTransport(max_attempts=0)
    with pytest.raises(ValueError):
        WebhookTransport(timeout=0)
