"""The suppression list: addresses a newsletter never mails again (unsubscribes, hard bounces).

One CSV file per newsletter slug, beside the subscriber list it protects:
`<folder of subscribers.csv>/<slug>-suppressed.csv`. Beside the list, not in dist/: the
list is the editor's data (kept, backed up, moved with the subscriber CSV), while dist/
holds rebuildable outputs that an editor may delete. Every mailing (`plan_mail`: --send,
--test, --out, --dry-run) reads it and leaves its addresses out, and `--status` shows it.

Columns: `email,reason,issues,updated,detail`.

    reason   unsubscribe | hard-bounce | complaint | manual  -> suppressed
             soft-bounce                                     -> counted; suppressed once it
                                                                 was seen in SOFT_BOUNCE_LIMIT
                                                                 different issues
    issues   the issue keys (yyyy-mm) the bounces were for, space-separated: processing
             the same mailbox twice counts nothing twice
    updated  ISO date of the last change;  detail: the server's words, for the editor

An editor may add rows by hand (`someone@example.org,unsubscribe,,,asked by phone`). A
row that cannot be read is a PressError naming its line: skipping it could mail someone
who asked not to be mailed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field, replace
from pathlib import Path

from renderer.deliver.files import write_atomically
from renderer.deliver.subscribers import normalize_address
from renderer.errors import PressError

COLUMNS = ("email", "reason", "issues", "updated", "detail")
SUPPRESSING = ("unsubscribe", "hard-bounce", "complaint", "manual")
REASONS = (*SUPPRESSING, "soft-bounce")
SOFT_BOUNCE_LIMIT = 3  # soft bounces in this many different issues suppress the address
DETAIL_LIMIT = 300


def suppression_path(subscribers_csv: Path, slug: str) -> Path:
    """Where a newsletter's suppression list lives: beside its subscriber list."""
    return Path(subscribers_csv).parent / f"{slug}-suppressed.csv"


@dataclass(frozen=True)
class Entry:
    email: str  # lower-cased
    reason: str
    issues: tuple[str, ...] = ()
    updated: str = ""
    detail: str = ""

    @property
    def suppressing(self) -> bool:
        return self.reason in SUPPRESSING or (
            self.reason == "soft-bounce" and len(set(self.issues)) >= SOFT_BOUNCE_LIMIT)


@dataclass
class SuppressionList:
    path: Path
    entries: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> SuppressionList:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            return cls(path)
        except UnicodeDecodeError:
            raise PressError("The suppression list is not UTF-8 text.", file=path,
                             fix="Save it as CSV UTF-8.") from None
        rows = csv.reader(io.StringIO(text, newline=""))
        header = [name.strip().lower() for name in next(rows, [])]
        if header[:2] != ["email", "reason"] or not set(header) <= set(COLUMNS):
            raise PressError(
                f"The suppression list's header is {','.join(header)!r}.", file=path, line=1,
                fix=f"The first line must be {','.join(COLUMNS)} (the last three may be left out).")
        entries: dict[str, Entry] = {}
        for row in rows:
            if not any(cell.strip() for cell in row):
                continue
            values = dict(zip(header, (cell.strip() for cell in row)))
            email = normalize_address(values.get("email", ""))
            reason = values.get("reason", "").lower()
            if email is None or reason not in REASONS:
                problem = (f"not a usable address: {values.get('email', '')!r}" if email is None
                           else f"unknown reason {reason!r} (use {', '.join(REASONS)})")
                raise PressError(f"The suppression list has a row it cannot use: {problem}.",
                                 file=path, line=rows.line_num,
                                 fix="Correct the row: a row that is skipped could mail someone "
                                 "who asked not to be mailed.")
            entry = Entry(email.lower(), reason, tuple(values.get("issues", "").split()),
                          values.get("updated", ""), values.get("detail", ""))
            entries[entry.email] = _stronger(entries.get(entry.email), entry)
        return cls(path, entries)

    def blocks(self, email: str) -> bool:
        entry = self.entries.get(email.lower())
        return entry is not None and entry.suppressing

    def suppressed(self) -> list[Entry]:
        return [entry for entry in self.entries.values() if entry.suppressing]

    def add(self, email: str, reason: str, *, issue: str = "", detail: str = "") -> Entry:
        """Record one event; return the address's entry afterwards (reasons only get stronger)."""
        email = email.lower()
        today = dt.date.today().isoformat()
        detail = " ".join(detail.split())[:DETAIL_LIMIT]
        old = self.entries.get(email)
        if reason == "soft-bounce" and old is not None and old.reason == "soft-bounce":
            issues = old.issues if not issue or issue in old.issues else (*old.issues, issue)
            new = replace(old, issues=issues, updated=today, detail=detail or old.detail)
        else:
            new = Entry(email, reason, (issue,) if issue else (), today, detail)
        self.entries[email] = _stronger(old, new)
        return self.entries[email]

    def write(self) -> None:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        for entry in sorted(self.entries.values(), key=lambda e: e.email):
            writer.writerow([entry.email, entry.reason, " ".join(entry.issues), entry.updated, entry.detail])
        write_atomically(self.path, buffer.getvalue().encode("utf-8"))

    def summary(self, subscribers: list[str] | None = None) -> str:
        """Counts per reason (for --status), and how many of `subscribers` are left out."""
        counts: dict[str, int] = {}
        for entry in self.entries.values():
            label = entry.reason if entry.suppressing or entry.reason != "soft-bounce" else "soft-bounce (counted)"
            if entry.reason == "soft-bounce" and entry.suppressing:
                label = f"soft-bounce ({SOFT_BOUNCE_LIMIT}+ issues)"
            counts[label] = counts.get(label, 0) + 1
        if not counts:
            return f"Suppression list {self.path}: empty."
        lines = [f"Suppression list {self.path}: {len(self.suppressed())} address(es) never mailed"]
        lines += [f"  {label:<26} {count}" for label, count in sorted(counts.items())]
        if subscribers is not None:
            left_out = sorted(email for email in subscribers if self.blocks(email))
            lines.append(f"  {len(left_out)} of the {len(subscribers)} subscriber(s) on the list are left out"
                         + (": " + ", ".join(left_out[:20]) + (" ..." if len(left_out) > 20 else "")
                            if left_out else "."))
        return "\n".join(lines)


def _stronger(old: Entry | None, new: Entry) -> Entry:
    """A soft bounce never weakens an unsubscribe or a hard bounce."""
    if old is None:
        return new
    if old.suppressing and not new.suppressing:
        return old
    if old.reason in SUPPRESSING and new.reason == "soft-bounce":
        return old
    return new
