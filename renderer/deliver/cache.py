"""Build cache: an edition whose inputs have not changed is not built again.

The fingerprint covers everything a PDF depends on: every file of the issue
folder (all of them, dot-files and dot-folders included: the loader reads any
file the manifest or an article names, `.drafts/01.md` or `.img/fig.png` as
well; only an output folder inside the issue is left out), links by their
target, the project's styles/, fonts/ and renderer/ code, the pinned
WeasyPrint, the edition, and SOURCE_DATE_EPOCH. It is computed from file
contents, not times, so a checkout or a copy does not count as a change. The
record of a build (one small JSON file per issue and edition under
OUT/.press-cache/) also keeps each output's size and SHA-256, so a PDF that
was deleted or changed by hand is built again. The project's files are read again
only when their stat changes (``_Digests``): a no-op rebuild would otherwise read the
17 MB of fonts each time.

This module is on the no-op path and must stay cheap to import: standard
library only.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from renderer.assets import CODE, FONTS, STYLES
from renderer.typeset.weasyprint70 import PINNED

# The project's own inputs, each with the file endings that count (None: every file).
PROJECT_INPUTS = (("styles", STYLES, None), ("fonts", FONTS, None), ("renderer", CODE, (".py",)))
CACHE_FOLDER = ".press-cache"
DIGESTS = "project-digests.json"
# A file changed this recently is not remembered: a second change within the clock's
# resolution could leave the same stat ("racily clean" in git's index, which does the same).
SETTLED_NS = 2_000_000_000


@dataclass(frozen=True)
class Record:
    fingerprint: str
    output: str
    size: int
    sha256: str
    pages: int
    findings: list[dict] = field(default_factory=list)  # the content findings of that build
    warnings: list[str] = field(default_factory=list)


def fingerprint(issue_folder: Path, edition: str, out_root: Path | None = None) -> str:
    return fingerprints(issue_folder, (edition,), out_root)[edition]


def fingerprints(issue_folder: Path, editions, out_root: Path | None = None) -> dict[str, str]:
    """Each edition's fingerprint: the edition, the pinned versions, SOURCE_DATE_EPOCH and
    every input file (the issue's and the project's), read once for all the editions."""
    digest = hashlib.sha256()
    digest.update(f"{PINNED}\0{os.environ.get('SOURCE_DATE_EPOCH', '')}\0".encode())
    skip = {out_root.resolve()} if out_root is not None else set()
    _hash_tree(digest, issue_folder, "issue", _every_file(issue_folder, skip), _content_digest)
    digests = _Digests(out_root / CACHE_FOLDER / DIGESTS if out_root is not None else None)
    for name, root, suffixes in PROJECT_INPUTS:
        _hash_tree(digest, root, name, _files(root), digests.of, suffixes=suffixes)
    digests.save()
    inputs = digest.hexdigest()
    return {edition: hashlib.sha256(f"{edition}\0{inputs}".encode()).hexdigest()
            for edition in editions}


def _hash_tree(digest, root: Path, label: str, paths, content_digest,
               suffixes: tuple[str, ...] | None = None) -> None:
    for path in sorted(paths):
        if suffixes and path.suffix not in suffixes:
            continue
        digest.update(f"{label}/{path.relative_to(root).as_posix()}\0".encode())
        digest.update(content_digest(path))


def _content_digest(path: Path) -> bytes:
    """A file's content; a link's target name; nothing for anything else (a FIFO would
    block the read). The loader reports what is wrong with such entries."""
    try:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            return b"link:" + os.readlink(path).encode("utf-8", "surrogateescape")
        if stat.S_ISREG(mode):
            return hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        pass
    return b"other"


class _Digests:
    """Content digests of regular files, remembered in ``path`` with each file's stat
    (device, inode, size, modification and change times in ns): a file whose stat is
    unchanged is not read again. A copy or a checkout changes the stat, so the file is
    read and, having the same content, gives the same digest."""

    def __init__(self, path: Path | None):
        self.path = path
        self.known: dict[str, list] = {}
        self.seen: dict[str, list] = {}
        if path is not None:
            try:
                known = json.loads(path.read_text())
            except (OSError, ValueError):
                known = None
            self.known = known if isinstance(known, dict) else {}

    def of(self, path: Path) -> bytes:
        try:
            info = path.lstat()
        except OSError:
            return _content_digest(path)
        if self.path is None or not stat.S_ISREG(info.st_mode):
            return _content_digest(path)
        key = [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]
        entry = self.known.get(str(path))
        if isinstance(entry, list) and len(entry) == 6 and entry[:5] == key:
            try:
                value = bytes.fromhex(entry[5])
            except (TypeError, ValueError):
                pass  # a damaged file of digests: read the file
            else:
                self.seen[str(path)] = entry
                return value
        value = _content_digest(path)  # read after the stat: a change between shows next time
        if time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) > SETTLED_NS:
            self.seen[str(path)] = [*key, value.hex()]
        return value

    def save(self) -> None:
        if self.path is not None and self.seen != self.known:
            from renderer.deliver.files import write_atomically
            from renderer.errors import PressError

            try:
                write_atomically(self.path, json.dumps(self.seen).encode())
            except (OSError, PressError):
                pass  # an output folder that cannot be written: the build says so, if it writes


def _every_file(root: Path, skip: set[Path]):
    """Every entry the loader could read under the issue folder: files of any name, in
    folders of any name, and links to folders (by their target; what they point to
    inside the issue is walked where it is). `skip`: output folders, never inputs."""
    for folder, subfolders, names in os.walk(root):
        kept = []
        for name in subfolders:
            path = Path(folder) / name
            if path.is_symlink():
                yield path  # a link to a folder: its target name counts
            elif name != CACHE_FOLDER and (not skip or path.resolve() not in skip):
                kept.append(name)
        subfolders[:] = kept
        for name in names:
            yield Path(folder) / name


def _files(root: Path):
    """The project's own files: its caches (__pycache__) and dot-files are not inputs."""
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [s for s in subfolders if not s.startswith(".") and s != "__pycache__"]
        for name in names:
            if not name.startswith("."):
                yield Path(folder) / name


def _record_path(out_root: Path, issue_folder: Path, edition: str) -> Path:
    key = hashlib.sha256(str(issue_folder.resolve()).encode()).hexdigest()[:16]
    return out_root / CACHE_FOLDER / f"{key}-{edition}.json"


def up_to_date(out_root: Path, issue_folder: Path, edition: str, expected: str) -> Record | None:
    """The record of the last build, if its inputs and its output are unchanged."""
    record = _last_record(out_root, issue_folder, edition)
    if record is None:
        return None
    output = Path(record.output)
    if record.fingerprint != expected or not output.is_file():
        return None
    if output.stat().st_size != record.size:
        return None
    if hashlib.sha256(output.read_bytes()).hexdigest() != record.sha256:
        return None
    return record


def last_pages(out_root: Path, issue_folder: Path, edition: str) -> int | None:
    """How many pages the last build of this edition had, changed since or not (what a
    progress bar expects), or None if there was none."""
    record = _last_record(out_root, issue_folder, edition)
    pages = record.pages if record else None
    return pages if isinstance(pages, int) and pages > 0 else None


def _last_record(out_root: Path, issue_folder: Path, edition: str) -> Record | None:
    try:
        return Record(**json.loads(_record_path(out_root, issue_folder, edition).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def remember(out_root: Path, issue_folder: Path, edition: str, fingerprint_: str, output: Path,
             data: bytes, pages: int, findings: list[dict] = (), warnings: list[str] = ()
             ) -> None:
    from renderer.deliver.files import write_atomically

    record = Record(fingerprint=fingerprint_, output=str(output), size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(), pages=pages,
                    findings=list(findings), warnings=list(warnings))
    write_atomically(_record_path(out_root, issue_folder, edition),
                     json.dumps(record.__dict__, indent=1).encode())
