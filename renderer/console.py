"""The one console: what the CLI shows on stderr (progress, summaries, log records).

Library modules log through ``logging`` and never print; the CLI calls ``configure``
once with the verbosity of ``-v``/``-q``, which routes every record (the press's and
WeasyPrint's) to this console. ``-q`` keeps warnings and errors only.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console

console = Console(stderr=True, highlight=False)
QUIET, NORMAL, VERBOSE = -1, 0, 1


def configure(verbosity: int) -> None:
    """Route log records to the console: debug with -v, warnings only with -q."""
    import logging

    from rich.logging import RichHandler

    level = {QUIET: logging.WARNING, NORMAL: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = RichHandler(console=console, show_time=False, show_path=False,
                          markup=False, rich_tracebacks=False)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # Other libraries' info records (pikepdf's start-up line) are noise unless -v.
    root.setLevel(logging.DEBUG if verbosity >= VERBOSE else logging.WARNING)
    logging.getLogger("renderer").setLevel(level)
    console.quiet = verbosity <= QUIET


def say(message: str) -> None:
    """A line of progress or summary (not shown with -q)."""
    if not getattr(console, "quiet", False):
        console.print(message)


@contextlib.contextmanager
def build_progress(folder: Path) -> Iterator[BuildDisplay]:
    """While a build runs: its step, and a bar per edition over the pages laid out (out
    of the last build's count, when there was one). Gone when the build ends, and not
    shown with -q or when stderr is not a terminal."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Column

    started = time.perf_counter()
    if console.is_terminal and not getattr(console, "quiet", False):
        # A long folder name is cut short, never the bar or the page count beside it
        # (what the other columns take: spinner 1, bar 40, pages 18, time 7, gaps 4).
        description = Column(no_wrap=True, overflow="ellipsis",
                             max_width=max(20, console.width - 72))
        pages = Column(no_wrap=True, min_width=len("page 9999 of ~9999"))
        with Progress(SpinnerColumn(), TextColumn("{task.description}", table_column=description),
                      BarColumn(), TextColumn("{task.fields[pages]}", table_column=pages),
                      TimeElapsedColumn(), console=console, transient=True) as progress:
            yield BuildDisplay(progress, folder)
    else:  # a log file or a pipe gets the summary only, as the build's outcome
        yield BuildDisplay(None, folder)
    say(f"{folder}: built in {time.perf_counter() - started:.2f} s")


class BuildDisplay:
    """The build's ``step`` and ``pages`` callbacks (renderer.build.build_issue)."""

    def __init__(self, progress, folder: Path):
        self.progress, self.folder = progress, folder  # progress: None shows nothing
        self.editions: dict[str, int] = {}
        if progress is not None:
            self.overall = progress.add_task(f"{folder}: starting", total=None, pages="")

    def step(self, message: str) -> None:
        if self.progress is not None:
            self.progress.update(self.overall, description=f"{self.folder}: {message}")

    def pages(self, edition: str, stage: str, done: int, expected: int | None) -> None:
        if self.progress is None:
            return
        task = self.editions.get(edition)
        if task is None:
            task = self.editions[edition] = self.progress.add_task(
                f"  {edition}", total=None, pages="")
        if stage == "layout":
            total = expected if expected and expected >= done else None  # else it pulses
            self.progress.update(task, completed=done, total=total,
                                 description=f"  {edition}: laying out",
                                 pages=f"page {done}" + (f" of ~{total}" if total else ""))
            return
        doing = "drawing the PDF" if stage == "writing" else "checking (preflight)"
        self.progress.update(task, completed=done, total=done or None,
                             description=f"  {edition}: {doing}", pages=f"{done} pages")


FINDINGS_SHOWN = 3


def print_build_result(result) -> None:
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}", markup=True, highlight=False)
    print_open_findings(result.open_findings)
    for edition in result.editions:
        if edition.up_to_date:
            say(f"  {edition.edition:5}  {edition.path}  up to date")
            continue
        if edition.report is None:  # the web edition: files, no preflight
            say(f"  {edition.edition:5}  {edition.path}  {edition.pages} files, "
                f"{edition.size / 1024:.0f} KB")
            continue
        checks = edition.report.checks
        warned = sum(1 for c in checks if c.status == "warn")
        say(
            f"  {edition.edition:5}  {edition.path}  {edition.pages} pages, "
            f"{edition.size / 1024:.0f} KB, preflight passed ({len(checks)} checks"
            + (f", {warned} warnings" if warned else "") + ")")


def build_many_with_progress(folders: list[Path], out: Path, editions, force: bool, *,
                             strict: bool = False) -> bool:
    """Build many issues across the cores with a progress bar; False if any failed."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from renderer.build import build_many, distinct_issue_folders
    from renderer.errors import PressError

    folders = distinct_issue_folders(folders, tuple(editions))
    failures = 0
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("building issues", total=len(folders))

        def done(folder: Path, outcome) -> None:
            nonlocal failures
            if isinstance(outcome, PressError):
                failures += 1
                progress.console.print(f"[red]error:[/] {outcome}")
            else:
                sizes = ", ".join(f"{e.edition} {'up to date' if e.up_to_date else f'{e.pages} p'}"
                                  for e in outcome.editions)
                open_ = len(outcome.open_findings)
                progress.console.print(f"{folder}: {sizes}" + (
                    f"; {open_} finding(s) need a human (make-issue lint {folder})"
                    if open_ else ""))
            progress.advance(task)
        build_many(folders, out, editions=editions, force=force, strict=strict, done=done)
    return failures == 0


def print_open_findings(findings) -> None:
    """The content findings that still need a human: the count and the first few."""
    if not findings:
        return
    console.print(f"[yellow]{len(findings)} finding(s) need a human[/] "
                  "(`make-issue lint` lists them all; `build --strict` refuses them):")
    for finding in findings[:FINDINGS_SHOWN]:
        console.print("  " + finding.to_text().split("\n")[0], markup=False, highlight=False)
    if len(findings) > FINDINGS_SHOWN:
        console.print(f"  ... and {len(findings) - FINDINGS_SHOWN} more", markup=False)


def describe_rebuild(changed: list[str], result, seconds: float, *, error=None) -> str:
    """What `watch` and `serve` say after a rebuild: what changed, which editions were
    rebuilt and where they are, the preflight, and what still needs a human."""
    what = f"changed {', '.join(changed)}: " if changed else ""
    if error is not None:
        return f"{what}error: {error} (the previous PDFs are kept)"
    rebuilt = [e for e in result.editions if not e.up_to_date]
    if not rebuilt:
        built = "nothing to rebuild, the PDFs are current"
    else:
        built = (f"rebuilt {' and '.join(f'{e.edition} ({e.pages} pages)' for e in rebuilt)} "
                 f"in {seconds:.2f} s -> " + ", ".join(str(e.path) for e in rebuilt))
        checks = [c for e in rebuilt if e.report is not None for c in e.report.checks]
        warned = sum(c.status == "warn" for c in checks)
        built += f"; preflight passed ({len(checks)} checks" + (
            f", {warned} warnings)" if warned else ")")
    open_ = len(result.open_findings)
    found = f"; {open_} finding(s) need a human (make-issue lint)" if open_ else ""
    warnings = "".join(f"\n  warning: {w}" for w in result.warnings)
    return what + built + found + warnings
