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
        return result


def watch(folder: Path, out_root: Path, report: Callable[[str], None]) -> None:
    from watchfiles import watch as watch_changes

    from renderer.load import check_issue_folder

    check_issue_folder(folder)  # a wrong folder is refused once, before anything starts
    builder = WarmBuilder(folder, out_root)
    paths = [folder, STYLES, FONTS]
    _rebuild(builder, report)
    report(f"watching {folder} (Ctrl-C to stop)")
    for _changes in watch_changes(*paths, debounce=DEBOUNCE_MS, raise_interrupt=False):
        _rebuild(builder, report)


def _rebuild(builder: WarmBuilder, report: Callable[[str], None]) -> None:
    started = time.perf_counter()
    try:
        result = builder.rebuild()
    except PressError as error:
        report(f"error: {error}")
        return
    for warning in result.warnings:
        report(f"warning: {warning}")
    states = ", ".join(f"{e.edition} {'up to date' if e.up_to_date else f'{e.pages} pages'}"
                       for e in result.editions)
    report(f"rebuilt in {time.perf_counter() - started:.2f} s: {states}")
