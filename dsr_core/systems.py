"""The system contract: what a plugin's system type implements and what the core gives it.

A *system type* (``"asterisk-csv"``, ``"sql-crm"``) is a subclass of :class:`System`,
registered by a plugin through ``dsr_register_systems``. A *system* is one configured instance:
a ``[systems.NAME]`` table in ``dsr.toml`` whose ``type`` names the system type. The core
constructs it with the table's own keys (``type`` and the core keys removed) and a
:class:`SystemContext`.

Every method gets the :class:`~dsr_core.model.Subject` with all identities known so far and the
``keys`` that this system's own :meth:`System.locate` returned.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from .errors import did_you_mean
from .fields import Field
from .model import CheckResult, Identity, Outcome, Record, RequestKind, Subject

#: Keys of a ``[systems.NAME]`` table that the core reads itself; a system type never sees them.
CORE_KEYS = frozenset(
    {
        "type",
        "title",
        "enabled",
        "timeout",
        "retries",
        "instructions",
        "purposes",
        "legal_basis",
        "retention",
        "source",
        "categories",
        "recipients",
        "on_termination",
    }
)


class ConfigError(Exception):
    """A system's configuration is wrong. The message is one line naming the key."""


class SystemError_(Exception):  # noqa: N801 - trailing underscore: builtins has SystemError
    """Base of the errors a system raises on purpose; the message is shown to staff as is."""


class TransientError(SystemError_):
    """Worth retrying: a timeout, a lost connection, a 5xx, a locked file."""


class PermanentError(SystemError_):
    """Retrying will not help: bad credentials, a missing table, a refused operation."""


class ManualStep(Exception):  # noqa: N818 - a signal, not a failure
    """The system cannot do this automatically: staff must, following ``instructions``.

    Raising it from any method turns the task into a manual task that waits for
    ``dsr tasks done``.
    """

    def __init__(self, instructions: str) -> None:
        super().__init__(instructions)
        self.instructions = instructions


@dataclass(frozen=True)
class SystemContext:
    """What the core gives every system.

    ``base_dir`` resolves relative paths in the config (the folder of ``dsr.toml``);
    ``state_dir`` is a private, owner-only folder for this system (created on demand);
    ``today`` returns the controller's local date (tests freeze it);
    ``timezone`` and ``country`` come from ``[controller]``.

    ``anonymise`` is what erasure uses: a token keyed with ``anonymise_key``, a random secret
    made with each context and never stored. The core builds a fresh context for every step,
    so within one erasure the same value always gives the same token (one number on every
    call line becomes one token; distinct values stay distinct where a column is unique),
    while nobody, dsr included, can recompute a token from a candidate value afterwards.

    ``pseudonymise`` is the keyed hash with the installation's ``secret_key``: stable across
    runs, so whoever holds the key can test a candidate value against it. It is
    pseudonymisation (Art. 4(5) GDPR), not anonymisation: a system that leaves such a value
    behind reports the record as pseudonymised (``Action.PSEUDONYMISED``), never anonymised.
    """

    system_name: str
    base_dir: Path
    state_dir: Path
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Brussels"))
    country: str = "BE"
    secret_key: bytes = b""
    today: Callable[[], date] = field(default=date.today)
    anonymise_key: bytes = field(
        default_factory=lambda: secrets.token_bytes(32), repr=False, compare=False
    )

    def now(self) -> datetime:
        return datetime.now(self.timezone)

    def resolve(self, path: str | Path) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    def anonymise(self, value: str) -> str:
        """An irreversible token for ``value``: ``anon-`` and 16 hex digits, the same for the
        same value within this context only."""
        digest = hmac.new(self.anonymise_key, value.encode(), hashlib.sha256).hexdigest()
        return f"anon-{digest[:16]}"

    def pseudonymise(self, value: str) -> str:
        """A keyed hash stable per installation (``pseud-`` and 16 hex digits): reversible
        for whoever holds the installation key, so never the result of an erasure."""
        digest = hmac.new(self.secret_key, value.encode(), hashlib.sha256).hexdigest()
        return f"pseud-{digest[:16]}"


@dataclass(frozen=True)
class BatchItem:
    """One task of a batch (:meth:`System.prepare_batch`): the request's kind, the subject as
    the step will get it, and the keys its act step will get (empty for a locate)."""

    kind: RequestKind
    subject: Subject
    keys: Sequence[Identity] = ()


class System:
    """Base class of a system type. Override what the system can do.

    Class attributes:

    ``kinds``
        The request kinds this type handles automatically. For any other kind the core makes a
        manual task with the ``instructions`` from the config.
    ``description``
        One line for ``dsr plugins list``.
    ``config_keys``
        The type's own config keys with a one-line description each; a key not listed is
        refused before anything runs (``dsr request run``, ``dsr worker``) and reported by
        ``dsr systems check``, so typos are caught early. ``__init__`` raises
        :class:`ConfigError` for a bad value the same way.
    ``required_keys``
        The subset of ``config_keys`` that must be present.
    ``titles``
        The type's display name per language (``{"nl": "Telefonie", "en": "Telephony",
        "fr": "Téléphonie"}``); a system's config ``title`` overrides it.
    ``categories``
        Category -> its label per language (``{"call": {"nl": "Gesprekken", ...}}``).
    ``fields``
        Field name (as in ``Record.fields``) -> :class:`~dsr_core.fields.Field`: its labels
        and kind; a key ``"category.field"`` wins over ``"field"``. The report shows labels
        and values by kind; JSON and CSV keep the raw names and values (:mod:`dsr_core.fields`).

    A plugin may set ``titles``, ``categories`` and ``fields`` per instance in ``__init__``
    (from its config, as sql-crm does from its mapping).
    """

    kinds: ClassVar[frozenset[RequestKind]] = frozenset()
    description: ClassVar[str] = ""
    config_keys: ClassVar[Mapping[str, str]] = {}
    required_keys: ClassVar[frozenset[str]] = frozenset()
    titles: ClassVar[Mapping[str, str]] = {}
    categories: ClassVar[Mapping[str, Mapping[str, str]]] = {}
    fields: ClassVar[Mapping[str, Field]] = {}

    def __init__(self, name: str, config: Mapping[str, Any], context: SystemContext) -> None:
        self.name = name
        self.config = dict(config)
        self.context = context
        unknown = sorted(set(self.config) - set(self.config_keys))
        if unknown:
            hint = did_you_mean(unknown[0], self.config_keys)
            raise ConfigError(f"systems.{name}: unknown key {unknown[0]!r}{hint}")
        missing = sorted(self.required_keys - set(self.config))
        if missing:
            raise ConfigError(f"systems.{name}: {missing[0]!r} is required")

    # -- health -----------------------------------------------------------------------------
    def check(self) -> CheckResult:
        """Can the system be reached and does it look as configured? Must not change anything."""
        return CheckResult(ok=True)

    def warnings(self) -> Sequence[str]:
        """Problems met during the last call that did not stop it, one line each (lines that
        could not be parsed, with file and line number). The core stores them on the task and
        shows them to staff. Must not contain the subject's identifiers."""
        return ()

    def unreadable(self) -> Sequence[str]:
        """What the last call could not read although it may hold the subject's data, one line
        each for staff (a file with no line in a known layout, lines that could not be parsed:
        file and line numbers, never their content or the subject's identifiers).

        When it is not empty the core never says the system holds nothing about the subject:
        the task, ``dsr request show``, the bundle's manifest and its report say that some
        records could not be read and are left for staff to review."""
        return ()

    # -- many requests at once (optional) ---------------------------------------------------
    def prepare_batch(self, step: str, items: Sequence[BatchItem]) -> None:
        """Optional: the engine is about to run ``step`` (``"locate"`` or ``"act"``) of the
        tasks ``items`` of this system, each on its own system object, in this process
        (``dsr request run ID ID...``, ``--all-pending``, ``dsr worker``). A type that can
        serve them together (one read of a file for every request) does the shared work now
        and keeps each task's part where that task's own step finds it (a process-wide cache
        that checks the data did not change since), so that each step then gives exactly
        what it would have given alone. The engine holds the claims of these tasks and has
        put their act steps' start on the trail, so an act may also be carried out here (one
        rewrite of a file for several erasures) as long as the task's own step then reports
        it. An exception is logged and the steps simply do their work alone. Default:
        nothing (most systems gain nothing from a batch)."""
        return None

    # -- finding the subject ----------------------------------------------------------------
    def locate(self, subject: Subject) -> Sequence[Identity]:
        """The subject's keys in this system; empty when it holds nothing about them.

        May return identities the request did not have (a CRM returns the customer's phone
        numbers with the period each was theirs): the core adds them to the subject and asks
        every other system to locate again until nothing new appears. This system is not
        asked again for what it found itself: follow your own finds to a fixed point (a
        customer's e-mail that names a second customer) and return all of it in one call.
        Return them with ``source=self.name``. Must not change anything.
        """
        raise NotImplementedError

    def active_contract(self, subject: Subject, keys: Sequence[Identity]) -> bool | None:
        """Does the subject still have an active contract here? Asked after ``locate`` and
        before an erasure acts anywhere: when a system says True, ``dsr request run`` erases
        nothing until staff confirm (``--confirm-active``). None: the system cannot tell (the
        default). Must not change anything."""
        return None

    # -- the request kinds ------------------------------------------------------------------
    def access(self, subject: Subject, keys: Sequence[Identity]) -> Iterator[Record]:
        """Every record about the subject, yielded lazily (never build a list of them).

        Portability uses the same method: the core keeps records with
        ``provided_by_subject``.
        """
        raise NotImplementedError

    def erase(
        self, subject: Subject, keys: Sequence[Identity], *, dry_run: bool
    ) -> Iterator[Outcome]:
        """Delete or anonymise; keep what a legal duty keeps, with basis and until-date.

        Idempotent: a second call yields no ERASED outcome for what is already gone. With
        ``dry_run`` nothing changes and the outcomes say what would happen. The work must be
        complete (committed, renamed) once the iterator is exhausted; if the caller stops early
        nothing may be half-changed.
        """
        raise NotImplementedError

    def rectify(
        self,
        subject: Subject,
        keys: Sequence[Identity],
        changes: Mapping[str, Any],
        *,
        dry_run: bool,
    ) -> Iterator[Outcome]:
        """Apply ``changes`` (field → new value, as given with the request)."""
        raise NotImplementedError

    def restrict(
        self, subject: Subject, keys: Sequence[Identity], *, lift: bool, dry_run: bool
    ) -> Iterator[Outcome]:
        """Mark the subject's records restricted (stored only), or lift it."""
        raise NotImplementedError

    def object(
        self, subject: Subject, keys: Sequence[Identity], *, dry_run: bool
    ) -> Iterator[Outcome]:
        """Stop direct marketing: set the opt-out."""
        raise NotImplementedError


#: What ``dsr_register_systems`` hands a plugin: ``register("asterisk-csv", AsteriskCsv)``.
RegisterSystem = Callable[[str, type[System]], None]
