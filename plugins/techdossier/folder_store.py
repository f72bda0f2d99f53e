"""The dossier folders on disk: the layout, reading it safely, deleting inside the root only.

Layout (one folder per customer, named by the customer id)::

    <root>/
      <customer_id>/
        subject.toml        optional: name = "...", emails = [...], phones = [...]
        notes/**/*.md       notes in Markdown, one record each (category dossier_note)
        assets.toml         [[asset]] tables, one record each (category asset)
        credentials.toml    [[credential]] tables, one record each (category credential)
        anything else       listed by path, size and date (category dossier_file), not read
      .dsr-erasing-<hex>/   a dossier being deleted: hidden, never read

A customer id names a folder only when it is a plain name (letters, digits, ``.``, ``_``,
``-``; not starting with ``.``). A dossier folder that is a symbolic link, or a file in it that
links outside it, is refused: :class:`~dsr_core.systems.PermanentError`, nothing touched.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tomllib
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dsr_core.identities import InvalidIdentity, normalise_email, parse_phone
from dsr_core.systems import PermanentError

from .common import plain

CUSTOMER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
TOMBSTONE = ".dsr-erasing-"
SUBJECT_FILE = "subject.toml"
ASSETS_FILE = "assets.toml"
CREDENTIALS_FILE = "credentials.toml"
NOTES_DIR = "notes"


@dataclass(frozen=True, slots=True)
class Entry:
    """One record's worth of a dossier; ``key`` is unique within the dossier."""

    key: str
    category: str
    fields: Mapping[str, Any]
    provided: bool = False


@dataclass(frozen=True, slots=True)
class Card:
    """What ``subject.toml`` says about whom the dossier is."""

    emails: frozenset[str]
    phones: frozenset[str]


class FolderStore:
    """The dossiers under one root."""

    def __init__(self, root: Path, region: str) -> None:
        self.root = root
        self.region = region

    # -- where things are -------------------------------------------------------------------
    def real_root(self) -> Path:
        """The root with every link resolved; refuses a root that is not a folder."""
        try:
            real = self.root.resolve(strict=True)
        except OSError:
            raise PermanentError(
                f"techdossier: the root folder {self.root} does not exist"
            ) from None
        if not real.is_dir():
            raise PermanentError(f"techdossier: the root {self.root} is not a folder")
        return real

    def folder(self, customer_id: str) -> Path | None:
        """The customer's dossier folder, or None when there is none.

        Refuses (PermanentError) an id that is not a plain folder name and a dossier folder
        that is a link or resolves anywhere but directly inside the root.
        """
        if not CUSTOMER_ID.fullmatch(customer_id):
            raise PermanentError(
                "techdossier: refused a customer id that is not a plain folder name "
                "(letters, digits, '.', '_', '-')"
            )
        root = self.real_root()
        path = root / customer_id
        if path.is_symlink():
            raise PermanentError(
                f"techdossier: refused: the dossier folder {customer_id!r} is a symbolic link"
            )
        if not path.exists():
            return None
        if not path.is_dir() or path.resolve(strict=True).parent != root:
            raise PermanentError(
                f"techdossier: refused: {customer_id!r} in the root is not a dossier folder"
            )
        return path

    def folders(self) -> Iterator[tuple[str, Path]]:
        """Every dossier folder (links, hidden folders and odd names skipped), sorted."""
        root = self.real_root()
        for path in sorted(root.iterdir()):
            name = path.name
            if name.startswith(".") or path.is_symlink() or not path.is_dir():
                continue
            if CUSTOMER_ID.fullmatch(name):
                yield name, path

    def problems(self) -> list[str]:
        """What ``check`` reports: links in the root, unfinished deletions, bad subject files."""
        try:
            root = self.real_root()
        except PermanentError as exc:
            return [str(exc)]
        found: list[str] = []
        for path in sorted(root.iterdir()):
            if path.name.startswith(TOMBSTONE):
                found.append(f"techdossier: an unfinished deletion remains: {path.name}")
            elif path.is_symlink():
                found.append(f"techdossier: {path.name!r} in the root is a link; it is ignored")
        for customer_id, folder in self.folders():
            try:
                self.card(customer_id, folder)
            except PermanentError as exc:
                found.append(str(exc))
        return found

    # -- reading ----------------------------------------------------------------------------
    def card(self, customer_id: str, folder: Path) -> Card | None:
        """The e-mails and numbers ``subject.toml`` names (normalised), or None."""
        data = self._toml(customer_id, folder, SUBJECT_FILE)
        if data is None:
            return None
        emails: set[str] = set()
        for raw in _strings(data.get("emails", data.get("email"))):
            try:
                emails.add(normalise_email(raw))
            except InvalidIdentity:
                continue
        phones = {
            number
            for raw in _strings(data.get("phones", data.get("phone")))
            if (number := parse_phone(raw, self.region))
        }
        return Card(frozenset(emails), frozenset(phones))

    def entries(self, customer_id: str, folder: Path) -> Iterator[Entry]:
        """Every record in the dossier; refuses links that lead outside it."""
        real = folder.resolve(strict=True)
        subject = self._toml(customer_id, folder, SUBJECT_FILE)
        if subject is not None:
            yield Entry("subject", "contact", plain(subject), provided=True)
        yield from self._tables(customer_id, folder, ASSETS_FILE, "asset", provided=False)
        yield from self._tables(customer_id, folder, CREDENTIALS_FILE, "credential", provided=True)
        layout = {SUBJECT_FILE, ASSETS_FILE, CREDENTIALS_FILE}
        for path in self._files(customer_id, folder, real):
            rel = path.relative_to(folder).as_posix()
            if rel in layout:
                continue
            if rel.startswith(f"{NOTES_DIR}/") and path.suffix.lower() == ".md":
                yield Entry(f"notes/{rel[len(NOTES_DIR) + 1 :]}", "dossier_note", _note(path, rel))
            else:
                yield Entry(f"files/{rel}", "dossier_file", _file_facts(path, rel))

    def _files(self, customer_id: str, folder: Path, real: Path) -> Iterator[Path]:
        """Every file under ``folder``, sorted; links are followed only inside the dossier."""
        for here, dirs, files in os.walk(folder, followlinks=False):
            dirs.sort()
            for name in [*dirs, *sorted(files)]:
                path = Path(here) / name
                if path.is_symlink():
                    self._inside(customer_id, folder, path, real)
                    if name in dirs:
                        continue  # a link to a folder inside the dossier: read there
                if name in files and path.exists():  # a dangling link holds nothing
                    yield path

    @staticmethod
    def _inside(customer_id: str, folder: Path, path: Path, real: Path) -> None:
        target = path.resolve()
        if not target.is_relative_to(real):
            rel = path.relative_to(folder).as_posix()
            raise PermanentError(
                f"techdossier: refused: {customer_id}/{rel} links outside the dossier"
            )

    def _toml(self, customer_id: str, folder: Path, name: str) -> dict[str, Any] | None:
        path = folder / name
        if not path.exists() and not path.is_symlink():
            return None
        self._inside(customer_id, folder, path, folder.resolve(strict=True))
        try:
            with path.open("rb") as handle:
                return tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise PermanentError(
                f"techdossier: {customer_id}/{name} is not valid TOML ({exc})"
            ) from None
        except OSError as exc:
            raise PermanentError(
                f"techdossier: cannot read {customer_id}/{name} ({exc.strerror})"
            ) from None

    def _tables(
        self, customer_id: str, folder: Path, name: str, category: str, *, provided: bool
    ) -> Iterator[Entry]:
        data = self._toml(customer_id, folder, name)
        if data is None:
            return
        base = name.removesuffix(".toml")
        items = data.get(category, data.get(base, []))
        if not isinstance(items, list):
            items = [items]
        rest = {k: v for k, v in data.items() if k not in (category, base)}
        if rest:
            yield Entry(f"{base}/(file)", category, plain(rest), provided)
        seen: set[str] = set()
        for number, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                item = {"value": item}
            key = f"{base}/{item.get('id', f'#{number}')}"
            if key in seen:
                key = f"{key}~{number}"
            seen.add(key)
            yield Entry(key, category, plain(item), provided)

    # -- deleting ---------------------------------------------------------------------------
    def remove(self, customer_id: str) -> bool:
        """Delete the customer's dossier; False when there is none.

        The folder is checked against the root right before anything changes, renamed to a
        hidden tombstone in the root (one atomic step: the dossier is gone for every reader),
        and the tombstone deleted (``shutil.rmtree`` removes links, never what they point to).
        """
        folder = self.folder(customer_id)
        if folder is None:
            return False
        root = self.real_root()
        tomb = root / f"{TOMBSTONE}{uuid.uuid4().hex}"
        try:
            os.rename(folder, tomb)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EBUSY):
                raise PermanentError(
                    f"techdossier: cannot delete the dossier ({exc.strerror})"
                ) from None
            tomb = folder  # a mount point: delete in place
        self._delete(tomb, root)
        return True

    def purge(self) -> int:
        """Finish deletions an earlier run left half-done; returns how many."""
        root = self.real_root()
        count = 0
        for path in sorted(root.iterdir()):
            if path.name.startswith(TOMBSTONE) and path.is_dir() and not path.is_symlink():
                self._delete(path, root)
                count += 1
        return count

    @staticmethod
    def _delete(path: Path, root: Path) -> None:
        if path.is_symlink() or path.resolve(strict=True).parent != root:
            raise PermanentError("techdossier: refused to delete outside the root")
        try:
            shutil.rmtree(path)
        except OSError as exc:
            raise PermanentError(
                f"techdossier: could not finish deleting a dossier ({exc.strerror}); "
                f"delete {path.name} in the root by hand"
            ) from None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _modified(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).isoformat(timespec="seconds")


def _note(path: Path, rel: str) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8", errors="replace")
    title = next(
        (line.lstrip("#").strip() for line in text.splitlines() if line.startswith("# ")),
        path.stem,
    )
    return {"file": rel, "title": title, "text": text, "modified": _modified(path)}


def _file_facts(path: Path, rel: str) -> dict[str, Any]:
    return {"file": rel, "size": path.stat().st_size, "modified": _modified(path)}
