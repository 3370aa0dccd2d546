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

    def status(self, done: int, total: int, per_second: float, eta_seconds: float | None) -> None:
        """Twice a second at most, and at the end: messages done, the rate over the last
        seconds and the time left at that rate (None while it cannot be told)."""

    def stop(self) -> None:
        """The loop is over (also after an error)."""


class LineRecorder(MailProgress):
    """Keeps the lines (tests, and callers that print them later)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.done = 0
        self.statuses: list[tuple[int, int, float, float | None]] = []

    def line(self, text: str) -> None:
        self.lines.append(text)

    def status(self, done: int, total: int, per_second: float, eta_seconds: float | None) -> None:
        self.statuses.append((done, total, per_second, eta_seconds))

    def advance(self) -> None:
        self.done += 1


def describe_status(done: int, total: int, per_second: float, eta_seconds: float | None) -> str:
    """`1,200 of 50,000 done · 182.4/s · 4 min 28 s left`."""
    left = "time left unknown" if eta_seconds is None else f"{format_duration(eta_seconds)} left"
    return f"{done:,} of {total:,} done · {per_second:.1f}/s · {left}"


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class ConsoleProgress(MailProgress):
    """Lines and a progress bar (rate, time left) on a rich Console given by the caller.

    On a console that is not a terminal (a log file, cron) the bar would not show: a
    status line is printed every `log_every` seconds instead.
    """

    def __init__(self, console: Console, *, bar: bool = True, log_every: float = 10.0):
        self.console = console
        self.bar = bar
        self.log_every = log_every
        self._progress = None
        self._task = None
        self._last_log = 0.0

    def line(self, text: str) -> None:
        # markup=False: addresses and CSV rows may contain rich's [tags].
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)  # no wrapping: logs

    def start(self, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("Mailing"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
            console=self.console, disable=not self.bar,
        )  # fmt: skip
        self._task = self._progress.add_task("mail", total=total, rate="")
        self._progress.start()

    def advance(self) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)

    def status(self, done: int, total: int, per_second: float, eta_seconds: float | None) -> None:
        import time

        if self._progress is not None:
            self._progress.update(self._task, rate=f"{per_second:.1f}/s")
        if not (self.bar and self.console.is_terminal):
            now = time.monotonic()
            if now - self._last_log >= self.log_every or done == total:
                self._last_log = now
                self.line(describe_status(done, total, per_second, eta_seconds))

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
