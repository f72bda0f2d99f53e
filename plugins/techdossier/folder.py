"""The ``techdossier-folder`` system type: a folder per customer under one root.

See :mod:`.folder_store` for the layout. A dossier is found by a customer id (this system's
own, or one from the systems named in ``customer_id_from``, e.g. the CRM) or by an e-mail
address or number that its ``subject.toml`` names. Erasure deletes the whole dossier: nothing
in it is under a retention duty, so every record is ``ERASED`` and none ``KEPT``; afterwards a
second locate must find nothing, or the erasure fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import structlog

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
from dsr_core.systems import ConfigError, PermanentError, SystemContext

from .common import (
    DossierSystem,
    customer_ids,
    secret_fields,
)
from .config import Reader
from .folder_store import FolderStore

log = structlog.get_logger(__name__)


class FolderDossierSystem(DossierSystem):
    """Technical dossiers kept as folders: Markdown notes, asset and credential entries."""

    kinds = frozenset({RequestKind.ACCESS, RequestKind.PORTABILITY, RequestKind.ERASURE})
    description = "technical dossier: a folder per customer (Markdown notes, assets, credentials)"
    config_keys = {
        "root": "the folder holding one folder per customer (relative: to dsr.toml's folder)",
        "customer_id_from": 'systems whose customer ids name the folders, e.g. "crm" '
        '(a name or a list; "request" for ids given with the request)',
        "phone_region": "region for numbers without country code (default: controller's country)",
        "secret_fields": "more field names whose values are secrets (besides password, pin...)",
    }
    required_keys = frozenset({"root"})

    def __init__(self, name: str, config: Mapping[str, Any], context: SystemContext) -> None:
        super().__init__(name, config, context)
        read = Reader(name, self.config)
        root = read.text("root")
        self.sources = read.names("customer_id_from")
        self.extra_secrets = read.names("secret_fields")
        region = (read.text("phone_region", required=False) or context.country).upper()
        if len(region) != 2 or not region.isalpha():
            raise ConfigError(f"systems.{name}: 'phone_region' must be a country code like BE")
        self.region = region
        self.store = FolderStore(context.resolve(root), region)

    # -- health -----------------------------------------------------------------------------
    def check(self) -> CheckResult:
        problems = tuple(self.store.problems())
        return CheckResult(ok=not problems, problems=problems)

    # -- finding the subject ----------------------------------------------------------------
    def locate(self, subject: Subject) -> Sequence[Identity]:
        found = {cid for cid in self._ids(subject.identities) if self.store.folder(cid)}
        emails, phones = self._contacts(subject)
        if emails or phones:
            for customer_id, folder in self.store.folders():
                card = self.store.card(customer_id, folder)
                if card and (card.emails & emails or card.phones & phones):
                    found.add(customer_id)
        return [
            Identity(IdentityKind.CUSTOMER_ID, cid, system=self.name, source=self.name)
            for cid in sorted(found)
        ]

    def _ids(self, identities: Iterable[Identity]) -> set[str]:
        return customer_ids(identities, {self.name, *self.sources})

    def _contacts(self, subject: Subject) -> tuple[set[str], set[str]]:
        emails: set[str] = set()
        for raw in subject.values(IdentityKind.EMAIL):
            try:
                emails.add(normalise_email(raw))
            except InvalidIdentity:
                continue
        phones = {
            number
            for raw in subject.values(IdentityKind.PHONE)
            if (number := parse_phone(raw, self.region))
        }
        return emails, phones

    def _dossiers(self, subject: Subject, keys: Sequence[Identity]) -> list[str]:
        """The dossiers to work on: from ``keys``, else located afresh."""
        ids = self._ids(keys) or {i.value for i in self.locate(subject)}
        return sorted(ids)

    # -- access -----------------------------------------------------------------------------
    def access(self, subject: Subject, keys: Sequence[Identity]) -> Iterator[Record]:
        for customer_id in self._dossiers(subject, keys):
            folder = self.store.folder(customer_id)
            if folder is None:
                continue
            for entry in self.store.entries(customer_id, folder):
                yield Record(
                    system=self.name,
                    category=entry.category,
                    record_id=f"{customer_id}/{entry.key}",
                    fields=entry.fields,
                    source="technical dossier",
                    provided_by_subject=entry.provided,
                    secret_fields=secret_fields(entry.fields, self.extra_secrets),
                )

    # -- erasure ----------------------------------------------------------------------------
    def erase(
        self, subject: Subject, keys: Sequence[Identity], *, dry_run: bool
    ) -> Iterator[Outcome]:
        """Delete each dossier whole, then check that a fresh locate finds nothing.

        Everything is deleted and checked before the first outcome is yielded.
        """
        outcomes: list[Outcome] = []
        doomed: list[str] = []
        detail = "dry run: nothing deleted" if dry_run else "the whole dossier was deleted"
        for customer_id in self._dossiers(subject, keys):
            folder = self.store.folder(customer_id)
            if folder is None:
                continue
            doomed.append(customer_id)
            entries = list(self.store.entries(customer_id, folder))
            outcomes += [
                Outcome(f"{customer_id}/{e.key}", e.category, Action.ERASED, detail=detail)
                for e in entries
            ]
            if not entries:
                outcomes.append(Outcome(customer_id, "dossier", Action.ERASED, detail=detail))
        if not dry_run and doomed:
            for customer_id in doomed:
                self.store.remove(customer_id)
            self.store.purge()
            remaining = self.locate(subject)
            if remaining or any(self.store.folder(cid) for cid in doomed):
                raise PermanentError(
                    f"techdossier: erasure incomplete: {len(remaining) or 1} dossier(s) "
                    "still found after deleting"
                )
            log.info("dossiers deleted", system=self.name, dossiers=len(doomed))
        yield from outcomes
