"""The zip file itself: owner-only from creation, filled by one writer thread, renamed at the end.

A zip file takes one entry at a time, and deflating is the slowest step of an export, so the
entries are written by a background thread while the caller goes on serialising records:
zlib, SHA-256, AES and file writes all release the GIL, so the two really run in parallel.
The caller hands the thread either a *stream* (one entry at a time, fed chunk by chunk while it
is produced) or a finished :class:`~dsr_core.export.spool.Spool` to copy. The thread computes
each entry's size and SHA-256 as it writes.

Only one entry can be open at a time, yet an export produces several files at once (a
category's JSON and CSV). Rather than keeping the others raw and deflating them all at the end
(the zip writer's work would then follow the caller's instead of overlapping it), the thread
deflates them too as they come, into a :class:`Packed` spool of compressed bytes with their
CRC-32, size and SHA-256; when the file is complete its compressed bytes are copied into the
zip as they are (and encrypted, with a password). A packed file can still be read back
inflated, for a file whose beginning must change after all (a CSV header).

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
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from .spool import Spool
from .types import BundleError, BundleFile

#: Size of the pieces handed to and written by the writer thread. Large, because each piece
#: costs the thread a few waits for the GIL (after each zlib, CRC, SHA-256 and write call)
#: while the caller's thread runs Python: up to the switch interval, 5 ms, each. Buffered and
#: queued bytes stay within _BUFFER_CHUNKS + _QUEUE_CHUNKS chunks (48 MiB), plus the piece
#: being joined and the one being written.
CHUNK = 8 << 20
#: Bytes the caller's writers may buffer in all before handing pieces on, in chunks (each
#: buffers up to a chunk: this bounds the sum when many files are written at once).
_BUFFER_CHUNKS = 2
#: Bytes waiting for the writer thread at most, in chunks (bounds memory when it falls behind;
#: a larger piece is let through alone).
_QUEUE_CHUNKS = 4
#: A stream of unknown length always gets ZIP64 headers; anything known gets them past this.
_ZIP64_FROM = int(zipfile.ZIP64_LIMIT / 1.05)

#: What zlib writes before a gzip stream's deflate data (no name, no extra field).
_GZIP_HEADER = 10

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


class _Feed:
    __slots__ = ("packed", "data")

    def __init__(self, packed: Packed, data: bytes) -> None:
        self.packed = packed
        self.data = data


class _CopyPacked:
    __slots__ = ("name", "packed")

    def __init__(self, name: str, packed: Packed) -> None:
        self.name = name
        self.packed = packed


class _Barrier:
    __slots__ = ("reached",)

    def __init__(self) -> None:
        self.reached = threading.Event()


class _Stop:
    __slots__ = ()


_Item = bytes | _Open | _Close | _Copy | _Feed | _CopyPacked | _Barrier | _Stop


class _Aborted(Exception):
    """The caller gave up: the writer thread stops copying."""


class _Buffered:
    """The caller's side of a file written piece by piece: buffers what is written and hands it
    to the writer thread in pieces of about :data:`CHUNK` bytes."""

    def __init__(self, out: ZipOut) -> None:
        self._out = out
        self._parts: list[bytes] = []
        self._pending = 0
        #: Bytes written so far.
        self.size = 0

    def write(self, data: bytes) -> None:
        self._parts.append(data)
        self._pending += len(data)
        self.size += len(data)
        out = self._out
        out._buffered += len(data)
        if self._pending >= CHUNK or out._buffered >= _BUFFER_CHUNKS * CHUNK:
            self.flush()

    def flush(self) -> None:
        if self._parts:
            data = self._parts[0] if len(self._parts) == 1 else b"".join(self._parts)
            self._parts.clear()
            self._out._buffered -= self._pending
            self._pending = 0
            self._send(data)

    def _send(self, data: bytes) -> None:
        raise NotImplementedError


class StreamEntry(_Buffered):
    """An entry being written while its content is produced; only one is open at a time."""

    def _send(self, data: bytes) -> None:
        self._out._put(data)

    def close(self) -> None:
        self.flush()
        self._out._end_stream()


class Packed:
    """A file deflated as it is written, kept as compressed bytes in a :class:`Spool` until it is
    copied into the zip; the writer thread does all of its work.

    ``size``, ``crc`` (once sealed) and ``sha256`` are those of the uncompressed bytes. zlib
    writes a gzip stream, only to compute the CRC-32 as it deflates (it is in the trailer):
    one call less per piece, and each call costs the thread a wait for the GIL. The gzip
    header and trailer are left out of the spool, which holds the raw deflate stream a zip
    entry holds.
    """

    def __init__(self, directory: Path | None, level: int) -> None:
        self.spool = Spool(directory)
        self.size = 0
        self.crc = 0
        self.sha256 = hashlib.sha256()
        self._deflate: zlib._Compress | None = zlib.compressobj(level, zlib.DEFLATED, 16 + 15)
        self._header = _GZIP_HEADER  # bytes of the gzip header still to leave out

    def feed(self, data: bytes) -> None:
        assert self._deflate is not None
        self.size += len(data)
        self.sha256.update(data)
        self._keep(self._deflate.compress(data))

    def _keep(self, packed: bytes) -> None:
        if self._header:
            cut = min(self._header, len(packed))
            packed = packed[cut:]
            self._header -= cut
        if packed:
            self.spool.write(packed)

    def seal(self) -> None:
        """End the deflate stream (nothing more can be fed)."""
        if self._deflate is not None:
            tail = self._deflate.flush()
            self._deflate = None
            # The gzip trailer: CRC-32 and size modulo 2**32, little-endian.
            self.crc = int.from_bytes(tail[-8:-4], "little")
            if int.from_bytes(tail[-4:], "little") != self.size & 0xFFFFFFFF:
                raise ValueError("deflate stream ends with a wrong size")
            self._keep(tail[:-8])

    def inflated(self, skip: int = 0) -> _Inflating:
        """The uncompressed bytes after the first ``skip``, as a readable file."""
        self.seal()
        return _Inflating(self.spool.read_from_start(), skip)

    def close(self) -> None:
        self._deflate = None
        self.spool.close()


class _Unpacked:
    """A :class:`Packed` file read back inflated, without its first ``skip`` bytes, for
    :meth:`ZipOut.add_spool` (which takes anything with these three members)."""

    def __init__(self, packed: Packed, skip: int) -> None:
        self.packed = packed
        self.skip = skip

    @property
    def size(self) -> int:
        return self.packed.size - self.skip

    def read_from_start(self) -> BinaryIO:
        return self.packed.inflated(self.skip)  # type: ignore[return-value]

    def close(self) -> None:
        self.packed.close()


class _Inflating:
    """Reads a raw deflate stream back as the bytes it holds, never more than asked for."""

    def __init__(self, source: BinaryIO, skip: int) -> None:
        self._source = source
        self._inflate = zlib.decompressobj(-15)
        self._rest = b""
        self._eof = False
        while skip > 0:
            data = self.read(min(skip, CHUNK))
            if not data:
                raise ValueError("packed file shorter than its header")
            skip -= len(data)

    def read(self, size: int = CHUNK) -> bytes:
        inflate = self._inflate
        while not self._rest and not self._eof:
            if inflate.unconsumed_tail:
                self._rest = inflate.decompress(inflate.unconsumed_tail, CHUNK)
            else:
                packed = self._source.read(CHUNK)
                if packed:
                    self._rest = inflate.decompress(packed, CHUNK)
                else:
                    self._rest = inflate.flush()
                    self._eof = True
        if size < 0 or size >= len(self._rest):
            data, self._rest = self._rest, b""
        else:
            data, self._rest = self._rest[:size], self._rest[size:]
        return data


class PackedWriter(_Buffered):
    """The caller's side of a :class:`Packed` file."""

    def __init__(self, out: ZipOut, directory: Path | None) -> None:
        super().__init__(out)
        self.packed = Packed(directory, out.compresslevel)
        out._packs.add(self.packed)

    def _send(self, data: bytes) -> None:
        self._out._put(_Feed(self.packed, data))


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
        self.compresslevel = compresslevel
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
        self._queue: queue.Queue[_Item] = queue.Queue()
        #: Bytes queued and not yet written, guarded by ``_room``.
        self._queued = 0
        #: Bytes buffered by the caller's writers (:class:`_Buffered`), not yet queued.
        self._buffered = 0
        self._room = threading.Condition()
        self._files: list[BundleFile] = []
        self._error: BaseException | None = None
        self._abort = threading.Event()
        self._streaming = False
        self._finished = False
        #: Packed files not yet copied into the zip (the writer thread closes them).
        self._packs: set[Packed] = set()
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
        import pyzipper  # ~0.1 s with its AES library: only for an encrypted bundle

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

    def packed(self, directory: Path | None) -> PackedWriter:
        """A file deflated by the writer thread while it is written, spooled in ``directory``
        until :meth:`add_packed` copies it in (or :meth:`add_spool` inflates it back)."""
        return PackedWriter(self, directory)

    def add_packed(self, name: str, writer: PackedWriter) -> None:
        """Queue entry ``name`` with what was written to ``writer``, compressed as it is."""
        writer.flush()
        self._put(_CopyPacked(name, writer.packed))

    def add_unpacked(
        self,
        name: str,
        writer: PackedWriter,
        *,
        skip: int = 0,
        header: bytes = b"",
        transform: BodyTransform | None = None,
    ) -> None:
        """Like :meth:`add_spool` for what was written to ``writer`` but its first ``skip`` bytes
        (inflated again: for a file whose beginning must change)."""
        writer.flush()
        self._put(_Copy(name, _Unpacked(writer.packed, skip), header, transform))  # type: ignore[arg-type]

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
        size = _payload(item)
        if size:
            with self._room:
                while self._queued and self._queued + size > _QUEUE_CHUNKS * CHUNK:
                    self._room.wait(0.5)
                    self._check()
                    if not self._thread.is_alive():
                        raise BundleError("the zip writer stopped")
                self._queued += size
        self._queue.put(item)

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
            size = _payload(item)
            if size:
                with self._room:
                    self._queued -= size
                    self._room.notify()
        if self._entry is not None:  # failed or aborted mid-entry
            try:
                self._entry.close()
            except Exception:  # noqa: BLE001 - the file is deleted anyway
                pass
            self._entry = None
        for packed in self._packs:  # never copied: the export failed
            packed.close()
        self._packs.clear()

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
        elif isinstance(item, _Feed):
            item.packed.feed(item.data)
        elif isinstance(item, _Copy):
            self._copy(item)
        elif isinstance(item, _CopyPacked):
            self._copy_packed(item)
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
        if isinstance(job.spool, _Unpacked):
            self._packs.discard(job.spool.packed)
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

    def _copy_packed(self, job: _CopyPacked) -> None:
        packed = job.packed
        self._packs.discard(packed)
        try:
            packed.seal()
            zip64 = max(packed.size, packed.spool.size) > _ZIP64_FROM
            self._begin(job.name, zip64=zip64)
            entry = self._entry
            assert entry is not None
            if getattr(entry, "_compressor", None) is None or not all(
                hasattr(entry, name) for name in ("_crc", "_file_size")
            ):
                # An entry writer unlike CPython's and pyzipper's: deflate it again.
                self._copy_body(packed.inflated())
            else:
                # The entry deflates what it is given: give it deflated bytes through a
                # compressor that passes them on, then set the CRC and size of the file itself.
                entry._compressor = _AlreadyDeflated()  # type: ignore[attr-defined]
                source = packed.spool.read_from_start()
                for piece in iter(lambda: source.read(CHUNK), b""):
                    if self._abort.is_set():
                        raise _Aborted
                    entry.write(piece)
                entry._crc = packed.crc  # type: ignore[attr-defined]
                entry._file_size = packed.size  # type: ignore[attr-defined]
                self._entry_hash = packed.sha256
                self._entry_size = packed.size
            self._end()
        finally:
            packed.close()

    def _copy_body(self, source: BinaryIO) -> None:
        assert self._entry is not None
        entry, digest = self._entry, self._entry_hash
        for piece in iter(lambda: source.read(CHUNK), b""):
            if self._abort.is_set():
                raise _Aborted
            entry.write(piece)
            digest.update(piece)
            self._entry_size += len(piece)

    def _discard(self, item: _Item) -> None:
        if isinstance(item, _CopyPacked):
            self._packs.discard(item.packed)
            item.packed.close()
        elif isinstance(item, _Copy):
            if isinstance(item.spool, _Unpacked):
                self._packs.discard(item.spool.packed)
            item.spool.close()
        elif isinstance(item, _Barrier):
            item.reached.set()


def _payload(item: _Item) -> int:
    """The bytes an item carries (what the queue's bound counts)."""
    if isinstance(item, bytes):
        return len(item)
    if isinstance(item, _Feed):
        return len(item.data)
    return 0


class _AlreadyDeflated:
    """Stands in for an entry's compressor when its bytes are deflated already."""

    __slots__ = ()

    def compress(self, data: bytes) -> bytes:
        return data

    def flush(self) -> bytes:
        return b""


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
