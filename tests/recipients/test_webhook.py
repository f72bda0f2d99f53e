"""Webhook and OpenDSR notices against a real HTTP server on loopback that checks every
signature itself and plays failures."""

from __future__ import annotations

import pytest

from dsr_plugins.suppliers.signing import sign, signature_headers
from tests.recipients.conftest import HookServer, Reply, independent_check
from tests.recipients.helpers import EMAIL, PHONE, SECRET, new_request, outbox_mail, setup

FAST = {"webhook_backoff": 0.05, "webhook_timeout": 2, "webhook_attempts": 4}


@pytest.fixture
def hooks(dsr, monkeypatch):
    monkeypatch.setenv("HOOK_SECRET", SECRET)

    def add(
        name: str, url: str, protocol: str = "webhook", env: str = "HOOK_SECRET", **disclose: str
    ) -> int:
        sid = dsr.json(
            "suppliers", "add", name, "--role", "processor", "--email",
            f"dpo@{name.lower()}.example", "--language", "en", "--webhook-url", url,
            "--secret-env", env, "--protocol", protocol,
        )["id"]  # fmt: skip
        args = [f"--{k}={v}" for k, v in disclose.items()] or [f"--email={EMAIL}"]
        dsr("suppliers", "disclose", name, *args, "--category", "contact")
        return int(sid)

    return add


def test_the_published_test_vector_signs_and_checks():
    body = b'{"test": 2432232314}'
    signature = sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    headers = {"webhook-id": "msg_x", "webhook-timestamp": "1", "webhook-signature": signature}
    assert not independent_check(SECRET, headers, body)  # stale and for another id


def test_signed_retried_and_confirmed_by_the_reply_opendsr_by_resend(
    dsr, hook_server: HookServer, hooks
):
    setup(dsr, notices={**FAST, "status_callback_url": "https://dsr.voxtra.example/notices/"})
    plain = hooks(
        "Cloud",
        hook_server.script("/hook", Reply(500), Reply(200, {"status": "done", "reference": "T-9"})),
    )
    open_dsr = hooks(
        "Proc",
        hook_server.script(
            "/opendsr",
            Reply(202, {"request_status": "pending", "expected_completion_time": "2026-01-01"}),
            Reply(200, {"request_status": "completed"}),
        ),
        protocol="opendsr",
        phone="0477 12 34 56",
    )
    rid = new_request(dsr, "erasure", "--email", EMAIL, "--phone", PHONE)
    report = dsr.json("request", "run", rid)

    first, second = hook_server.requests("/hook")
    assert first.signature_ok and second.signature_ok
    nid = f"N-{rid}-{plain}"
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == f"msg_{nid}"
    assert first.body == second.body
    doc = second.json()
    assert doc["type"] == "dsr.notice.erasure"
    assert doc["data"]["notice_id"] == nid
    assert doc["data"]["identities"] == [{"kind": "email", "value": EMAIL}]
    assert doc["data"]["status_callback_url"] == f"https://dsr.voxtra.example/notices/{nid}"
    shown = dsr.json("notices", "show", nid)
    assert shown["state"] == "confirmed" and shown["reference"] == "T-9"
    assert shown["channel"] == "webhook" and shown["attempts"] == 1
    assert "webhook reply" in shown["resolution"]

    onid = f"N-{rid}-{open_dsr}"
    (sent,) = hook_server.requests("/opendsr")
    assert sent.signature_ok
    body = sent.json()
    assert body["subject_request_type"] == "erasure"
    assert body["subject_identities"] == [
        {"identity_type": "phone_number", "identity_value": PHONE, "identity_format": "raw"}
    ]
    assert body["status_callback_urls"] == [f"https://dsr.voxtra.example/notices/{onid}"]
    assert body["submitted_time"].endswith("Z") and body["regulation"] == "gdpr"
    assert dsr.json("notices", "show", onid)["state"] == "sent"
    assert report["state"] == "awaiting_confirmations" and len(report["blockers"]) == 1

    resent = dsr.json("notices", "resend", onid)
    assert resent[0]["confirmed"] is True
    again = hook_server.requests("/opendsr")[1]
    assert again.body == sent.body and again.headers["webhook-id"] == f"msg_{onid}"
    assert again.json()["subject_request_id"] == body["subject_request_id"]
    assert dsr.json("request", "show", rid)["state"] == "awaiting_answer"
    dsr("request", "answer", rid, "--by", "letter")
    assert dsr.json("request", "show", rid)["state"] == "completed"


def test_a_timeout_then_429_with_retry_after_then_success_then_a_callback(
    dsr, hook_server, hooks, tmp_path
):
    setup(dsr, notices={**FAST, "webhook_timeout": 0.4})
    sid = hooks(
        "Slow",
        hook_server.script(
            "/slow",
            Reply(200, delay=1.2),
            Reply(429, headers={"Retry-After": "1"}),
            Reply(202, {"status": "received"}),
        ),
    )
    rid = new_request(dsr)
    dsr("request", "run", rid)
    timed_out, limited, accepted = hook_server.requests("/slow")
    assert all(s.signature_ok for s in (timed_out, limited, accepted))
    assert accepted.at - limited.at >= 0.95, "Retry-After was honoured"
    assert len({s.headers["webhook-id"] for s in (timed_out, limited, accepted)}) == 1
    nid = f"N-{rid}-{sid}"
    shown = dsr.json("notices", "show", nid)
    assert shown["state"] == "sent" and shown["last_error"] is None

    # later the supplier calls back, signed with its secret, to say the work is done
    body = tmp_path / "callback.json"
    body.write_bytes(b'{"status": "done", "reference": "SLOW-1"}')
    headers = signature_headers(SECRET, "msg_cb_1", body.read_bytes())
    forged = [f"--header={k}: {v}" for k, v in headers.items()]
    forged[-1] = forged[-1][:-6] + "AAAAA="
    refused = dsr.fails("notices", "callback", nid, *forged, "--body", str(body))
    assert "refused: no valid v1 signature" in refused.stderr
    assert dsr.json("notices", "show", nid)["state"] == "sent"
    signed = [f"--header={k}: {v}" for k, v in headers.items()]
    out = dsr.json("notices", "callback", nid, *signed, "--body", str(body))
    assert out["confirmed"] and out["reference"] == "SLOW-1"
    assert dsr.json("notices", "show", nid)["state"] == "confirmed"
    assert dsr.json("request", "show", rid)["state"] == "awaiting_answer"


def test_410_disables_the_endpoint_other_4xx_is_not_retried_both_go_by_email(
    dsr, hook_server, hooks, monkeypatch
):
    setup(dsr, notices=FAST)
    gone = hooks("Gone", hook_server.script("/gone", Reply(410)))
    bad = hooks("Strict", hook_server.script("/strict", Reply(400, {"error": "no"})))
    unset = hooks("Cloud", hook_server.script("/hook", Reply(200, {"status": "done"})), env="CS")
    monkeypatch.delenv("CS", raising=False)
    rid = new_request(dsr)
    report = dsr.json("request", "run", rid)

    # no secret in the environment: nothing is sent unsigned, the request says why
    assert hook_server.requests("/hook") == []
    assert any("CS" in b and "not delivered" in b for b in report["blockers"])
    monkeypatch.setenv("CS", SECRET)
    out = dsr.json("notices", "send", rid)
    assert [s["notice_id"] for s in out["sent"]] == [f"N-{rid}-{unset}"]
    assert out["sent"][0]["confirmed"] and hook_server.requests("/hook")[0].signature_ok

    assert len(hook_server.requests("/gone")) == 1 and len(hook_server.requests("/strict")) == 1
    for sid in (gone, bad):
        nid = f"N-{rid}-{sid}"
        shown = dsr.json("notices", "show", nid)
        assert shown["state"] == "sent" and shown["channel"] == "file"
        assert "sent by e-mail instead" in shown["last_error"]
        mail = outbox_mail(dsr, nid)
        assert mail["Message-ID"] == shown["message_id"] and EMAIL in mail.get_content()
    assert dsr.json("suppliers", "show", "Gone")["webhook_disabled"] is True
    assert dsr.json("suppliers", "show", "Strict")["webhook_disabled"] is False
    assert "DISABLED" in dsr("suppliers", "list").stdout

    dsr("notices", "resend", f"N-{rid}-{gone}")  # a disabled endpoint is not tried again
    assert len(hook_server.requests("/gone")) == 1
    enabled = dsr.json("suppliers", "edit", "Gone", "--enable-webhook")
    assert enabled["changed"] == ["webhook_enabled"] and not enabled["webhook_disabled"]
    events = [e["action"] for e in dsr.json("audit", "show", rid)]
    assert events.count("notice.sent") == 4
