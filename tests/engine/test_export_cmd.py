"""``dsr export``: the bundle from a run request, as the subject and staff receive it."""

from __future__ import annotations

import json
import stat
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import pyzipper

from tests.engine.helpers import config, new_verified, write_store

ROWS = [
    {
        "id": 1,
        "email": "jan@example.be",
        "category": "contact",
        "fields": {"name": "Jan", "portal_password": "Zomer2024!"},
        "secret": ["portal_password"],
    },
    {
        "id": 2,
        "email": "jan@example.be",
        "category": "invoice",
        "fields": {"amount": "12.50"},
        "provided": False,
        "keep_until": "2099-12-31",
    },
    {"id": 3, "email": "other@example.be", "category": "contact", "fields": {"name": "Other"}},
]


@pytest.fixture
def controller(dsr):
    write_store(dsr.home / "crm.json", ROWS)
    dsr.write_config(
        config(
            {
                "crm": {
                    "type": "test-store",
                    "path": "crm.json",
                    "purposes": "Klantenbeheer",
                    "retention": "10 jaar voor facturen",
                }
            },
            controller='technical_staff = ["tech.an"]\nlanguage = "en"',
        )
    )
    dsr("init")
    return dsr


def _zip_json(path, name, pwd=None):
    with pyzipper.AESZipFile(path) as zf:
        if pwd:
            zf.setpassword(pwd.encode())
        return json.loads(zf.read(name))


def test_access_bundle_holds_each_record_once_with_a_manifest(controller, tmp_path):
    dsr = controller
    rid = new_verified(dsr)
    dsr("request", "run", rid)
    out = dsr.json("export", rid, "-o", str(tmp_path / "b.zip"))
    path = tmp_path / "b.zip"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        assert {
            "manifest.json",
            "report.html",
            "data/crm/contact.json",
            "data/crm/invoice.json",
            "data/crm/contact.csv",
        } <= names
        contacts = json.loads(zf.read("data/crm/contact.json"))
        report = zf.read("report.html").decode()
    assert [c["record_id"] for c in contacts] == ["1"]
    assert contacts[0]["portal_password"] != "Zomer2024!", "secrets are masked by default"
    assert "Zomer2024!" not in report and "Klantenbeheer" in report
    manifest = _zip_json(path, "manifest.json")
    assert manifest["request"]["id"] == int(rid)
    assert out["sha256"] and out["encrypted"] is False
    actions = [e["action"] for e in dsr.json("audit", "show", rid)]
    assert "export.written" in actions


def test_export_before_run_is_refused(controller):
    rid = new_verified(controller)
    assert "has not been run" in controller.fails("export", rid).stderr


def test_secrets_only_for_technical_staff_and_only_encrypted(controller, tmp_path, monkeypatch):
    dsr = controller
    monkeypatch.setattr("dsr_core.staff.os_user", lambda: "someone")
    rid = new_verified(dsr)
    dsr("request", "run", rid)
    refused = dsr.fails("export", rid, "--include-secrets", "-o", str(tmp_path / "x.zip"))
    assert "technical staff" in refused.stderr and not (tmp_path / "x.zip").exists()
    monkeypatch.setattr("dsr_core.staff.os_user", lambda: "tech.an")  # the OS decides
    nopass = dsr.fails(
        "--actor", "tech.an", "export", rid, "--include-secrets", "-o", str(tmp_path / "y.zip")
    )
    assert "DSR_EXPORT_PASSWORD" in nopass.stderr
    dsr.env["DSR_EXPORT_PASSWORD"] = "correct horse battery"
    dsr("--actor", "tech.an", "export", rid, "--include-secrets", "-o", str(tmp_path / "s.zip"))
    with pytest.raises(RuntimeError):
        with pyzipper.AESZipFile(tmp_path / "s.zip") as zf:
            zf.read("data/crm/contact.json")
    contacts = _zip_json(tmp_path / "s.zip", "data/crm/contact.json", "correct horse battery")
    assert contacts[0]["portal_password"] == "Zomer2024!"
    events = dsr.json("audit", "show", rid)
    revealed = [e for e in events if e["action"] == "secrets.revealed"]
    assert len(revealed) == 1 and revealed[0]["actor"] == "tech.an"


def test_erasure_bundle_reports_kept_records(controller, tmp_path):
    dsr = controller
    rid = new_verified(dsr, "erasure")
    dsr("request", "run", rid)
    dsr("export", rid, "-o", str(tmp_path / "e.zip"))
    with zipfile.ZipFile(tmp_path / "e.zip") as zf:
        outcomes = json.loads(zf.read("data/crm/outcomes.json"))
        report = zf.read("report.html").decode()
    kept = [o for o in outcomes if o["action"] == "kept"]
    assert [(o["record_id"], o["until"]) for o in kept] == [("2", "2099-12-31")]
    assert "2099-12-31" in report and "tests: legal hold" in report


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict, bytes]] = []
    statuses: list[int] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        status = type(self).statuses.pop(0) if type(self).statuses else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"receipt": "R-778"}')

    def log_message(self, *args):
        pass


def test_portability_bundle_is_sent_to_the_new_controller(controller, tmp_path):
    dsr = controller
    _Receiver.received, _Receiver.statuses = [], [503]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        rid = new_verified(dsr, "portability")
        dsr("request", "run", rid)
        url = f"http://127.0.0.1:{server.server_port}/import"
        out = dsr.json("export", rid, "-o", str(tmp_path / "p.zip"), "--send-to", url)
    finally:
        server.shutdown()
    assert out["sent"]["status"] == 200 and out["sent"]["receipt"] == "R-778"
    assert len(_Receiver.received) == 2, "a 503 is retried"
    headers, body = _Receiver.received[-1]
    assert body == (tmp_path / "p.zip").read_bytes()
    assert headers["X-DSR-Bundle-SHA256"] == out["sha256"]
    with zipfile.ZipFile(tmp_path / "p.zip") as zf:
        names = zf.namelist()
    assert "report.html" not in names and "data/crm/invoice.json" not in names
    events = [e for e in dsr.json("audit", "show", rid) if e["action"] == "export.transmitted"]
    assert events and events[0]["data"]["receipt"] == "R-778"


def test_send_to_is_only_for_portability_and_https(controller, tmp_path):
    dsr = controller
    rid = new_verified(dsr)
    dsr("request", "run", rid)
    assert "portability" in dsr.fails("export", rid, "--send-to", "https://x.example").stderr
    rid2 = new_verified(dsr, "portability", "--force")
    dsr("request", "run", rid2)
    result = dsr.fails(
        "export",
        rid2,
        "-o",
        str(tmp_path / "q.zip"),
        "--send-to",
        "http://new-controller.example/import",
    )
    assert "https" in result.stderr
    assert not (tmp_path / "q.zip").exists(), "refused before anything is written"
