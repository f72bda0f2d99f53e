"""The bundle writer's inputs and result: plain, typed values with no database behind them.

The core builds these from its store; tests and benchmarks build them by hand. Records and
outcomes are not values but *callables returning iterators*, so that a system's million call
records are opened only when the writer reaches that system and are never held in a list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..fields import LANGUAGES as SUBJECT_LANGUAGES
from ..model import Identity, Outcome, Record, RequestKind, RequestState, TaskState

#: The report languages there are templates for: every language the subject reads.
LANGUAGES = SUBJECT_LANGUAGES


def _no_records() -> Iterable[Record]:
    return ()


def _no_outcomes() -> Iterable[Outcome]:
    return ()


def _strings(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(str(v) for v in value)


@dataclass(frozen=True, slots=True)
class Controller:
    """Who answers the request (``[controller]`` in ``dsr.toml``).

    ``language`` picks the report template: ``"nl"``, ``"en"`` or ``"fr"`` (a request may
    ask for another: :attr:`BundleRequest.language`). ``automated_decisions``: the statement
    on automated decision-making (Art. 15(1)(h)) per language, ``"*"`` for every language;
    empty: none takes place (:mod:`.legal`).
    """

    name: str
    email: str
    address: tuple[str, ...] = ()
    language: str = "nl"
    automated_decisions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BundleRequest:
    """The request the bundle answers, as the store holds it.

    ``subject_name`` and ``identities`` are the subject *as given* with the request (plus what
    systems contributed, if the caller wants them listed). ``generated_at`` must be an aware
    datetime in the controller's timezone; it is shown as is. ``language`` is the language the
    subject asked to be answered in; ``None`` answers in the controller's.
    """

    id: int
    kind: RequestKind
    subject_name: str
    identities: tuple[Identity, ...]
    received_on: date
    due_on: date
    state: RequestState | str
    controller: Controller
    generated_at: datetime
    #: the subject's language for the report (``dsr request new --language``); None: the
    #: controller's
    language: str | None = None

    @property
    def report_language(self) -> str:
        """The language of the report: the request's, else the controller's."""
        return self.language or self.controller.language


@dataclass(frozen=True, slots=True)
class ProcessingInfo:
    """What the controller's record of processing (Art. 30) says about one system.

    These are the texts of a system's ``purposes``, ``legal_basis``, ``retention``, ``source``
    and ``categories`` config keys; the report shows them as the Art. 15(1)(a), (b), (d) and
    (g) information. Use :meth:`from_config` to accept a string or a list for each.
    """

    purposes: tuple[str, ...] = ()
    legal_basis: tuple[str, ...] = ()
    retention: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ProcessingInfo:
        """From a ``[systems.NAME]`` table: each key may be a string or a list of strings."""
        return cls(
            purposes=_strings(config.get("purposes")),
            legal_basis=_strings(config.get("legal_basis")),
            retention=_strings(config.get("retention")),
            source=_strings(config.get("source")),
            categories=_strings(config.get("categories")),
        )


@dataclass(frozen=True, slots=True)
class SystemSection:
    """One configured system's part of the bundle.

    ``status`` is the task's state (``done``, ``failed``, ``not_searched``, ``manual``,
    ``skipped``...) and ``error`` its message for staff: it never goes into the bundle (the
    manifest and the report give a plain sentence, see :mod:`.plain`). ``unread_count`` is how
    many pieces of data the system could not read that may hold the subject's: a ``done``
    system with some is ``incomplete`` in the bundle, never "holds nothing about you".
    ``identities`` are the keys this system contributed (``locate``).

    ``system`` is the configured System instance (or its type) the report takes display
    names, category and field labels and field kinds from (:mod:`dsr_core.fields`); ``None``
    for a system no longer configured (raw names are shown). ``title`` is the config's
    ``title`` (a text, or texts per language).

    ``records`` and ``outcomes`` are called once each, when the writer reaches this system,
    and their iterators are consumed once, lazily. ``records`` yields :class:`Record` s of any
    categories, interleaved; ``outcomes`` yields the erase / rectify / restrict / object
    results (nothing for access and portability).
    """

    name: str
    type: str
    status: TaskState | str
    error: str | None = None
    unread_count: int = 0
    processing: ProcessingInfo = field(default_factory=ProcessingInfo)
    identities: tuple[Identity, ...] = ()
    system: Any = None
    title: str | Mapping[str, str] | None = None
    records: Callable[[], Iterable[Record]] = _no_records
    outcomes: Callable[[], Iterable[Outcome]] = _no_outcomes


@dataclass(frozen=True, slots=True)
class Recipient:
    """A recipient of the subject's data (Art. 15(1)(c), CJEU C-154/21; Art. 15(2)).

    ``role`` says what they are to the controller (processor, carrier, subcontractor...;
    empty when unknown); ``categories`` which of the subject's data they received; ``since``
    from when. ``country`` is where they process it (two letters) and ``safeguard`` what
    covers a transfer outside the EEA (``adequacy``, ``scc``, ``bcr`` or staff's words).

    ``source``: ``register`` (a disclosure, or a supplier named in the subject's records),
    ``standing`` (``[[recipients]]``: every customer's data, ``purpose`` says why) or
    ``records`` (named in the subject's records, unknown to dsr: staff must complete it).
    ``named_in``: the ``system.field`` s naming it (:mod:`dsr_core.recipients.accounting`).
    """

    name: str
    role: str
    categories: tuple[str, ...] = ()
    since: date | None = None
    country: str = ""
    safeguard: str = ""
    purpose: str = ""
    source: str = "register"
    named_in: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BundleOptions:
    """How to write the bundle.

    ``include_secrets``
        Export secret fields (credentials) in clear; needs ``password``.
    ``password``
        Encrypt the zip with AES-256 (WinZip AE-2); also allowed without secrets.
    ``overwrite``
        Replace an existing file at the target path (otherwise :class:`FileExistsError`).
    ``html_rows``
        Rows shown per category (and per outcome kind) in ``report.html``; the JSON and CSV
        files always hold everything.
    ``manifest_kept``
        Kept records listed per system in ``manifest.json`` (the count is always given).
    ``compresslevel``
        zlib level of the zip entries: 1 is several times faster than 6 for ~15 % more bytes.
    ``temp_dir``
        Where spool files go (default: the target's directory, which has room for the bundle).
    ``template_cache``
        A folder where the report's compiled templates are kept for the next bundle
        (:mod:`dsr_core.template_cache`; default: none, compiled each time).
    """

    include_secrets: bool = False
    password: str | None = field(default=None, repr=False)
    overwrite: bool = False
    html_rows: int = 1000
    manifest_kept: int = 1000
    compresslevel: int = 1
    temp_dir: Path | None = None
    template_cache: Path | None = None


@dataclass(frozen=True, slots=True)
class BundleFile:
    """One file inside the bundle: its path, uncompressed size and SHA-256 (hex)."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class BundleResult:
    """What :func:`~dsr_core.export.write_bundle` wrote (no personal data: safe to log).

    ``sha256`` is the digest of the zip file itself, for the audit trail.
    """

    path: Path
    size: int
    sha256: str
    encrypted: bool
    files: tuple[BundleFile, ...]
    records: int
    kept: int


class BundleError(Exception):
    """Writing the bundle failed; nothing was left at the target path."""
