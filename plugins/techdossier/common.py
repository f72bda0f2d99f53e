"""What both dossier types share: which fields are secrets, which customer ids name a dossier,
and the manual steps for the kinds a dossier cannot do by itself."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any, ClassVar

from dsr_core.fields import Field
from dsr_core.model import Identity, IdentityKind, Outcome, Subject
from dsr_core.systems import ManualStep, System

from . import labels

#: Words that make a field a secret: ``password``, ``admin_password``, ``OTP secret``, ``PIN``.
SECRET_WORDS = frozenset(
    {
        "password",
        "passwords",
        "passwd",
        "pwd",
        "secret",
        "secrets",
        "token",
        "pin",
        "puk",
        "otp",
        "totp",
        "passphrase",
        "psk",
        "apikey",
    }
)
#: Whole names that are secrets although no single word says so.
SECRET_NAMES = frozenset(
    {"api_key", "private_key", "recovery_codes", "recovery_code", "wpa_key", "license_key"}
)
_WORDS = re.compile(r"[^a-z0-9]+")
REQUEST_SOURCE = "request"


def is_secret(name: str, extra: Iterable[str] = ()) -> bool:
    """True for a field whose value is a credential (password, OTP secret, PIN, key...)."""
    low = name.strip().lower()
    joined = _WORDS.sub("_", low).strip("_")
    if joined in SECRET_NAMES or low in {e.lower() for e in extra}:
        return True
    return bool(set(joined.split("_")) & SECRET_WORDS)


def secret_fields(fields: Mapping[str, Any], extra: Iterable[str] = ()) -> frozenset[str]:
    """The names among ``fields`` that hold secrets."""
    extra = tuple(extra)
    return frozenset(name for name in fields if is_secret(name, extra))


def plain(value: Any) -> Any:
    """A JSON-friendly copy: TOML dates and times become ISO text."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def customer_ids(identities: Iterable[Identity], systems: Iterable[str]) -> set[str]:
    """Customer ids qualified by one of ``systems``; ``"request"`` among them also takes the
    ids given with the request (not tied to any system)."""
    accepted = set(systems)
    found: set[str] = set()
    for ident in identities:
        if ident.kind != IdentityKind.CUSTOMER_ID or not ident.value.strip():
            continue
        if ident.system in accepted or (ident.system is None and REQUEST_SOURCE in accepted):
            found.add(ident.value.strip())
    return found


class DossierSystem(System):
    """Base of both dossier types: rectification and restriction are manual steps (a dossier
    holds free text and credentials no program can correct or mark reliably)."""

    titles: ClassVar[Mapping[str, str]] = labels.TITLES
    categories: ClassVar[Mapping[str, Mapping[str, str]]] = labels.CATEGORIES
    fields: ClassVar[Mapping[str, Field]] = labels.FOLDER_FIELDS

    def rectify(
        self,
        subject: Subject,
        keys: Sequence[Identity],
        changes: Mapping[str, Any],
        *,
        dry_run: bool,
    ) -> Iterator[Outcome]:
        raise ManualStep(
            f"Correct the subject's technical dossier in {self.name} by hand: edit the notes, "
            "asset and credential entries the request names, then mark the task done."
        )

    def restrict(
        self, subject: Subject, keys: Sequence[Identity], *, lift: bool, dry_run: bool
    ) -> Iterator[Outcome]:
        if lift:
            raise ManualStep(
                f"Lift the restriction on the subject's technical dossier in {self.name} as "
                "your procedure says (remove the 'restricted' marking), then mark the task done."
            )
        raise ManualStep(
            f"Mark the subject's technical dossier in {self.name} as restricted (stored only: "
            "no one uses it for support work until the restriction is lifted), then mark the "
            "task done."
        )
