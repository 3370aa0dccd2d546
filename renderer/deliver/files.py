"""Deliver outputs to disk atomically, one build of an issue at a time.

A file is written to a temporary name in the same folder, flushed to disk and
renamed over the target (rename is atomic on POSIX), so a build killed at
any moment leaves either the old complete file or the new complete one,
never a partial PDF. Temporary names start with '.' and end in '.partial' so
that nothing mistakes them for outputs; stale ones from a killed build are
removed by the next. A lock file (fcntl.flock) serializes concurrent builds of
the same issue.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
from pathlib import Path
from typing import Iterator

from renderer.errors import PressError

PARTIAL_SUFFIX = ".partial"


def ensure_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PressError(f"the output folder cannot be created ({exc.strerror}).", file=folder,
                         fix="Choose another folder with --out, or fix its permissions.") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PressError("the output folder is not writable.", file=folder,
                         fix="Choose another folder with --out, or fix its permissions.")


def write_atomically(target: Path, data: bytes) -> None:
    with staged(target, data):
        pass


@contextlib.contextmanager
def staged(target: Path, data: bytes) -> Iterator[Path]:
    """Write `data` beside `target` under a temporary name and yield that path, for
    checks on the finished file; rename it over `target` only if the block succeeds."""
    ensure_folder(target.parent)
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                         suffix=PARTIAL_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp_name, 0o644)
        yield Path(temp_name)
        os.replace(temp_name, target)
    except OSError as exc:
        raise PressError(f"the file cannot be written ({exc.strerror}).", file=target,
                         fix="Check free space and permissions of the output folder.") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)


def remove_stale_partials(folder: Path) -> None:
    """Temporary files left by a build that was killed."""
    if folder.is_dir():
        for stale in folder.glob(f".*{PARTIAL_SUFFIX}"):
            with contextlib.suppress(OSError):
                stale.unlink()


@contextlib.contextmanager
def build_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the output folder; a second build waits for the first."""
    ensure_folder(folder)
    lock_path = folder / ".build.lock"
    try:
        handle = open(lock_path, "a+b")
    except OSError as exc:
        raise PressError(f"the lock file cannot be created ({exc.strerror}).", file=lock_path,
                         fix="Check the permissions of the output folder.") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError as exc:  # pragma: no cover - flock on a local disk does not fail
            if exc.errno != errno.EINTR:
                raise
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
