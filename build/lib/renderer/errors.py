"""The one error type for every expected failure.

An editor's mistake (bad YAML, a missing file, a character the fonts lack, a
file outside the issue) is reported as one short paragraph: what is wrong,
where (file, line, field) and how to fix it. The CLI prints it and exits with
code 2; anything else is an internal error (exit 1). The loader collects every mistake
of a file before it stops, so one error may carry more (`more`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from renderer.diagnostics import Diagnostic


@dataclass
class PressError(Exception):
    """An expected failure caused by input; never shown as a traceback."""

    what: str
    file: Path | str | None = None
    line: int | None = None
    field: str | None = None
    fix: str | None = None
    exit_code: int = 2
    more: tuple[PressError, ...] = ()  # further mistakes found in the same file

    def __reduce__(self):
        # Dataclass exceptions do not pickle by default; builds raise these in workers.
        return (PressError, (self.what, self.file, self.line, self.field, self.fix,
                             self.exit_code, self.more))

    @classmethod
    def collected(cls, errors: list[PressError]) -> PressError:
        """All the mistakes of one file as one error: the first, then the others."""
        first, *others = errors
        return cls(first.what, first.file, first.line, first.field, first.fix,
                   first.exit_code, tuple(others))

    def all(self) -> list[PressError]:
        return [self, *self.more]

    def diagnostics(self) -> list[Diagnostic]:
        return [Diagnostic(severity="error", code="input", message=error.what,
                           file=str(error.file) if error.file is not None else None,
                           line=error.line, field=error.field, hint=error.fix)
                for error in self.all()]

    def where(self) -> str:
        parts = []
        if self.file is not None:
            parts.append(f"{self.file}:{self.line}" if self.line else str(self.file))
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        if self.more:
            return f"{len(self.all())} mistakes:\n" + "\n".join(
                f"  {error.one()}" for error in self.all())
        return self.one()

    def one(self) -> str:
        where = self.where()
        text = f"{where}: {self.what}" if where else self.what
        if self.fix:
            text += f" {self.fix}"
        return text
