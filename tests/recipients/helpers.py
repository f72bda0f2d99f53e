"""Building a controller with a CRM (``test-store``), suppliers and notice settings."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from tests.engine.helpers import PLUGINS, write_store
from tests.loopback import SECRET as SECRET  # re-exported for the tests here
from tests.loopback import SMTP_PASSWORD as SMTP_PASSWORD
from tests.loopback import SMTP_USER as SMTP_USER
from tests.loopback import free_port as free_port

EMAIL = "jan.peeters@example.be"
PHONE = "+32477123456"

CRM_ROWS = [
    {
        "id": 1,
        "email": EMAIL,
        "category": "contact",
        "fields": {"name": "Jan Peeters", "carrier": "TELCO"},
    },
    {
        "id": 2,
        "phone": PHONE,
        "category": "line",
        "fields": {"number": "0477 12 34 56", "carrier": "Telco NV", "ported_on": "2024-02-01"},
    },
    {"id": 3, "email": "someone@example.be", "category": "contact", "fields": {"carrier": "X"}},
]


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, Path):
        return json.dumps(str(value))
    return json.dumps(value)


def setup(
    dsr: Any,
    *,
    notices: dict[str, Any] | None = None,
    derive: list[dict[str, Any]] | None = None,
    email: str = "privacy@voxtra.be",
    rows: list[dict[str, Any]] | None = None,
) -> None:
    """Write the CRM's rows and a dsr.toml, then ``dsr init``."""
    write_store(dsr.home / "crm.json", CRM_ROWS if rows is None else rows)
    lines = [
        "[controller]",
        'name = "Voxtra bvba"',
        f'email = "{email}"' if email else "",
        'address = "Kerkstraat 1\\n9000 Gent"',
        'language = "nl"',
        "[plugins]",
        f'dir = "{PLUGINS}"',
        "[systems.crm]",
        'type = "test-store"',
        'path = "crm.json"',
        "[notices]",
    ]
    for key, value in (notices or {}).items():
        lines.append(f"{key} = {_toml(value)}")
    for rule in derive or []:
        lines.append("[[notices.derive]]")
        for key, value in rule.items():
            lines.append(f"{key} = {_toml(value)}")
    dsr.write_config("\n".join(lines) + "\n")
    dsr("init")


def supplier(dsr: Any, name: str, *args: str) -> int:
    """Register a supplier; returns its id."""
    return int(dsr.json("suppliers", "add", name, *args)["id"])


def new_request(dsr: Any, kind: str = "erasure", *extra: str) -> str:
    """A verified request for Jan (by e-mail unless ``extra`` names identities)."""
    idents = extra or ("--email", EMAIL)
    rid = str(dsr.json("request", "new", kind, "--name", "Jan Peeters", *idents)["id"])
    dsr("request", "verify", rid, "--method", "eID at the desk")
    return rid


def parse_mail(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def outbox_mail(dsr: Any, notice_id: str) -> EmailMessage:
    return parse_mail((dsr.home / "outbox" / f"{notice_id}.eml").read_bytes())


def notice(dsr: Any, notice_id: str) -> dict[str, Any]:
    return dsr.json("notices", "show", notice_id)  # type: ignore[no-any-return]


def audit_of(dsr: Any, rid: str) -> list[dict[str, Any]]:
    return dsr.json("audit", "show", rid)  # type: ignore[no-any-return]
