"""Deliver outputs to disk atomically, one build of an issue at a time.

A file is written to a temporary name in the same folder, flushed to disk and
renamed over the target (rename is atomic on POSIX), so a build killed at
any moment leaves either the old complete file or the new complete one,
never a partial PDF. A folder of outputs (the web edition, the site) is written
whole under a temporary name and swapped in with one rename. Temporary names start with '.' and end in '.partial' so
that nothing mistakes them for outputs; stale ones from a killed build are
removed by the next. A lock file (fcntl.flock) serializes concurrent builds of
the same issue.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from renderer.errors import PressError

PARTIAL_SUFFIX = ".partial"
LOCK_NAME = ".build.lock"


def ensure_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise PressError("the output folder's name is taken by a file.", file=folder,
                         fix="Choose another folder with --out.") from None
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
    checks on the finished file; rename it over `target` only if the block succeeds.

    Whatever happens (an error, Ctrl-C), the temporary file is gone afterwards; only
    SIGKILL or a power cut can leave one behind, and `remove_stale_partials` clears it.
    """
    ensure_folder(target.parent)
    temp = _write_temporary(target, data)
    try:
        yield temp
        _replace(temp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def _write_temporary(target: Path, data: bytes) -> Path:
    """The data on disk (fsync'ed) under a hidden '.<name>.<random>.partial' name."""
    try:
        handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                             suffix=PARTIAL_SUFFIX)
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp_name, 0o644)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        if isinstance(exc, OSError):
            raise _cannot_write(target, exc) from None
        raise
    return Path(temp_name)


def _replace(temp: Path, target: Path) -> None:
    """Atomic rename (POSIX rename(2)), then fsync the folder so the new name is durable."""
    try:
        os.replace(temp, target)
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    sync_folder(target.parent)


def sync_folder(folder_path: Path) -> None:
    """fsync a folder, so that the renames into it are durable."""
    with contextlib.suppress(OSError):  # some file systems cannot fsync a folder
        folder = os.open(folder_path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _cannot_write(target: Path, exc: OSError) -> PressError:
    return PressError(f"the file cannot be written ({exc.strerror or exc}).", file=target,
                      fix="Check free space and permissions of the output folder.")


def remove_stale_partials(folder: Path) -> list[Path]:
    """Remove the temporary files a killed build left in `folder`; return their paths.

    Call it while holding `build_lock(folder)`: then no other build is writing there.
    """
    removed = []
    if folder.is_dir():
        for stale in folder.glob(f".*{PARTIAL_SUFFIX}"):
            with contextlib.suppress(OSError):
                if stale.is_dir() and not stale.is_symlink():
                    shutil.rmtree(stale)  # a staged output folder
                else:
                    stale.unlink()
                removed.append(stale)
    return removed


def stage_folder(target: Path, contents: dict[str, bytes]) -> Path:
    """Write `contents` (relative path -> bytes) into a new hidden '.<name>.<random>.partial'
    folder beside `target`, every file fsync'ed; `replace_folder` then puts it in place."""
    ensure_folder(target.parent)
    try:
        staged = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.",
                                       suffix=PARTIAL_SUFFIX))
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    try:
        for name, data in sorted(contents.items()):
            path = staged / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(path, 0o644)
        os.chmod(staged, 0o755)
    except BaseException as exc:
        shutil.rmtree(staged, ignore_errors=True)
        if isinstance(exc, OSError):
            raise _cannot_write(target, exc) from None
        raise
    return staged


_RENAME_EXCHANGE = 2  # renameat2(2), Linux 3.15+


def replace_folder(staged: Path, target: Path) -> None:
    """Put a staged folder in the place of `target` at once: on Linux the two are swapped
    by one renameat2(RENAME_EXCHANGE), so a reader sees the old folder or the new one,
    never none; elsewhere the old one is renamed aside first. The old one is removed."""
    if not target.exists():
        _replace(staged, target)
        return
    if not target.is_dir() or target.is_symlink():
        raise PressError("the output folder's name is taken by a file.", file=target,
                         fix="Remove the file, or choose another folder with --out.")
    if not _exchange(staged, target):
        aside = target.with_name(f".{target.name}.{os.getpid()}.old{PARTIAL_SUFFIX}")
        try:
            os.replace(target, aside)
            os.replace(staged, target)
        except OSError as exc:
            raise _cannot_write(target, exc) from None
        staged = aside
    shutil.rmtree(staged, ignore_errors=True)  # now the old folder
    sync_folder(target.parent)


def _exchange(first: Path, second: Path) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    return renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second),
                     _RENAME_EXCHANGE) == 0


@contextlib.contextmanager
def build_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the output folder; a second build waits for the first.

    flock(2) locks belong to the open file, so a build that dies (even by SIGKILL)
    releases its lock with its last file descriptor; no stale lock ever blocks.
    """
    ensure_folder(folder)
    lock_path = folder / LOCK_NAME
    try:
        handle = open(lock_path, "a+b")
    except OSError as exc:
        raise PressError(f"the lock file cannot be created ({exc.strerror}).", file=lock_path,
                         fix="Check the permissions of the output folder.") from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # interrupted waits are retried (PEP 475)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# Local references of a page: href="...", src="...", srcset entries and CSS url(...).
_REFERENCE = re.compile(r'(?:href|src)="([^"#:?]+)"|url\("([^":?]+)"\)')
_SRCSET = re.compile(r'srcset="([^"]+)"')


def missing_files(folder: Path) -> list[str]:
    """Local files the pages and stylesheets of a static site `folder` (the web edition)
    refer to that are not there (PDFs are links, not loads, and are left out): empty for
    an intact folder. Here, not in deliver.web, so that a no-op build checks its web
    edition without importing what makes one."""
    missing = []
    for source in [*folder.glob("*.html"), *folder.glob("*.css")]:
        text = source.read_text(encoding="utf-8")
        names = [a or b for a, b in _REFERENCE.findall(text)]
        for srcset in _SRCSET.findall(text):
            names += [entry.split()[0] for entry in srcset.split(",")]
        for name in names:
            if name.endswith(".pdf") or name.endswith("/"):
                continue
            if not (source.parent / name).is_file():
                missing.append(f"{source.name}: {name}")
    return missing
