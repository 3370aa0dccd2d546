"""Where a mailing reports its lines and progress (RFC 5321 retries can wait minutes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the library never builds a Console: the caller (cli) passes one in
    from rich.console import Console


class MailProgress:
    """Silent by default; subclass or use `ConsoleProgress`, `LineRecorder`."""

    def line(self, text: str) -> None:
        """One line for the editor: the plan, a wait before a retry, the summary."""

    def start(self, total: int) -> None:
        """`total` messages are about to be sent."""

    def advance(self) -> None:
        """One message is done (sent, failed or given up for this run)."""

    def stop(self) -> None:
        """The loop is over (also after an error)."""


class LineRecorder(MailProgress):
    """Keeps the lines (tests, and callers that print them later)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.done = 0

    def line(self, text: str) -> None:
        self.lines.append(text)

    def advance(self) -> None:
        self.done += 1


class ConsoleProgress(MailProgress):
    """Lines and a progress bar on a rich Console given by the caller."""

    def __init__(self, console: Console, *, bar: bool = True):
        self.console = console
        self.bar = bar
        self._progress = None
        self._task = None

    def line(self, text: str) -> None:
        # markup=False: addresses and CSV rows may contain rich's [tags].
        self.console.print(text, markup=False, highlight=False)

    def start(self, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("Mailing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=self.console, disable=not self.bar,
        )  # fmt: skip
        self._task = self._progress.add_task("mail", total=total)
        self._progress.start()

    def advance(self) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
