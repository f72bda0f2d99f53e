"""A controller like the demo's (CRM in SQLite, Asterisk call log, technical dossiers) in the
``dsr`` fixture's home, for tests that drive it through the command line as staff would; the
real loopback SMTP server (aiosmtpd) shared with tests/letters."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dsr_plugins.demo import sample
from tests.loopback import SmtpServerInfo, smtp_server

__all__ = ["SmtpServerInfo", "Voxtra", "smtp_server", "voxtra"]


@dataclass
class Voxtra:
    dsr: Any
    home: Path

    @property
    def config(self) -> Path:
        return self.home / "dsr.toml"

    def crm(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        db = sqlite3.connect(self.home / "crm.sqlite3")
        try:
            rows = db.execute(sql, args).fetchall()
            db.commit()
            return rows
        finally:
            db.close()

    def calls_digest(self) -> str:
        return hashlib.sha256((self.home / "pbx" / "Master.csv").read_bytes()).hexdigest()

    def edit_config(self, old: str, new: str) -> None:
        text = self.config.read_text(encoding="utf-8")
        assert old in text, old
        self.config.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def voxtra(dsr: Any) -> Voxtra:
    sample.build(dsr.home, date.today())
    dsr("init")
    return Voxtra(dsr, dsr.home)
