"""Watch mode: a warm process that rebuilds an issue whenever its sources change.

WeasyPrint, the fonts' tables and the templates stay loaded between builds, so
a rebuild costs only the stages its change touches. The email edition comes
first (it is what an editor proofs on screen), then the print one. A mistake
in the input is printed and the watch goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from renderer.assets import FONTS, STYLES
from renderer.build import BuildResult, build_issue
from renderer.errors import PressError

DEBOUNCE_MS = 150


class WarmBuilder:
    def __init__(self, folder: Path, out_root: Path):
        self.folder, self.out_root = folder, out_root
        from renderer.typeset import warm_up

        warm_up()

    def rebuild(self, editions: tuple[str, ...] = ("email", "print")) -> BuildResult:
        result = BuildResult(folder=self.folder)
        for edition in editions:  # one after the other, in this warm process
            one = build_issue(self.folder, self.out_root, editions=(edition,), parallel=False)
            result.editions += one.editions
            result.warnings += [w for w in one.warnings if w not in result.warnings]
            result.findings = one.findings
        return result


def watch(folder: Path, out_root: Path, report: Callable[[str], None]) -> None:
    """Build, then rebuild on every change under the issue and the project's styles and
    fonts. The watch starts before the first build, so a save made meanwhile is not lost."""
    from watchfiles import watch as watch_changes

    from renderer.load import check_issue_folder

    check_issue_folder(folder)  # a wrong folder is refused once, before anything starts
    builder = WarmBuilder(folder, out_root)
    first = True
    for changes in watch_changes(folder, STYLES, FONTS, debounce=DEBOUNCE_MS,
                                 raise_interrupt=False, yield_on_timeout=True,
                                 rust_timeout=200):
        if first or changes:
            _rebuild(builder, report, changed_names(changes, folder))
            if first:
                report(f"watching {folder} (Ctrl-C to stop)")
            first = False


def changed_names(changes, folder: Path) -> list[str]:
    """The changed files as an editor knows them: relative to the issue or the project."""
    names = set()
    kinds: dict[str, set] = {}
    for change, path in changes:
        kinds.setdefault(path, set()).add(int(change))
    for path, seen in kinds.items():
        if {1, 3} <= seen and not Path(path).exists():
            continue  # an editor's temporary file, made and removed within the batch
        for root in (folder, STYLES.parent):
            try:
                names.add(Path(path).resolve().relative_to(root.resolve()).as_posix())
                break
            except ValueError:
                continue
        else:
            names.add(str(path))
    return sorted(names)


def _rebuild(builder: WarmBuilder, report: Callable[[str], None], changed: list[str]) -> None:
    from renderer.console import describe_rebuild

    started = time.perf_counter()
    try:
        result = builder.rebuild()
    except PressError as error:
        report(describe_rebuild(changed, None, 0.0, error=error))
        return
    report(describe_rebuild(changed, result, time.perf_counter() - started))
