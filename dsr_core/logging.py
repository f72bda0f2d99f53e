"""structlog, configured once for every logger: readable on a terminal, JSON lines to a file.

One processor chain serves structlog and stdlib loggers alike. Identifiers are hashed before
anything is rendered: a value under a key such as ``email``, ``phone`` or ``name`` becomes
``h:<12 hex>`` (keyed with the installation's log key, ``dsr_meta.log_key``, a secret of its
own: the same person gives the same hash in one installation and nothing outside it). That is
pseudonymisation: whoever holds the log key can test a candidate identifier. Anything under
a key such as ``password``, ``secret``, ``token`` or ``api_key`` is dropped to ``[redacted]``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import logging.handlers
import os
import re
import sys
from collections.abc import Iterable, MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

IDENTIFIER_KEYS = frozenset(
    {
        "email",
        "phone",
        "number",
        "name",
        "subject",
        "identity",
        "identities",
        "value",
        "address",
        "customer_id",
        "vat",
        "iban",
        "caller",
        "callee",
        "src",
        "dst",
        "clid",
    }
)
SECRET_KEYS = frozenset(
    {
        "password",
        "passwd",
        "secret",
        "token",
        "api_key",
        "apikey",
        "credential",
        "credentials",
        "authorization",
        "webhook_secret",
        "key",
    }
)

_configured = False
_hash_key = b""


def hash_identifier(value: Any) -> str:
    digest = hmac.new(_hash_key, str(value).encode(), hashlib.sha256).hexdigest()
    return f"h:{digest[:12]}"


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d ./-]{6,}\d")
TEXT_KEYS = frozenset({"traceback", "exception"})


def scrub_text(text: str, values: Iterable[str] = ()) -> str:
    """Free text (a traceback) with identifiers hashed: the given values (the subject's
    identities), then anything shaped like an e-mail address or a phone number."""
    for value in sorted({v for v in values if v and len(v) > 2}, key=len, reverse=True):
        text = text.replace(value, hash_identifier(value))
    text = _EMAIL.sub(lambda m: hash_identifier(m.group(0)), text)
    return _PHONE.sub(
        lambda m: (
            hash_identifier(m.group(0)) if sum(c.isdigit() for c in m.group(0)) >= 8 else m.group(0)
        ),
        text,
    )


def _redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        low = key.lower()
        if low in TEXT_KEYS and isinstance(event[key], str):
            event[key] = scrub_text(event[key])
        elif low in SECRET_KEYS or any(s in low for s in ("password", "secret", "token")):
            event[key] = "[redacted]"
        elif low in IDENTIFIER_KEYS and event[key] is not None:
            value = event[key]
            if isinstance(value, list | tuple | set | frozenset):
                event[key] = [hash_identifier(v) for v in value]
            else:
                event[key] = hash_identifier(value)
    return event


def _shared() -> list[Any]:
    import structlog  # a tenth of a second: only for commands that log

    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]


def configure(*, log_file: Path | None, verbose: bool = False, hash_key: bytes = b"") -> None:
    """Set up logging for the process: one chain, a terminal handler and a JSON-lines file.

    Calling it again (another home in the same process, as tests do) replaces the handlers.
    """
    import structlog

    global _configured, _hash_key
    _hash_key = hash_key
    shared = _shared()
    if not _configured:
        structlog.configure(
            processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
            cache_logger_on_first_use=True,
        )
        _configured = True
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
        old.close()
    root.setLevel(logging.DEBUG)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()),
            ],
        )
    )
    root.addHandler(console)
    handler = _file_handler(log_file, shared) if log_file is not None else None
    if handler is not None:
        root.addHandler(handler)
    for noisy in ("httpx", "httpcore", "sqlalchemy", "asyncio", "mail.log"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _file_handler(log_file: Path, shared: list[Any]) -> logging.Handler | None:
    import structlog

    try:
        _create_private(log_file)
        handler = logging.handlers.WatchedFileHandler(log_file, encoding="utf-8")
    except OSError:
        return None
    handler.setLevel(logging.INFO)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    return handler


def _create_private(log_file: Path) -> None:
    log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not log_file.exists():
        os.close(os.open(log_file, os.O_CREAT | os.O_WRONLY, 0o600))


def get_logger(name: str = "dsr") -> Any:
    """A logger on the one chain; outside the CLI (a library user, a benchmark) logging is
    set up on first use with warnings to the terminal and no file."""
    import structlog

    if not _configured:
        configure(log_file=None)
    return structlog.get_logger(name)


def log_info(
    log_file: Path | None, hash_key: bytes, logger: str, event: str, **fields: Any
) -> None:
    """One info line in the log file, as :func:`configure`'s chain writes it (identifiers
    hashed, secrets dropped), without loading structlog: for the light commands, which
    print nothing to the terminal at info level unless ``-v`` (they take the full path then).
    """
    global _hash_key
    if log_file is None:
        return
    previous, _hash_key = _hash_key, hash_key
    try:
        line = dict(_redact(None, "info", {**fields, "event": event}))
    finally:
        _hash_key = previous
    line["level"] = "info"
    line["logger"] = logger
    line["timestamp"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    try:
        _create_private(log_file)
        with log_file.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")
    except OSError:
        return
