"""Finding, reading and validating ``dsr.toml``.

Where the config is: ``--config PATH``, else ``$DSR_CONFIG``, else ``./dsr.toml``, else
``$DSR_HOME/dsr.toml`` (``DSR_HOME`` defaults to the platform's user data folder). The *home* is
``--home``/``$DSR_HOME`` when given, else the folder holding the config file: the SQLite
database, the request workspaces, letters and logs live there.

Secrets never sit in the file: a value ``"${NAME}"`` (or one containing it) is replaced by the
environment variable ``NAME``. Systems' tables are substituted only when the system is built,
so a command that does not touch the CRM works in a shell without the CRM's password.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import UserError, did_you_mean
from .fields import LANGUAGES as SUBJECT_LANGUAGES
from .fields import in_language

CONFIG_NAME = "dsr.toml"
DATABASE_NAME = "dsr.sqlite3"
#: what letters, reports and the subject's texts are written in (one list: dsr_core.fields)
LANGUAGES = SUBJECT_LANGUAGES
#: What ``on_termination`` may ask of a system when the customer's contract ends.
TERMINATION_ACTIONS = ("erase",)
#: Languages a system's ``title`` may be given in (the subject's texts).
TITLE_LANGUAGES = LANGUAGES
#: A system's texts the subject reads that may be given per language (like ``title``).
SYSTEM_TEXTS = ("purposes", "legal_basis", "retention", "source")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigFileError(UserError):
    """The config file is missing, unreadable or invalid; the message is one line."""


@dataclass(frozen=True)
class ControllerConfig:
    """Who answers the requests: used in letters, reports and notices."""

    name: str = "The controller"
    email: str = ""
    address: str = ""
    country: str = "BE"
    subdivision: str | None = None
    timezone: str = "Europe/Brussels"
    language: str = "nl"
    technical_staff: tuple[str, ...] = ()
    #: Art. 15(1)(h): the statement on automated decision-making, including profiling, per
    #: language (``nl``, ``en``, ``fr``; one text for every language under ``"*"``). Empty:
    #: the report says none takes place.
    automated_decisions: Mapping[str, str] = field(default_factory=dict)
    #: Art. 18(3): the least time between the letter announcing a restriction's lift and the
    #: lift itself (``dsr request lift``, docs/answer.md); 0: at once by e-mail or in person.
    lift_notice: Period = field(default_factory=lambda: Period(0, "days"))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class StandingRecipient:
    """One ``[[recipients]]`` table: a recipient of every customer's data (the accountant, the
    hosting provider, a processor), listed in every access report (Art. 15(1)(c) and (2)).

    ``safeguard`` is required for a ``country`` outside the EEA: ``adequacy``, ``scc``,
    ``bcr`` or a text of one's own. ``aliases`` are other names records use for it.
    """

    name: str
    role: str
    country: str
    purpose: str = ""
    safeguard: str | None = None
    categories: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


_PERIOD = re.compile(r"\s*(\d+)\s*(d|days?|w|weeks?|m|months?|y|years?)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Period:
    """A retention period: a number of days, weeks, months or years."""

    amount: int
    unit: str  # "days", "weeks", "months" or "years"

    def before(self, day: date) -> date:
        """The day ``self`` before ``day`` (months and years by the calendar)."""
        from .clock import add_months

        if self.unit == "days":
            return day - timedelta(days=self.amount)
        if self.unit == "weeks":
            return day - timedelta(weeks=self.amount)
        months = self.amount * (12 if self.unit == "years" else 1)
        return add_months(day, -months)

    def after(self, day: date) -> date:
        """The day ``self`` after ``day``."""
        return Period(-self.amount, self.unit).before(day)

    def __str__(self) -> str:
        unit = self.unit if self.amount != 1 else self.unit[:-1]
        return f"{self.amount} {unit}"


def parse_period(value: Any, where: str) -> Period:
    """``30`` (days), ``"30 days"``, ``"6 weeks"``, ``"3 months"``, ``"3 years"``."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return Period(value, "days")
    match = _PERIOD.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ConfigFileError(
            f'{where} must read like "30 days", "6 weeks", "3 months" or "3 years", not {value!r}'
        )
    unit = {"d": "days", "w": "weeks", "m": "months", "y": "years"}[match.group(2)[0].lower()]
    return Period(int(match.group(1)), unit)


@dataclass(frozen=True)
class RetentionConfig:
    """``[retention]``: how long dsr keeps its own copies of personal data (``dsr purge``).

    ``keep_results_for``: task results (the records found, the outcomes) and export bundles,
    counted from the day the request was closed (completed, rejected or withdrawn);
    ``keep_requests_for``: the request itself, its identities and staff's free text on the
    audit trail (the events stay), counted from the same day.
    """

    keep_results_for: Period = Period(30, "days")
    keep_requests_for: Period = Period(3, "years")


@dataclass(frozen=True)
class SystemConfig:
    """One ``[systems.NAME]`` table: the core keys parsed, the type's own keys kept raw."""

    name: str
    type: str
    enabled: bool = True
    timeout: float = 120.0
    retries: int = 3
    #: The display name the subject reads (``title``): one string for every language, or a
    #: table per language; ``None``: the type's ``titles``, then the name.
    title: str | Mapping[str, str] | None = None
    instructions: Mapping[str, str] = field(default_factory=dict)
    processing: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    #: What a termination (the contract's end) does here; None: the system is left alone.
    on_termination: str | None = None

    def instructions_for(self, kind: str) -> str:
        return (
            self.instructions.get(kind)
            or self.instructions.get("default")
            or (
                f"Handle this {kind} request in system {self.name!r} by hand, then run "
                f"`dsr tasks done`."
            )
        )

    def processing_in(self, language: str, fallback: str) -> dict[str, Any]:
        """The record of processing with each per-language text (:data:`SYSTEM_TEXTS`) in
        ``language``, else ``fallback``, else any language given."""
        return {
            k: in_language(v, language, fallback) if k in SYSTEM_TEXTS else v
            for k, v in self.processing.items()
        }

    def resolved_options(self) -> dict[str, Any]:
        """The type's own keys with ``${VAR}`` replaced from the environment."""
        return _substitute(dict(self.options), f"systems.{self.name}")


@dataclass(frozen=True)
class Config:
    path: Path | None
    home: Path
    database_url: str
    controller: ControllerConfig
    systems: Mapping[str, SystemConfig]
    plugins_dir: Path | None = None
    disabled_plugins: frozenset[str] = frozenset()
    log_file: Path | None = None
    notices: Mapping[str, Any] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    recipients: tuple[StandingRecipient, ...] = ()

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else self.home


def default_home() -> Path:
    env = os.environ.get("DSR_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("dsr", appauthor=False))


def find_config(explicit: str | None, home: Path | None) -> Path | None:
    """The config file to use, or None when there is none yet."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigFileError(f"config file {path} does not exist")
        return path
    env = os.environ.get("DSR_CONFIG")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise ConfigFileError(f"DSR_CONFIG names {path}, which does not exist")
        return path
    if home is None:
        local = Path.cwd() / CONFIG_NAME
        if local.is_file():
            return local
    candidate = (home or default_home()) / CONFIG_NAME
    return candidate if candidate.is_file() else None


def load_config(explicit: str | None = None, home: str | Path | None = None) -> Config:
    """Read and validate the config; with no file, the defaults in the home folder."""
    home_path = Path(home).expanduser() if home else None
    if home_path is None and os.environ.get("DSR_HOME"):
        home_path = default_home()
    path = find_config(explicit, home_path)
    data: dict[str, Any] = {}
    if path is not None:
        data = parse_toml(path)
    resolved_home = home_path or (path.parent if path else default_home())
    return build_config(data, path=path, home=resolved_home)


def parse_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigFileError(
            f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02X} on line {line}); "
            "TOML files are UTF-8: save it as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"{path}: TOML syntax error: {exc}") from None


def build_config(data: Mapping[str, Any], *, path: Path | None, home: Path) -> Config:
    known = {
        "controller",
        "systems",
        "store",
        "plugins",
        "logging",
        "notices",
        "retention",
        "recipients",
    }
    for key in data:
        if key not in known:
            hint = did_you_mean(key, known)
            raise ConfigFileError(f"{_where(path)}: unknown section [{key}]{hint}")
    controller = _controller(_table(data, "controller", path), path)
    store = _table(data, "store", path)
    url = os.environ.get("DSR_DATABASE_URL") or _substitute(store.get("url", ""), "store.url")
    if not url:
        url = f"sqlite:///{home / DATABASE_NAME}"
    url = _anchor_sqlite(url, path.parent if path else home)
    plugins = _table(data, "plugins", path)
    plugins_dir = plugins.get("dir")
    base = path.parent if path else home
    disabled = set(_str_list(plugins.get("disable", []), "plugins.disable", path))
    disabled |= {p.strip() for p in os.environ.get("DSR_DISABLE_PLUGINS", "").split(",")}
    disabled.discard("")
    logging_ = _table(data, "logging", path)
    log_file = logging_.get("file")
    systems = {
        name: _system(name, table, path) for name, table in _table(data, "systems", path).items()
    }
    return Config(
        path=path,
        home=home,
        database_url=url,
        controller=controller,
        systems=systems,
        plugins_dir=(base / Path(plugins_dir).expanduser()) if plugins_dir else None,
        disabled_plugins=frozenset(disabled),
        log_file=(base / Path(log_file).expanduser()) if log_file else home / "logs" / "dsr.log",
        notices=_table(data, "notices", path),
        raw=data,
        retention=_retention(_table(data, "retention", path), path),
        recipients=_recipients(data.get("recipients", []), path),
    )


def _retention(table: Mapping[str, Any], path: Path | None) -> RetentionConfig:
    allowed = set(RetentionConfig.__dataclass_fields__)
    for key in table:
        if key not in allowed:
            hint = did_you_mean(key, allowed)
            raise ConfigFileError(f"{_where(path)}: unknown key retention.{key}{hint}")
    values = {k: parse_period(v, f"{_where(path)}: retention.{k}") for k, v in table.items()}
    return RetentionConfig(**values)


def _anchor_sqlite(url: str, base: Path) -> str:
    """A relative SQLite file is relative to the config's folder, not to wherever dsr runs."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):
        rest = url[len(prefix) :]
        if rest and not rest.startswith(":memory:") and not rest.startswith("file:"):
            return prefix + str(base / rest)
    return url


def _where(path: Path | None) -> str:
    return str(path) if path else "config"


def _table(data: Mapping[str, Any], key: str, path: Path | None) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigFileError(f"{_where(path)}: [{key}] must be a table")
    return value


def _str_list(value: Any, key: str, path: Path | None) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigFileError(f"{_where(path)}: {key} must be a list of strings")
    return value


def _controller(table: Mapping[str, Any], path: Path | None) -> ControllerConfig:
    allowed = set(ControllerConfig.__dataclass_fields__)
    for key in table:
        if key not in allowed:
            hint = did_you_mean(key, allowed)
            raise ConfigFileError(f"{_where(path)}: unknown key controller.{key}{hint}")
    values = dict(table)
    for key, value in values.items():
        if key == "technical_staff":
            values[key] = tuple(_str_list(value, "controller.technical_staff", path))
        elif key == "automated_decisions":
            values[key] = _per_language(value, "controller.automated_decisions", path)
        elif key == "lift_notice":
            values[key] = parse_period(value, f"{_where(path)}: controller.lift_notice")
        elif not isinstance(value, str):
            raise ConfigFileError(f"{_where(path)}: controller.{key} must be a string")
    controller = ControllerConfig(**values)
    if controller.language not in LANGUAGES:
        raise ConfigFileError(
            f"{_where(path)}: controller.language must be one of {', '.join(LANGUAGES)}"
        )
    try:
        ZoneInfo(controller.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigFileError(
            f"{_where(path)}: controller.timezone {controller.timezone!r} is not a known zone"
        ) from None
    if not re.fullmatch(r"[A-Za-z]{2}", controller.country):
        raise ConfigFileError(
            f"{_where(path)}: controller.country must be a two-letter country code (ISO 3166)"
        )
    return controller


#: Languages a text the subject reads may be given in.
TEXT_LANGUAGES = LANGUAGES


def _per_language(value: Any, key: str, path: Path | None) -> dict[str, str]:
    """A text for every language (``"*"``), or a table of texts per language."""
    if isinstance(value, str):
        return {"*": value.strip()} if value.strip() else {}
    if not isinstance(value, dict):
        raise ConfigFileError(
            f"{_where(path)}: {key} must be a text, or a table of texts per language "
            f"({', '.join(TEXT_LANGUAGES)})"
        )
    texts: dict[str, str] = {}
    for language, text in value.items():
        if language not in TEXT_LANGUAGES:
            raise ConfigFileError(
                f"{_where(path)}: {key}.{language}: the languages are {', '.join(TEXT_LANGUAGES)}"
            )
        if not isinstance(text, str) or not text.strip():
            raise ConfigFileError(f"{_where(path)}: {key}.{language} must be a non-empty text")
        texts[language] = text.strip()
    return texts


def _recipients(value: Any, path: Path | None) -> tuple[StandingRecipient, ...]:
    """``[[recipients]]``: each table checked, every problem one line naming its place."""
    from .recipients.terms import ROLES, SAFEGUARDS, clean_safeguard, country_code, in_eea

    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise ConfigFileError(
            f"{_where(path)}: recipients must be tables: write each one as [[recipients]]"
        )
    allowed = set(StandingRecipient.__dataclass_fields__)
    found: list[StandingRecipient] = []
    seen: set[str] = set()
    for number, table in enumerate(value, start=1):
        name = table.get("name")
        where = f"{_where(path)}: recipients #{number}"
        if isinstance(name, str) and name.strip():
            where = f"{_where(path)}: recipients {' '.join(name.split())!r}"
        for key in table:
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                raise ConfigFileError(f"{where}: unknown key {key!r}{hint}")
        for key in ("name", "role", "country", "purpose", "safeguard"):
            if key in table and not isinstance(table[key], str):
                raise ConfigFileError(f"{where}: {key} must be a text")
        if not isinstance(name, str) or not name.strip():
            raise ConfigFileError(f"{where}: 'name' is required")
        name = " ".join(name.split())
        label = f"recipients {name!r}"
        if name.casefold() in seen:
            raise ConfigFileError(f"{where}: listed twice")
        seen.add(name.casefold())
        role = str(table.get("role", "")).strip().lower().replace(" ", "_")
        if role not in ROLES:
            raise ConfigFileError(f"{where}: role must be one of {', '.join(ROLES)}")
        try:
            country = country_code(table.get("country"))
        except ValueError as exc:
            raise ConfigFileError(f"{where}: {exc}") from None
        if country is None:
            raise ConfigFileError(
                f"{where}: 'country' is required (two letters, where it processes the data)"
            )
        safeguard = clean_safeguard(table.get("safeguard"))
        if safeguard is None and not in_eea(country):
            raise ConfigFileError(
                f"{where}: {country} is outside the EEA: give its safeguard "
                f"(safeguard = {' | '.join(repr(s) for s in SAFEGUARDS)} or your own words)"
            )
        found.append(
            StandingRecipient(
                name=name,
                role=role,
                country=country,
                purpose=str(table.get("purpose", "")).strip(),
                safeguard=safeguard,
                categories=tuple(
                    _str_list(table.get("categories", []), f"{label}.categories", path)
                ),
                aliases=tuple(_str_list(table.get("aliases", []), f"{label}.aliases", path)),
            )
        )
    return tuple(found)


def _system(name: str, table: Any, path: Path | None) -> SystemConfig:
    from .systems import CORE_KEYS  # the system contract loads only when systems are named

    where = f"{_where(path)}: systems.{name}"
    if not isinstance(table, dict):
        raise ConfigFileError(f"{where} must be a table")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise ConfigFileError(f"{where}: a system name is letters, digits, '-', '_' or '.'")
    type_ = table.get("type")
    if not isinstance(type_, str) or not type_:
        raise ConfigFileError(f"{where}: 'type' is required (a registered system type)")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigFileError(f"{where}.enabled must be true or false")
    timeout = table.get("timeout", 120)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigFileError(f"{where}.timeout must be a positive number of seconds")
    retries = table.get("retries", 3)
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 10:
        raise ConfigFileError(f"{where}.retries must be a whole number from 0 to 10")
    title = _title(table.get("title"), where)
    instructions = table.get("instructions", {})
    if isinstance(instructions, str):
        instructions = {"default": instructions}
    if not isinstance(instructions, dict) or not all(
        isinstance(v, str) for v in instructions.values()
    ):
        raise ConfigFileError(f"{where}.instructions must be text or a table of texts per kind")
    on_termination = table.get("on_termination")
    if on_termination is not None and on_termination not in TERMINATION_ACTIONS:
        allowed = " or ".join(f'"{a}"' for a in TERMINATION_ACTIONS)
        raise ConfigFileError(
            f"{where}.on_termination must be {allowed} (what the contract's end does to this "
            f"system), not {on_termination!r}"
        )
    processing = {
        k: _system_text(table[k], f"{where}.{k}") if k in SYSTEM_TEXTS else table[k]
        for k in ("purposes", "legal_basis", "retention", "source", "categories", "recipients")
        if k in table
    }
    options = {k: v for k, v in table.items() if k not in CORE_KEYS}
    return SystemConfig(
        name=name,
        type=type_,
        enabled=enabled,
        timeout=float(timeout),
        retries=retries,
        title=title,
        instructions=instructions,
        processing=processing,
        options=options,
        on_termination=on_termination,
    )


def _texts(value: Any) -> bool:
    """A non-empty text, or a non-empty list of them."""
    if isinstance(value, str):
        return bool(value.strip())
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, str) and v.strip() for v in value)
    )


def _system_text(value: Any, where: str) -> Any:
    """``purposes = "..."`` (every language), a list of texts, or
    ``purposes = { nl = "...", fr = "..." }`` (each a text or a list of texts)."""
    if isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    ):
        return value
    if (
        isinstance(value, dict)
        and value
        and set(value) <= set(LANGUAGES)
        and all(_texts(v) for v in value.values())
    ):
        return dict(value)
    raise ConfigFileError(
        f"{where} must be a text, a list of texts, or a table of them per language "
        f'({", ".join(LANGUAGES)}), e.g. {{ nl = "Facturatie", fr = "Facturation" }}'
    )


def _title(value: Any, where: str) -> str | dict[str, str] | None:
    """``title = "Telefonie"`` or ``title = { nl = "Telefonie", en = "Telephony" }``."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        return value.strip()
    if (
        isinstance(value, dict)
        and value
        and set(value) <= set(TITLE_LANGUAGES)
        and all(isinstance(v, str) and v.strip() for v in value.values())
    ):
        return {k: v.strip() for k, v in value.items()}
    raise ConfigFileError(
        f"{where}.title must be a text, or a table of texts per language "
        f'({", ".join(TITLE_LANGUAGES)}), e.g. {{ nl = "Telefonie", fr = "Téléphonie" }}'
    )


def _substitute(value: Any, where: str) -> Any:
    if isinstance(value, str):

        def repl(match: re.Match[str]) -> str:
            var = match.group(1)
            if var not in os.environ:
                raise ConfigFileError(f"{where}: environment variable {var} is not set")
            return os.environ[var]

        return _ENV_REF.sub(repl, value)
    if isinstance(value, dict):
        return {k: _substitute(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, where) for v in value]
    return value
