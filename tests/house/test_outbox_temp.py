"""A send killed half-way leaves no temporary ``.eml`` file behind for good."""

from __future__ import annotations

import os
import time
from pathlib import Path

from dsr_plugins.suppliers.email import FileTransport
from tests.suppliers.conftest import controller, email_supplier, make_notice

__all__ = ["controller", "make_notice"]  # fixtures


def _leftover(outbox: Path, name: str, age_seconds: float) -> Path:
    """What a writer killed between creating and renaming its temporary file leaves."""
    path = outbox / f".{name}.k1ll3d.tmp"
    path.write_bytes(b"To: privacy@telco.example\n\nhalf a message about jan@peeters.example")
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


def test_the_next_send_removes_what_a_killed_send_left(make_notice, controller, tmp_path):
    outbox = tmp_path / "outbox"
    outbox.mkdir(mode=0o700)
    same = _leftover(outbox, "N-3-1.eml", age_seconds=1)
    stale = _leftover(outbox, "N-2-1.eml", age_seconds=3600)
    busy = _leftover(outbox, "N-4-1.eml", age_seconds=1)  # another sender may be writing it
    result = FileTransport(controller, outbox).send(
        make_notice(notice_id="N-3-1"), email_supplier("en")
    )
    assert result.delivered
    assert not same.exists() and not stale.exists()
    assert busy.exists()
    assert sorted(os.listdir(outbox)) == sorted(["N-3-1.eml", busy.name])
