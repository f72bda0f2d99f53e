"""Building bundle inputs and reading bundles back, as a user of the zip would."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyzipper

from dsr_core.export import (
    BundleOptions,
    BundleRequest,
    BundleResult,
    Controller,
    ProcessingInfo,
    Recipient,
    SystemSection,
    write_bundle,
)
from dsr_core.model import (
    Action,
    Identity,
    IdentityKind,
    Outcome,
    Record,
    RequestKind,
    RequestState,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
SECRET = "correct-horse-battery-staple"
PASSWORD = "Tr0ub4dor&3 bundel"
BASIS = "Art. 17(3)(b) AVG; WIB 92 art. 315"
KEPT_UNTIL = date(2031, 12, 31)


def make_request(
    kind: RequestKind = RequestKind.ACCESS, language: str = "nl", **changes: Any
) -> BundleRequest:
    values: dict[str, Any] = {
        "id": 42,
        "kind": kind,
        "subject_name": "Jan Peeters",
        "identities": (
            Identity(IdentityKind.EMAIL, "jan.peeters@example.be"),
            Identity(IdentityKind.PHONE, "+32477123456", valid_from=date(2019, 5, 1)),
        ),
        "received_on": date(2025, 3, 5),
        "due_on": date(2025, 4, 7),
        "state": RequestState.IN_PROGRESS,
        "controller": Controller(
            "Voxtra bv", "privacy@voxtra.example", ("Kerkstraat 1", "9000 Gent"), language
        ),
        "generated_at": datetime(2025, 3, 20, 14, 3, tzinfo=BRUSSELS),
    }
    values.update(changes)
    return BundleRequest(**values)


def crm_records() -> list[Record]:
    """Interleaved categories, a late extra field, nested values, a secret and some HTML."""
    return [
        Record(
            "crm",
            "contact",
            "p-1",
            {
                "name": "Jan <script>alert('x')</script> Peeters",
                "email": "jan.peeters@example.be",
                "tags": ["klant", "vip"],
                "address": {"street": "Kerkstraat 1", "city": "Gent"},
                "active": True,
            },
            source="CRM: res.partner",
            provided_by_subject=True,
        ),
        Record(
            "crm",
            "invoice",
            "inv-2024-001",
            {"number": "2024/001", "amount": 121.5, "date": date(2024, 1, 31), "paid": False},
            source="CRM: account.move",
        ),
        Record(
            "crm",
            "contact",
            "p-2",
            {
                "name": "Jan Peeters, Gent",
                "email": None,
                "note": 'zegt "dag"\r\nen tot ziens',
                "phone": "+32477123456",
            },
            source="CRM: res.partner",
            provided_by_subject=True,
        ),
        Record(
            "crm",
            "credential",
            "cred-9",
            {"host": "router.klant.example", "username": "admin", "password": SECRET},
            source="technical dossier",
            secret_fields=frozenset({"password"}),
        ),
        Record(
            "crm",
            "invoice",
            "inv-2024-002",
            {"number": "2024/002", "amount": 60, "date": date(2024, 2, 29), "paid": True},
            source="CRM: account.move",
        ),
    ]


def crm_outcomes() -> list[Outcome]:
    return [
        Outcome("p-1", "contact", Action.ERASED),
        Outcome("p-2", "contact", Action.ANONYMISED, detail="naam en e-mail vervangen"),
        Outcome("inv-2024-001", "invoice", Action.KEPT, BASIS, KEPT_UNTIL, "factuur"),
        Outcome("inv-2024-002", "invoice", Action.KEPT, BASIS, date(2032, 12, 31), "factuur"),
        Outcome("cred-9", "credential", Action.ERASED),
    ]


def section(
    name: str = "crm",
    records: Iterable[Record] | Callable[[], Iterable[Record]] = (),
    outcomes: Iterable[Outcome] | Callable[[], Iterable[Outcome]] = (),
    **changes: Any,
) -> SystemSection:
    """A system whose records/outcomes are the given ones (a fresh iterator per call)."""
    values: dict[str, Any] = {
        "name": name,
        "type": "sql-crm",
        "status": "done",
        "processing": ProcessingInfo(
            purposes=("klantenbeheer", "facturatie"),
            legal_basis=("overeenkomst (art. 6.1.b AVG)",),
            retention=("7 jaar na de laatste factuur",),
            source=("de klant zelf",),
            categories=("identiteit", "contactgegevens", "facturen"),
        ),
        "identities": (Identity(IdentityKind.CUSTOMER_ID, "C-1001", system=name, source=name),),
        "records": records if callable(records) else _replay(list(records)),
        "outcomes": outcomes if callable(outcomes) else _replay(list(outcomes)),
    }
    values.update(changes)
    return SystemSection(**values)


def _replay(items: list[Any]) -> Callable[[], Iterator[Any]]:
    return lambda: iter(items)


RECIPIENTS = (
    Recipient("Proximus NV", "telecomoperator", ("oproepgegevens",), date(2020, 1, 1), "BE"),
    Recipient("Bpost", "transport", ("naam", "adres"), None, "BE"),
)


def write(
    tmp_path: Path,
    request: BundleRequest | None = None,
    systems: list[SystemSection] | None = None,
    *,
    name: str = "bundle.zip",
    recipients: Iterable[Recipient] = RECIPIENTS,
    **options: Any,
) -> BundleResult:
    return write_bundle(
        tmp_path / name,
        request or make_request(),
        systems if systems is not None else [section(records=crm_records())],
        tuple(recipients),
        BundleOptions(**options),
    )


def expected_json(record: Record) -> dict[str, Any]:
    """What a record looks like in ``<category>.json``."""
    item: dict[str, Any] = {
        "record_id": record.record_id,
        "source": record.source,
        "provided_by_subject": record.provided_by_subject,
    }
    item.update(json.loads(json.dumps(dict(record.fields), default=str)))
    return item


@dataclass
class Bundle:
    """A bundle opened for reading (with the password if it is encrypted)."""

    path: Path
    password: str | None = None
    _zip: pyzipper.AESZipFile = field(init=False)

    def __post_init__(self) -> None:
        self._zip = pyzipper.AESZipFile(self.path)
        if self.password is not None:
            self._zip.setpassword(self.password.encode())

    def close(self) -> None:
        self._zip.close()

    @property
    def names(self) -> list[str]:
        return self._zip.namelist()

    def read(self, name: str) -> bytes:
        return self._zip.read(name)

    def text(self, name: str) -> str:
        return self.read(name).decode("utf-8")

    def json(self, name: str) -> Any:
        return json.loads(self.read(name))

    def csv(self, name: str) -> list[list[str]]:
        return list(csv.reader(io.StringIO(self.text(name), newline="")))

    def csv_dicts(self, name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.text(name), newline="")))

    @property
    def manifest(self) -> Any:
        return self.json("manifest.json")

    def everything(self) -> bytes:
        """Every entry's content, concatenated."""
        return b"".join(self.read(name) for name in self.names)

    def sha256(self, name: str) -> str:
        return hashlib.sha256(self.read(name)).hexdigest()


def open_bundle(path: Path, password: str | None = None) -> Bundle:
    return Bundle(path, password)


class Html(HTMLParser):
    """Element ids, and the text inside each element that has an id."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.classes: dict[str, list[str]] = {}
        self.tags: list[str] = []
        self._open: list[tuple[str, str | None]] = []
        self._texts: dict[str, list[str]] = {}
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        attributes = dict(attrs)
        ident = attributes.get("id")
        if ident:
            self.ids.append(ident)
            self._texts[ident] = []
            self.classes[ident] = (attributes.get("class") or "").split()
        if tag not in ("br", "meta", "img", "link", "input", "hr"):
            self._open.append((tag, ident))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, _ = self._open.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, ident in self._open:
            if ident:
                self._texts[ident].append(data)

    def text(self, ident: str) -> str:
        """The text inside the element ``ident``, whitespace collapsed."""
        return " ".join("".join(self._texts[ident]).split())
