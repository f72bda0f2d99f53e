"""The zip file itself: owner-only from creation, filled by one writer thread, renamed at the end.

A zip file takes one entry at a time, and deflating is the slowest step of an export, so the
entries are written by a background thread while the caller goes on serialising records:
zlib, SHA-256, AES and file writes all release the GIL, so the two really run in parallel.
The caller hands the thread either a *stream* (one entry at a time, fed chunk by chunk while it
is produced) or a finished :class:`~dsr_core.export.spool.Spool` to copy. The thread computes
each entry's size and SHA-256 as it writes.

Nothing is written under the final name until :meth:`ZipOut.commit`: the zip grows under a
hidden temporary name in the target's folder (created 0600 with ``O_EXCL``) and is renamed
when complete. Any failure, or leaving the ``with`` block without committing, deletes it.

With a password the zip is AES-256 encrypted in the WinZip AE-2 format (pyzipper
``AESZipFile``, ``WZ_AES``), which 7-Zip, WinZip, WinRAR, Keka and The Unarchiver open; the
Windows Explorer and macOS Archive Utility built-ins do not. Entry *contents* are encrypted;
entry names and sizes are not (names never hold personal data).
"""

from __future__ import annotations

import hashlib
import os
import queue
import secrets
import threading
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import pyzipper

from .spool import Spool
from .types import BundleError, BundleFile

#: Size of the pieces handed to and written by the writer thread.
CHUNK = 1 << 20
#: Pieces waiting for the writer thread at most (bounds memory when it falls behind).
_QUEUE_ITEMS = 8
#: A stream of unknown length always gets ZIP64 headers; anything known gets them past this.
_ZIP64_FROM = int(zipfile.ZIP64_LIMIT / 1.05)

#: Turns a spool's bytes into the entry's body (after the header), chunk by chunk.
BodyTransform = Callable[[BinaryIO], Iterable[bytes]]


class _Open:
    __slots__ = ("name", "zip64")

    def __init__(self, name: str, zip64: bool) -> None:
        self.name = name
        self.zip64 = zip64


class _Close:
    __slots__ = ()


class _Copy:
    __slots__ = ("name", "spool", "header", "transform")

    def __init__(
        self, name: str, spool: Spool, header: bytes, transform: BodyTransform | None
    ) -> None:
        self.name = name
        self.spool = spool
        self.header = header
        self.transform = transform


class _Barrier:
    __slots__ = ("reached",)

    def __init__(self) -> None:
        self.reached = threading.Event()


class _Stop:
    __slots__ = ()


_Item = bytes | _Open | _Close | _Copy | _Barrier | _Stop


class _Aborted(Exception):
    """The caller gave up: the writer thread stops copying."""


class StreamEntry:
    """An entry being written while its content is produced; only one is open at a time."""

    def __init__(self, out: ZipOut) -> None:
        self._out = out
        self._parts: list[bytes] = []
        self._pending = 0

    def write(self, data: bytes) -> None:
        self._parts.append(data)
        self._pending += len(data)
        if self._pending >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self._parts:
            data = self._parts[0] if len(self._parts) == 1 else b"".join(self._parts)
            self._parts.clear()
            self._pending = 0
            self._out._put(data)

    def close(self) -> None:
        self._flush()
        self._out._end_stream()


class ZipOut:
    """Writes one zip to ``target`` atomically; see the module docstring.

    Use as a context manager and call :meth:`commit` inside it; an exception (or no commit)
    removes the temporary file.
    """

    def __init__(
        self,
        target: Path,
        *,
        password: str | None = None,
        compresslevel: int = 1,
        overwrite: bool = False,
    ) -> None:
        self.target = target
        self.encrypted = password is not None
        self._overwrite = overwrite
        self._temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(self._temp, flags, 0o600)
        try:
            self._file: BinaryIO = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            os.unlink(self._temp)
            raise
        try:
            self._zip = self._open_zip(password, compresslevel)
        except BaseException:
            self._file.close()
            os.unlink(self._temp)
            raise
        self._queue: queue.Queue[_Item] = queue.Queue(maxsize=_QUEUE_ITEMS)
        self._files: list[BundleFile] = []
        self._error: BaseException | None = None
        self._abort = threading.Event()
        self._streaming = False
        self._finished = False
        # The writer thread's entry in progress.
        self._entry: BinaryIO | None = None
        self._entry_name = ""
        self._entry_hash = hashlib.sha256()
        self._entry_size = 0
        self._thread = threading.Thread(target=self._run, name="dsr-bundle-zip", daemon=True)
        self._thread.start()

    def _open_zip(self, password: str | None, level: int) -> zipfile.ZipFile:
        if password is None:
            return zipfile.ZipFile(
                self._file, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=level
            )
        archive = pyzipper.AESZipFile(
            self._file,
            "w",
            compression=pyzipper.ZIP_DEFLATED,
            allowZip64=True,
            compresslevel=level,
            encryption=pyzipper.WZ_AES,
            encryption_kwargs={"nbits": 256},
        )
        archive.setpassword(password.encode("utf-8"))
        return archive  # type: ignore[no-any-return]

    # -- the caller's side ----------------------------------------------------------------------
    def __enter__(self) -> ZipOut:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._finished:
            self.abort()

    def stream(self, name: str) -> StreamEntry:
        """Open entry ``name`` to be written piece by piece (ZIP64: its size is unknown)."""
        if self._streaming:
            raise RuntimeError("another streamed entry is still open")
        self._put(_Open(name, zip64=True))
        self._streaming = True
        return StreamEntry(self)

    def _end_stream(self) -> None:
        self._put(_Close())
        self._streaming = False

    @property
    def streaming(self) -> bool:
        """True while a streamed entry is open (a second one must wait or be spooled)."""
        return self._streaming

    def add_spool(
        self,
        name: str,
        spool: Spool,
        *,
        header: bytes = b"",
        transform: BodyTransform | None = None,
    ) -> None:
        """Queue entry ``name``: ``header``, then the spool (through ``transform`` if given).

        The spool now belongs to the writer thread, which closes it.
        """
        self._put(_Copy(name, spool, header, transform))

    def add_bytes(self, name: str, data: bytes) -> None:
        """Queue a small entry written in one piece."""
        self._put(_Open(name, zip64=len(data) > _ZIP64_FROM))
        self._put(data)
        self._put(_Close())

    def wait(self) -> list[BundleFile]:
        """Wait until everything queued is written; the files written so far, in order."""
        barrier = _Barrier()
        self._put(barrier)
        while not barrier.reached.wait(0.5):
            if not self._thread.is_alive():
                raise BundleError("the zip writer stopped")
        self._check()
        return list(self._files)

    def commit(self) -> Path:
        """Finish the zip and move it to the target path (refusing to replace a file unless
        ``overwrite``). Returns the target path."""
        self._put(_Stop())
        self._thread.join()
        self._check()
        self._finished = True
        try:
            self._zip.close()
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._publish()
        except BaseException:
            self._remove_temp()
            raise
        return self.target

    def abort(self) -> None:
        """Stop the writer thread and delete the temporary file."""
        self._finished = True
        self._abort.set()
        if self._thread.is_alive():
            self._queue.put(_Stop())
            self._thread.join()
        try:
            self._zip.close()
        except Exception:  # noqa: BLE001 - the file is deleted anyway
            pass
        self._remove_temp()

    def _publish(self) -> None:
        if self._overwrite:
            os.replace(self._temp, self.target)
        else:
            try:
                os.link(self._temp, self.target)  # fails if the target appeared meanwhile
            except FileExistsError:
                raise
            except OSError:  # a file system without hard links
                if self.target.exists():
                    raise FileExistsError(f"{self.target} exists") from None
                os.replace(self._temp, self.target)
            else:
                os.unlink(self._temp)
        _fsync_dir(self.target.parent)

    def _remove_temp(self) -> None:
        if not self._file.closed:
            self._file.close()
        try:
            os.unlink(self._temp)
        except FileNotFoundError:
            pass

    def _put(self, item: _Item) -> None:
        self._check()
        while True:
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                self._check()
                if not self._thread.is_alive():
                    raise BundleError("the zip writer stopped") from None

    def _check(self) -> None:
        if self._error is not None:
            raise BundleError(f"writing the zip failed: {self._error}") from self._error

    # -- the writer thread ----------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if isinstance(item, _Stop):
                break
            try:
                if self._error is not None or self._abort.is_set():
                    self._discard(item)
                else:
                    self._handle(item)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller by _check
                self._error = exc
                self._discard(item)
        if self._entry is not None:  # failed or aborted mid-entry
            try:
                self._entry.close()
            except Exception:  # noqa: BLE001 - the file is deleted anyway
                pass
            self._entry = None

    def _handle(self, item: _Item) -> None:
        if isinstance(item, bytes):
            assert self._entry is not None
            self._entry.write(item)
            self._entry_hash.update(item)
            self._entry_size += len(item)
        elif isinstance(item, _Open):
            self._begin(item.name, zip64=item.zip64)
        elif isinstance(item, _Close):
            self._end()
        elif isinstance(item, _Copy):
            self._copy(item)
        elif isinstance(item, _Barrier):
            item.reached.set()

    def _begin(self, name: str, *, zip64: bool) -> None:
        self._entry = self._zip.open(name, "w", force_zip64=zip64)  # type: ignore[assignment]
        self._entry_name = name
        self._entry_hash = hashlib.sha256()
        self._entry_size = 0

    def _end(self) -> None:
        assert self._entry is not None
        self._entry.close()
        self._entry = None
        digest = self._entry_hash.hexdigest()
        self._files.append(BundleFile(self._entry_name, self._entry_size, digest))

    def _copy(self, job: _Copy) -> None:
        try:
            source = job.spool.read_from_start()
            known = len(job.header) + job.spool.size
            zip64 = known > _ZIP64_FROM or (job.transform is not None and known > _ZIP64_FROM // 8)
            self._begin(job.name, zip64=zip64)
            assert self._entry is not None
            entry, digest = self._entry, self._entry_hash
            pieces: Iterable[bytes] = (
                job.transform(source) if job.transform else iter(lambda: source.read(CHUNK), b"")
            )
            if job.header:
                entry.write(job.header)
                digest.update(job.header)
                self._entry_size += len(job.header)
            for piece in pieces:
                if self._abort.is_set():
                    raise _Aborted
                entry.write(piece)
                digest.update(piece)
                self._entry_size += len(piece)
            self._end()
        finally:
            job.spool.close()

    def _discard(self, item: _Item) -> None:
        if isinstance(item, _Copy):
            item.spool.close()
        elif isinstance(item, _Barrier):
            item.reached.set()


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
