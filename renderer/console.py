"""What the CLI shows while and after it builds: a progress line and a summary."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from rich.console import Console

console = Console(stderr=True, highlight=False)


@contextlib.contextmanager
def build_progress(folder: Path) -> Iterator[Callable[[str], None]]:
    started = time.perf_counter()
    with console.status(f"{folder}: starting") as status:
        def step(message: str) -> None:
            status.update(f"{folder}: {message}")
        yield step
    console.print(f"{folder}: built in {time.perf_counter() - started:.2f} s")


def print_build_result(result) -> None:
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    for edition in result.editions:
        if edition.up_to_date:
            console.print(f"  {edition.edition:5}  {edition.path}  up to date")
            continue
        checks = edition.report.checks
        warned = sum(1 for c in checks if c.status == "warn")
        console.print(
            f"  {edition.edition:5}  {edition.path}  {edition.pages} pages, "
            f"{edition.size / 1024:.0f} KB, preflight passed ({len(checks)} checks"
            + (f", {warned} warnings" if warned else "") + ")")


def build_many_with_progress(folders: list[Path], out: Path, editions, force: bool) -> bool:
    """Build many issues across the cores with a progress bar; False if any failed."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from renderer.build import build_many
    from renderer.errors import PressError

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
                progress.console.print(f"{folder}: {sizes}")
            progress.advance(task)
        build_many(folders, out, editions=editions, force=force, done=done)
    return failures == 0
