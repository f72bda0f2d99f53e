"""The ``hudu`` system type: a customer's technical dossier kept as a company in Hudu.

A dossier is one Hudu company with its assets, asset passwords and articles. It is found by

- this system's own customer id (the Hudu company id, from an earlier locate);
- a customer id of the systems in ``customer_id_from`` (e.g. the CRM) held in the company's
  ``id_number`` field;
- an e-mail address or number in the company's own fields (``phone_number``, ``fax_number``,
  any ``*mail*``/``*phone*`` field), or in the assets of the ``contact_layouts`` asset layouts
  (``primary_mail`` and the fields labelled e-mail/phone).

Access returns the company (``contact``), its assets (``asset``; fields labelled like a
password are secret), passwords (``credential``; ``password`` and ``otp_secret`` secret) and
articles (``dossier_note``). Erasure deletes the passwords, articles and assets one by one,
then deletes the company (``DELETE /companies/{id}``; archiving would keep the data), and
checks that nothing is left: the company answers 404, no list holds an item of it, and a new
locate finds nothing. Nothing is kept: every outcome is ``ERASED``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

import structlog

from dsr_core.fields import Field
from dsr_core.identities import InvalidIdentity, normalise_email, parse_phone
from dsr_core.model import (
    Action,
    CheckResult,
    Identity,
    IdentityKind,
    Outcome,
    Record,
    RequestKind,
    Subject,
)
from dsr_core.retry import RetryableError
from dsr_core.systems import (
    ConfigError,
    PermanentError,
    SystemContext,
    TransientError,
)

from . import labels
from .common import DossierSystem, customer_ids, is_secret, plain
from .config import RETRY_KEYS, Reader
from .hudu_client import HuduClient

log = structlog.get_logger(__name__)

CREDENTIAL_SECRETS = frozenset({"password", "otp_secret"})
_PHONE_WORDS = ("phone", "mobile", "gsm", "tel", "fax")


class _StillThere(RetryableError):
    """Something of an erased dossier is still visible (Hudu may take a moment)."""


class HuduSystem(DossierSystem):
    """Technical dossiers kept in Hudu."""

    kinds = frozenset({RequestKind.ACCESS, RequestKind.PORTABILITY, RequestKind.ERASURE})
    description = "Hudu: a customer's company, assets, passwords and articles over Hudu's API"
    config_keys = {
        "url": "base URL of the Hudu instance, e.g. https://voxtra.huducloud.com",
        "api_key": 'Hudu API key with password access, e.g. "${HUDU_API_KEY}"',
        "customer_id_from": "systems whose customer ids are in the companies' id_number, "
        'e.g. "crm" (a name or a list; "request" for ids given with the request)',
        "contact_layouts": "asset layouts (names or ids) whose assets hold the customer's "
        "e-mail and phone (default: none)",
        "page_size": "items asked for per page (default 100)",
        "phone_region": "region for numbers without country code (default: controller's country)",
        "secret_fields": "more field names or asset field labels whose values are secrets",
        **RETRY_KEYS,
    }
    required_keys = frozenset({"url", "api_key"})
    fields: ClassVar[Mapping[str, Field]] = labels.HUDU_FIELDS

    def __init__(self, name: str, config: Mapping[str, Any], context: SystemContext) -> None:
        super().__init__(name, config, context)
        read = Reader(name, self.config)
        self.url = read.text("url")
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"systems.{name}: 'url' must be an http(s) URL")
        self._api_key = read.text("api_key")
        self.sources = read.names("customer_id_from")
        self.layouts = tuple(_layout_names(read, self.config.get("contact_layouts", [])))
        self.page_size = int(read.number("page_size", 100, minimum=1))
        self.region = (read.text("phone_region", required=False) or context.country).upper()
        self.extra_secrets = read.names("secret_fields")
        self.policy = read.retry()
        self._client_: HuduClient | None = None
        self._layout_ids: list[int] | None = None

    @property
    def client(self) -> HuduClient:
        if self._client_ is None:
            self._client_ = HuduClient(self.url, self._api_key, self.policy, self.page_size)
        return self._client_

    # -- health -----------------------------------------------------------------------------
    def check(self) -> CheckResult:
        try:
            self.client.get("/companies", {"page": 1, "page_size": 1})
            self._contact_layout_ids()
        except (PermanentError, TransientError) as exc:
            return CheckResult(ok=False, problems=(str(exc),))
        return CheckResult(ok=True)

    # -- reading Hudu -----------------------------------------------------------------------
    def _company(self, company_id: int) -> dict[str, Any] | None:
        body = self.client.get(f"/companies/{company_id}")
        company = body.get("company", body) if isinstance(body, dict) else None
        if isinstance(company, dict) and str(company.get("id")) == str(company_id):
            return company
        return None

    def _listing(
        self, path: str, key: str, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Every item, archived or not (lists may leave archived ones out by default)."""
        items: dict[Any, dict[str, Any]] = {}
        for archived in ("false", "true"):
            for item in self.client.pages(path, key, {**(params or {}), "archived": archived}):
                if isinstance(item, dict) and item.get("id") is not None:
                    items.setdefault(item["id"], item)
        return list(items.values())

    def _contents(self, company_id: int) -> dict[str, list[dict[str, Any]]]:
        """The company's passwords, articles and assets; items of other companies dropped
        (a server ignoring a filter must not make us read or delete someone else's)."""
        scoped = {"company_id": company_id}
        assets = {
            item["id"]: item
            for item in [
                *self._listing(f"/companies/{company_id}/assets", "assets"),
                *self._listing("/assets", "assets", scoped),  # the account-wide list
            ]
        }
        lists = {
            "credential": self._listing("/asset_passwords", "asset_passwords", scoped),
            "dossier_note": self._listing("/articles", "articles", scoped),
            "asset": list(assets.values()),
        }
        return {
            category: [i for i in items if str(i.get("company_id")) == str(company_id)]
            for category, items in lists.items()
        }

    def _contact_layout_ids(self) -> list[int]:
        if self._layout_ids is None:
            wanted = {str(v).lower() for v in self.layouts}
            ids = [int(v) for v in self.layouts if isinstance(v, int)]
            names = {v for v in wanted if not v.isdigit()}
            ids += [int(v) for v in wanted if v.isdigit()]
            if names:
                for layout in self.client.pages("/asset_layouts", "asset_layouts"):
                    if str(layout.get("name", "")).strip().lower() in names:
                        ids.append(int(layout["id"]))
                        names.discard(str(layout["name"]).strip().lower())
                if names:
                    raise PermanentError(
                        f"hudu: contact_layouts names unknown asset layouts: {sorted(names)}"
                    )
            self._layout_ids = sorted(set(ids))
        return self._layout_ids

    # -- finding the subject ----------------------------------------------------------------
    def locate(self, subject: Subject) -> Sequence[Identity]:
        found: set[int] = set()
        for value in customer_ids(subject.identities, {self.name}):
            if value.isdigit() and self._company(int(value)):
                found.add(int(value))
        for value in customer_ids(subject.identities, self.sources) if self.sources else ():
            for company in self._listing("/companies", "companies", {"id_number": value}):
                if str(company.get("id_number") or "").strip() == value:
                    found.add(int(company["id"]))
        emails, phones = self._contacts(subject)
        if emails or phones:
            found |= self._by_contact(emails, phones)
        return [
            Identity(IdentityKind.CUSTOMER_ID, str(cid), system=self.name, source=self.name)
            for cid in sorted(found)
        ]

    def _contacts(self, subject: Subject) -> tuple[set[str], set[str]]:
        emails: set[str] = set()
        for raw in subject.values(IdentityKind.EMAIL):
            try:
                emails.add(normalise_email(raw))
            except InvalidIdentity:
                continue
        phones = {
            n for raw in subject.values(IdentityKind.PHONE) if (n := parse_phone(raw, self.region))
        }
        return emails, phones

    def _by_contact(self, emails: set[str], phones: set[str]) -> set[int]:
        found: set[int] = set()
        for company in self._listing("/companies", "companies"):
            if self._matches(company.items(), emails, phones):
                found.add(int(company["id"]))
        for layout_id in self._contact_layout_ids():
            for asset in self._listing("/assets", "assets", {"asset_layout_id": layout_id}):
                if asset.get("asset_layout_id") not in (layout_id, None):
                    continue
                values: list[tuple[str, Any]] = [("primary_mail", asset.get("primary_mail"))]
                values += [(str(f.get("label", "")), f.get("value")) for f in _fields(asset)]
                if self._matches(values, emails, phones) and asset.get("company_id"):
                    found.add(int(asset["company_id"]))
        return found

    def _matches(
        self, values: Iterable[tuple[str, Any]], emails: set[str], phones: set[str]
    ) -> bool:
        for label, value in values:
            if not isinstance(value, str) or not value.strip():
                continue
            low = label.lower()
            if "mail" in low and emails:
                try:
                    if normalise_email(value) in emails:
                        return True
                except InvalidIdentity:
                    pass
            if any(w in low for w in _PHONE_WORDS) and parse_phone(value, self.region) in phones:
                return True
        return False

    def _companies(self, subject: Subject, keys: Sequence[Identity]) -> list[dict[str, Any]]:
        ids = customer_ids(keys, {self.name}) or {i.value for i in self.locate(subject)}
        companies = [self._company(int(v)) for v in sorted(ids) if v.isdigit()]
        return [c for c in companies if c is not None]

    # -- access -----------------------------------------------------------------------------
    def access(self, subject: Subject, keys: Sequence[Identity]) -> Iterator[Record]:
        for company in self._companies(subject, keys):
            company_id = int(company["id"])
            yield self._record("contact", f"company/{company_id}", company, provided=True)
            contents = self._contents(company_id)
            for item in contents["credential"]:
                yield self._record("credential", f"asset_password/{item['id']}", item, True)
            for item in contents["asset"]:
                yield self._record("asset", f"asset/{item['id']}", item, provided=False)
            for item in contents["dossier_note"]:
                yield self._record("dossier_note", f"article/{item['id']}", item, False)

    def _record(
        self, category: str, record_id: str, item: Mapping[str, Any], provided: bool
    ) -> Record:
        fields: dict[str, Any] = {
            k: plain(v) for k, v in item.items() if not (category == "asset" and k == "fields")
        }
        secrets: set[str] = {
            k for k in fields if k.lower() in {e.lower() for e in self.extra_secrets}
        }
        if category == "credential":
            secrets |= CREDENTIAL_SECRETS & set(fields)
        if category == "asset":
            for field in _fields(item):
                label = f"field:{field.get('label', '')}"
                fields[label] = plain(field.get("value"))
                if is_secret(str(field.get("label", "")), self.extra_secrets):
                    secrets.add(label)
        return Record(
            system=self.name,
            category=category,
            record_id=record_id,
            fields=fields,
            source="Hudu",
            provided_by_subject=provided,
            secret_fields=frozenset(secrets),
        )

    # -- erasure ----------------------------------------------------------------------------
    def erase(
        self, subject: Subject, keys: Sequence[Identity], *, dry_run: bool
    ) -> Iterator[Outcome]:
        """Everything is deleted and checked before the first outcome is yielded."""
        plan: list[tuple[str, str, str]] = []  # (record id, category, DELETE path)
        company_ids: list[int] = []
        for company in self._companies(subject, keys):
            company_id = int(company["id"])
            company_ids.append(company_id)
            contents = self._contents(company_id)
            plan += [
                (f"asset_password/{i['id']}", "credential", f"/asset_passwords/{i['id']}")
                for i in contents["credential"]
            ]
            plan += [
                (f"article/{i['id']}", "dossier_note", f"/articles/{i['id']}")
                for i in contents["dossier_note"]
            ]
            plan += [
                (f"asset/{i['id']}", "asset", f"/companies/{company_id}/assets/{i['id']}")
                for i in contents["asset"]
            ]
            plan.append((f"company/{company_id}", "contact", f"/companies/{company_id}"))
        if not dry_run and plan:
            for _record_id, category, path in plan:
                # a 404: gone already, which is the aim
                if not self.client.delete(path) and category == "asset":
                    self.client.delete("/assets/" + path.rsplit("/", 1)[1])  # older path
            self._verify(subject, company_ids)
            log.info("hudu dossiers deleted", system=self.name, companies=len(company_ids))
        detail = "dry run: nothing deleted" if dry_run else "deleted from Hudu"
        for record_id, category, _path in plan:
            yield Outcome(record_id, category, Action.ERASED, detail=detail)

    def _verify(self, subject: Subject, company_ids: Sequence[int]) -> None:
        """Raise PermanentError unless nothing of the erased dossiers is found any more."""

        def probe() -> None:
            for company_id in company_ids:
                left = self._company(company_id) is not None
                left = left or any(self._contents(company_id).values())
                if left:
                    raise _StillThere(f"hudu: company {company_id} still found", reason="verify")
            if self.locate(subject):
                raise _StillThere("hudu: a dossier is still found", reason="verify")

        try:
            self.policy.run(probe, "verify erasure")
        except _StillThere as exc:
            raise PermanentError(f"{exc} after deleting: erasure incomplete") from None


def _fields(asset: Mapping[str, Any]) -> list[dict[str, Any]]:
    fields = asset.get("fields")
    return [f for f in fields if isinstance(f, dict)] if isinstance(fields, list) else []


def _layout_names(read: Reader, value: Any) -> Iterator[str | int]:
    values = value if isinstance(value, list) else [value]
    for item in values:
        if isinstance(item, bool) or not isinstance(item, str | int) or item == "":
            raise read.fail("contact_layouts", "a list of asset layout names or ids")
        yield item
