"""One shape for everything the press tells a human: load errors, lint, preflight, audit.

A ``Diagnostic`` says how serious it is, a stable code, where (file and line, or page),
what is wrong and what to do. A ``Report`` is a list of them plus a title and the
figures of the run; it renders as text for the terminal and as JSON for tools, the same
way for every command, and knows whether anything still needs a human (an unreviewed
error or warning). Modelled on compiler diagnostics (LSP ``Diagnostic``: severity, code,
range, message) and MkDocs' config validation, which collects every error first.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    code: str  # stable: what an editor lists under `reviewed:`, what tools match on
    message: str
    file: str | None = None
    line: int | None = None
    page: int | None = None
    field: str | None = None
    hint: str | None = None  # what to do about it
    evidence: dict[str, Any] = dataclasses.field(default_factory=dict)
    reviewed: bool = False
    note: str | None = None  # the editor's note when reviewed

    @property
    def needs_human(self) -> bool:
        return self.severity in ("error", "warning") and not self.reviewed

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(f"{self.file}:{self.line}" if self.line else str(self.file))
        if self.page:
            parts.append(f"p.{self.page}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def to_text(self) -> str:
        where = self.where()
        mark = "reviewed" if self.reviewed else self.severity
        text = f"{where + ': ' if where else ''}[{mark}] {self.code}: {self.message}"
        if self.hint:
            text += f" {self.hint}"
        if self.evidence:
            text += "\n    evidence: " + json.dumps(self.evidence, ensure_ascii=False)
        if self.note:
            text += f"\n    note: {self.note}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items()
                if value not in (None, {}, False) or key in ("severity", "reviewed")}


@dataclass
class Report:
    """What one command found: its diagnostics, a title, and the run's figures."""

    title: str
    diagnostics: list[Diagnostic] = dataclasses.field(default_factory=list)
    figures: dict[str, Any] = dataclasses.field(default_factory=dict)  # counts, paths: shown as is

    @property
    def needs_human(self) -> bool:
        return any(d.needs_human for d in self.diagnostics)

    @property
    def ok(self) -> bool:
        return not self.needs_human

    def count(self, severity: Severity) -> int:
        return sum(d.severity == severity and not d.reviewed for d in self.diagnostics)

    def summary(self) -> str:
        if not self.diagnostics:
            return "No findings."
        open_ = sum(d.needs_human for d in self.diagnostics)
        return (f"{_counted(len(self.diagnostics), 'finding')} "
                f"({_counted(self.count('error'), 'error')}, "
                f"{_counted(self.count('warning'), 'warning')}), {open_} need a human.")

    def to_text(self) -> str:
        lines = [self.title]
        lines += [f"{name}: {_shown(value)}" for name, value in self.figures.items()]
        lines += [d.to_text() for d in self.diagnostics]
        lines.append(self.summary())
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps({"title": self.title, "ok": self.ok, "needs_human": self.needs_human,
                           **{name: _plain(value) for name, value in self.figures.items()},
                           "diagnostics": [d.to_dict() for d in self.diagnostics]},
                          ensure_ascii=False, indent=2)


def _counted(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
