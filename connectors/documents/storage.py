"""Uploaded files on disk, stored by the SHA-256 of their content: the same file twice is one file.

Layout: `<root>/<sha[:2]>/<sha>`. A file is written to `<root>/.incoming/` first, flushed to disk
and then renamed into place, so a reader never sees half a file and a crash leaves no wrong one
(at most a stray file in `.incoming`). A file already stored is kept, never rewritten. Files are
only ever found by a hash checked to be 64 hex digits, so no name or id reaches a path.
"""

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from connectors.documents.errors import TooLargeError

_SHA256 = re.compile(r"[0-9a-f]{64}")
_INCOMING = ".incoming"


@dataclass(frozen=True, slots=True)
class StoredFile:
    sha256: str
    size: int
    path: Path


class DocumentStorage:
    """The content-addressed folder of uploaded files (`DOCUMENTS_DIR`)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def store(self, data: bytes) -> StoredFile:
        """Store `data` (once: a file with the same content is kept as it is)."""
        sha256 = hashlib.sha256(data).hexdigest()
        path = self.path_of(sha256)
        if not path.exists():
            with self._incoming() as (incoming, temporary):
                incoming.write(data)
                self._settle(incoming, temporary, path)
        return StoredFile(sha256, len(data), path)

    def store_stream(self, chunks: Iterable[bytes], max_bytes: int, *, file_name: str = "the file") -> StoredFile:
        """Store the file arriving as `chunks`, hashing while writing, so that no more than a chunk is held
        in memory. Raises `TooLargeError` (naming `file_name`) as soon as more than `max_bytes` arrived,
        leaving nothing behind."""
        digest, size = hashlib.sha256(), 0
        with self._incoming() as (incoming, temporary):
            for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise TooLargeError(file_name, max_bytes)
                digest.update(chunk)
                incoming.write(chunk)
            path = self.path_of(digest.hexdigest())
            if not path.exists():
                self._settle(incoming, temporary, path)
        return StoredFile(digest.hexdigest(), size, path)

    def path_of(self, sha256: str) -> Path:
        """Where the file with this hash is (or would be). Raises ValueError for anything but 64 lowercase hex digits."""
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r:.80}")
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        """The stored file for reading (to stream it back); FileNotFoundError when it is not stored."""
        return self.path_of(sha256).open("rb")

    def read(self, sha256: str) -> bytes:
        return self.path_of(sha256).read_bytes()

    @contextmanager
    def _incoming(self) -> Iterator[tuple[BinaryIO, Path]]:
        """A new temporary file in `.incoming`, removed on leaving unless `_settle` moved it into place."""
        folder = self.root / _INCOMING
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=folder, prefix="upload-")
        temporary = Path(name)
        try:
            with os.fdopen(descriptor, "wb") as incoming:
                yield incoming, temporary
        finally:
            temporary.unlink(missing_ok=True)

    @staticmethod
    def _settle(incoming: BinaryIO, temporary: Path, path: Path) -> None:
        """Make the written file durable, then move it into place atomically (same file system: under root)."""
        incoming.flush()
        os.fsync(incoming.fileno())
        path.parent.mkdir(exist_ok=True)
        os.replace(temporary, path)
        _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """So that the rename itself survives a crash."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
