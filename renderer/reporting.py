"""What the CLI shows while and after it builds: a progress line and a summary."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Callable, Iterator

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
        checks = edition.report.checks
        warned = sum(1 for c in checks if c.status == "warn")
        console.print(
            f"  {edition.edition:5}  {edition.path}  {edition.pages} pages, "
            f"{edition.size / 1024:.0f} KB, preflight passed ({len(checks)} checks"
            + (f", {warned} warnings" if warned else "") + ")")
