"""A single-file plugin for the engine tests, loaded through ``--plugins-dir``.

System type ``test-store``: records in a JSON file, with knobs to be slow, fail, hang, find
further identities, and log each step it runs (one line appended per completed step, so tests
can count executions across processes).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from dsr_core import hookimpl
from dsr_core.model import Action, Identity, IdentityKind, Outcome, Record, RequestKind, Subject
from dsr_core.systems import ConfigError, PermanentError, System, TransientError

ALL = frozenset(RequestKind)


def _identity(spec: dict[str, Any], system: str) -> Identity:
    """``{"kind", "value", "valid_from"?, "valid_to"?}`` as an identity this system found."""
    period = [
        date.fromisoformat(spec[k]) if spec.get(k) else None for k in ("valid_from", "valid_to")
    ]
    return Identity(IdentityKind(spec["kind"]), spec["value"], *period, source=system)


class TestStore(System):
    description = "records in a JSON file, for tests"
    kinds = frozenset(
        {RequestKind.ACCESS, RequestKind.PORTABILITY, RequestKind.ERASURE, RequestKind.OBJECTION}
    )
    config_keys = {
        "path": "",
        "delay": "",
        "transient_failures": "",
        "permanent_error": "",
        "hang": "",
        "expand": "",
        "log": "",
        "keep_until": "",
        "hang_step": "",
        "block_after_erase": "",
        "unread": "",
        "crash": "",
    }
    required_keys = frozenset({"path"})

    def __init__(self, name: str, config: Any, context: Any) -> None:
        super().__init__(name, config, context)
        if not isinstance(self.config["path"], str):
            raise ConfigError(f"systems.{name}: 'path' must be text")
        self.path = context.resolve(self.config["path"])
        self.delay = float(self.config.get("delay", 0))

    # helpers
    def _rows(self) -> list[dict[str, Any]]:
        return json.loads(self.path.read_text()) if self.path.exists() else []

    def _save(self, rows: list[dict[str, Any]]) -> None:
        tmp = self.path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(rows))
        os.replace(tmp, self.path)

    def _log(self, step: str, subject: Subject) -> None:
        log = self.config.get("log")
        if log:
            who = ",".join(sorted(subject.values(IdentityKind.EMAIL))) or "-"
            with open(self.context.resolve(log), "a") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                fh.write(f"{self.name} {step} {who} {os.getpid()}\n")

    def _misbehave(self, step: str) -> None:
        if self.config.get("hang") and self.config.get("hang_step", step) == step:
            time.sleep(3600)
        if self.delay:
            time.sleep(self.delay)
        if self.config.get("permanent_error"):
            raise PermanentError(str(self.config["permanent_error"]))
        failures = int(self.config.get("transient_failures", 0))
        if failures:
            counter = self.context.resolve(f"{self.name}.{step}.failures")
            seen = int(counter.read_text()) if counter.exists() else 0
            if seen < failures:
                counter.write_text(str(seen + 1))
                raise TransientError(f"{self.name} is busy (try {seen + 1})")

    def _mine(self, subject: Subject, keys: Sequence[Identity]) -> list[dict[str, Any]]:
        values = {k.value for k in keys} | {i.value for i in subject.identities}
        return [r for r in self._rows() if r.get("email") in values or r.get("phone") in values]

    # contract
    def locate(self, subject: Subject) -> Sequence[Identity]:
        self._misbehave("locate")
        if self.config.get("crash") == "locate":
            # a bug in a plugin, on purpose: the message holds the subject's e-mail address
            int(sorted(subject.values(IdentityKind.EMAIL))[0])
        # What it finds is searched in turn until nothing new appears, as System.locate asks
        # (the core does not ask a system again for identities it found itself).
        values = {i.value for i in subject.identities}
        found: list[Identity] = []
        while True:
            found = []
            for row in self._rows():
                if row.get("email") in values:
                    found.append(Identity(IdentityKind.EMAIL, row["email"]))
                if row.get("phone") in values:
                    found.append(Identity(IdentityKind.PHONE, row["phone"]))
                if row.get("email") in values or row.get("phone") in values:
                    # what the row says about its holder (a CRM's number history)
                    found.extend(_identity(extra, self.name) for extra in row.get("knows", []))
            if found:
                for extra in self.config.get("expand", []):
                    found.append(
                        Identity(IdentityKind(extra["kind"]), extra["value"], source=self.name)
                    )
            more = {i.value for i in found} - values
            if not more:
                break
            values |= more
        self._log("locate", subject)
        return list({i.key: i for i in found}.values())

    def access(self, subject: Subject, keys: Sequence[Identity]) -> Iterator[Record]:
        self._misbehave("access")
        for row in self._mine(subject, keys):
            yield Record(
                self.name,
                row.get("category", "contact"),
                str(row["id"]),
                row.get("fields", {}),
                source="tests",
                provided_by_subject=bool(row.get("provided", True)),
                secret_fields=frozenset(row.get("secret", [])),
            )
        self._log("access", subject)

    def erase(
        self, subject: Subject, keys: Sequence[Identity], *, dry_run: bool
    ) -> Iterator[Outcome]:
        self._misbehave("erase")
        # Several steps erase at once (workers, a batch's threads): each reads, changes and
        # writes the file under a lock, as a database's transactions would.
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            out = self._erase_rows(subject, keys, dry_run=dry_run)
        yield from out
        if not dry_run and self.config.get("block_after_erase") == "yield":
            self._erased_then_block()

    def _erase_rows(
        self, subject: Subject, keys: Sequence[Identity], *, dry_run: bool
    ) -> list[Outcome]:
        rows = self._rows()
        mine = {r["id"] for r in self._mine(subject, keys)}
        today = self.context.today()
        keep_until = self.config.get("keep_until")
        out, rest = [], []
        for row in rows:
            if row["id"] not in mine:
                rest.append(row)
                continue
            until = date.fromisoformat(row["keep_until"]) if row.get("keep_until") else None
            if until is None and keep_until:
                until = date.fromisoformat(keep_until)
            if until is not None and until >= today:
                rest.append(row)
                out.append(
                    Outcome(
                        str(row["id"]),
                        row.get("category", "contact"),
                        Action.KEPT,
                        basis="tests: legal hold",
                        until=until,
                    )
                )
            else:
                out.append(Outcome(str(row["id"]), row.get("category", "contact"), Action.ERASED))
        if not dry_run:
            self._save(rest)
            self._log("erase", subject)
        return out

    def _erased_then_block(self) -> None:
        """The erasure is done and its outcomes handed over; the process is then killed
        before the engine records the step's end."""
        self.context.resolve(f"{self.name}.erased").write_text("erased")
        time.sleep(3600)

    def warnings(self) -> Sequence[str]:
        if self.config.get("block_after_erase") == "warnings" and any(
            line.startswith(f"{self.name} erase ") for line in self._log_lines()
        ):
            self._erased_then_block()
        return ()

    def unreadable(self) -> Sequence[str]:
        return [str(line) for line in self.config.get("unread", [])]

    def _log_lines(self) -> list[str]:
        log = self.config.get("log")
        path = self.context.resolve(log) if log else None
        return path.read_text().splitlines() if path and path.exists() else []

    def object(
        self, subject: Subject, keys: Sequence[Identity], *, dry_run: bool
    ) -> Iterator[Outcome]:
        for row in self._mine(subject, keys):
            yield Outcome(str(row["id"]), "marketing", Action.OPTED_OUT)


@hookimpl
def dsr_register_systems(register: Any) -> None:
    register("test-store", TestStore)


__all__ = ["Path", "TestStore"]
