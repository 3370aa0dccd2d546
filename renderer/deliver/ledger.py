"""Delivery ledger: one SQLite row per (newsletter slug, issue key, subscriber) recording what was sent.

Keyed by the newsletter's slug and the issue key (yyyy-mm): two newsletters mailed in the
same month share the ledger file (dist/<yyyy-mm>/) but never each other's rows. The
`issues` table names the issue folder each (slug, key) was mailed from, so a second,
different issue folder with the same slug and month is refused instead of being taken
for the first. Schema version 2; a version 1 file (keyed by month alone, it cannot say
which newsletter a row belongs to) is refused with an explanation, never guessed at.

The ledger makes a mailing resumable without duplicates beyond the one
message that can be in flight when the process dies:

    queued --mark_sending (committed BEFORE the SMTP transaction)--> sending
    sending --250 after DATA--> sent
    sending --5xx--> failed                 (permanent, RFC 5321 section 4.2.1)
    sending --4xx / lost connection--> queued (attempts counted, reply kept)

A row found in `sending` when a run starts was interrupted between "we are
about to send" and "the server said 250": the server may or may not have
the message. It is sent again and flagged `possibly_duplicated`, so the
report can name the (at most one per crash) subscriber who may have two
copies. Each row keeps the Message-ID chosen when it was queued, and every
attempt reuses it, so mail clients that collapse identical Message-IDs hide
that duplicate.

Every state change is its own committed statement (autocommit mode) in WAL
journal mode with `synchronous=FULL`: a SIGKILL or power loss keeps every
committed change. One sender at a time per ledger is enforced with an
advisory lock file next to it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from renderer.errors import PressError

STATES = ("queued", "sending", "sent", "failed")
LEDGER_NAME = "mail-ledger.sqlite"
_SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS issues (
    newsletter TEXT NOT NULL,       -- the manifest's slug
    issue_key TEXT NOT NULL,        -- yyyy-mm
    folder TEXT NOT NULL,           -- the issue folder mailed, resolved
    PRIMARY KEY (newsletter, issue_key)
);
CREATE TABLE IF NOT EXISTS deliveries (
    newsletter TEXT NOT NULL,
    issue_key TEXT NOT NULL,
    email TEXT NOT NULL,            -- lower-cased address: the subscriber's identity
    state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    reply TEXT,                     -- last server reply or connection error
    message_id TEXT NOT NULL,       -- reused by every attempt
    possibly_duplicated INTEGER NOT NULL DEFAULT 0,
    queued_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    sent_at TEXT,
    PRIMARY KEY (newsletter, issue_key, email)
);
"""


@dataclass(frozen=True)
class Delivery:
    newsletter: str
    issue_key: str
    email: str
    state: str
    attempts: int
    reply: str | None
    message_id: str
    possibly_duplicated: bool
    queued_at: str
    updated_at: str
    sent_at: str | None


def ledger_path_for(output_dir: Path) -> Path:
    """Where the ledger lives: beside the built outputs (dist/<key>/)."""
    return Path(output_dir) / LEDGER_NAME


class Ledger:
    """The SQLite ledger; use `Ledger.open(path)` as a context manager."""

    def __init__(self, connection: sqlite3.Connection, path: Path):
        self._db = connection
        self.path = path

    # --- opening -------------------------------------------------------------

    @classmethod
    @contextmanager
    def open(cls, path: Path, *, create: bool = True) -> Iterator[Ledger]:
        path = Path(path)
        if not create and not path.exists():
            raise PressError(
                "There is no mail ledger: nothing has been sent for this issue yet.",
                file=path,
                fix="Run the mail command with --send first.",
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: autocommit, each statement is committed on return.
            connection = sqlite3.connect(path, isolation_level=None, timeout=30)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            tables = {name for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if version == 1 or (version == 0 and "deliveries" in tables):
                connection.close()
                raise PressError(
                    "The mail ledger was written by an older version of the press (schema 1): "
                    "it records deliveries by month only, so it cannot tell which newsletter "
                    "they were for, and reading it could skip subscribers of another newsletter.",
                    file=path,
                    fix="Finish that mailing with the version that wrote it, or move the file "
                    "away (a new ledger then treats every subscriber as not yet sent).",
                )
            if version not in (0, _SCHEMA_VERSION):
                connection.close()
                raise PressError(
                    f"The mail ledger has schema version {version}; this version of the "
                    f"tool reads version {_SCHEMA_VERSION}.",
                    file=path,
                    fix="Use the tool version that wrote it, or move the file away.",
                )
            connection.executescript(_SCHEMA)
            connection.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
        except sqlite3.DatabaseError as error:
            raise PressError(
                f"The mail ledger cannot be opened: {error}.",
                file=path,
                fix="If it is damaged, move it away (re-sending then starts from zero).",
            ) from None
        try:
            yield cls(connection, path)
        finally:
            connection.close()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the ledger's lock file so two senders cannot mail the same issue."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise PressError(
                    "Another mail run is using this ledger right now.",
                    file=self.path,
                    fix="Wait for it to finish (the lock is released when it exits).",
                ) from None
            yield
        finally:
            os.close(descriptor)  # closing releases the lock

    # --- writing -------------------------------------------------------------

    def claim(self, newsletter: str, issue_key: str, folder: Path) -> None:
        """Record that this (slug, key) is mailed from `folder`; refuse another folder."""
        folder_text = str(Path(folder).resolve())
        self._db.execute(
            "INSERT OR IGNORE INTO issues (newsletter, issue_key, folder) VALUES (?, ?, ?)",
            (newsletter, issue_key, folder_text),
        )
        (recorded,) = self._db.execute(
            "SELECT folder FROM issues WHERE newsletter = ? AND issue_key = ?", (newsletter, issue_key)
        ).fetchone()
        if recorded != folder_text:
            raise PressError(
                f"Newsletter {newsletter!r} issue {issue_key} was already mailed from another issue "
                f"folder ({recorded}); two issues with the same slug and month cannot share an "
                "output folder.",
                file=self.path,
                fix="Give one of them another slug or month in issue.yaml, or mail it with "
                "another --dist folder.",
            )

    def enqueue(self, newsletter: str, issue_key: str, emails: Iterable[str],
                new_message_id: Callable[[], str]) -> int:
        """Add a `queued` row for each address not yet in the ledger; return how many."""
        now = _now()
        added = 0
        self._db.execute("BEGIN")
        try:
            for email in emails:
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO deliveries"
                    " (newsletter, issue_key, email, state, message_id, queued_at, updated_at)"
                    " VALUES (?, ?, ?, 'queued', ?, ?, ?)",
                    (newsletter, issue_key, email.lower(), new_message_id(), now, now),
                )
                added += cursor.rowcount
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return added

    def recover_interrupted(self, newsletter: str, issue_key: str) -> list[str]:
        """Requeue rows a crash left in `sending`, flagging them possibly duplicated."""
        rows = self._db.execute(
            "SELECT email FROM deliveries WHERE newsletter = ? AND issue_key = ? AND state = 'sending'"
            " ORDER BY email",
            (newsletter, issue_key),
        ).fetchall()
        self._db.execute(
            "UPDATE deliveries SET state = 'queued', possibly_duplicated = 1,"
            " reply = coalesce(reply, 'interrupted while sending'), updated_at = ?"
            " WHERE newsletter = ? AND issue_key = ? AND state = 'sending'",
            (_now(), newsletter, issue_key),
        )
        return [email for (email,) in rows]

    def mark_sending(self, newsletter: str, issue_key: str, email: str) -> None:
        self._update(newsletter, issue_key, email, "state = 'sending', attempts = attempts + 1")

    def mark_sent(self, newsletter: str, issue_key: str, email: str, reply: str) -> None:
        self._update(newsletter, issue_key, email, "state = 'sent', reply = ?, sent_at = ?", reply, _now())

    def mark_failed(self, newsletter: str, issue_key: str, email: str, reply: str) -> None:
        self._update(newsletter, issue_key, email, "state = 'failed', reply = ?", reply)

    def mark_deferred(self, newsletter: str, issue_key: str, email: str, reply: str, *,
                      uncertain: bool = False) -> None:
        """Back to `queued` after a temporary failure; `uncertain` if DATA may have landed."""
        self._update(
            newsletter,
            issue_key,
            email,
            "state = 'queued', reply = ?, possibly_duplicated = max(possibly_duplicated, ?)",
            reply,
            int(uncertain),
        )

    def _update(self, newsletter: str, issue_key: str, email: str, assignments: str,
                *values: object) -> None:
        cursor = self._db.execute(
            f"UPDATE deliveries SET {assignments}, updated_at = ?"
            " WHERE newsletter = ? AND issue_key = ? AND email = ?",
            (*values, _now(), newsletter, issue_key, email.lower()),
        )
        if cursor.rowcount != 1:
            raise KeyError(f"{email} is not queued for {newsletter} issue {issue_key}")

    # --- reading -------------------------------------------------------------

    def get(self, newsletter: str, issue_key: str, email: str) -> Delivery | None:
        row = self._db.execute(
            "SELECT * FROM deliveries WHERE newsletter = ? AND issue_key = ? AND email = ?",
            (newsletter, issue_key, email.lower()),
        ).fetchone()
        return _delivery(row) if row else None

    def deliveries(self, newsletter: str, issue_key: str) -> list[Delivery]:
        rows = self._db.execute(
            "SELECT * FROM deliveries WHERE newsletter = ? AND issue_key = ? ORDER BY email",
            (newsletter, issue_key),
        ).fetchall()
        return [_delivery(row) for row in rows]

    def counts(self, newsletter: str, issue_key: str) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        for state, count in self._db.execute(
            "SELECT state, count(*) FROM deliveries WHERE newsletter = ? AND issue_key = ?"
            " GROUP BY state",
            (newsletter, issue_key),
        ):
            counts[state] = count
        return counts


def ledger_status(ledger_path: Path, newsletter: str, issue_key: str) -> str:
    """The `--status` report: counts per state, possible duplicates, failures with replies."""
    with Ledger.open(ledger_path, create=False) as ledger:
        rows = ledger.deliveries(newsletter, issue_key)
        counts = ledger.counts(newsletter, issue_key)
    if not rows:
        return f"{newsletter} issue {issue_key}: no deliveries recorded in {ledger_path}."
    lines = [f"{newsletter} issue {issue_key}: {len(rows)} subscriber(s) in {ledger_path}"]
    lines += [f"  {state:<8} {counts[state]}" for state in STATES]
    deferred = [row for row in rows if row.state == "queued" and row.attempts > 0]
    duplicated = [row for row in rows if row.possibly_duplicated]
    failed = [row for row in rows if row.state == "failed"]
    if deferred:
        lines.append(f"Queued after temporary failures ({len(deferred)}), run --send again to retry:")
        lines += [f"  {row.email}: {row.reply} (attempts: {row.attempts})" for row in deferred]
    if duplicated:
        lines.append(
            f"Possibly duplicated ({len(duplicated)}): a run stopped while this message was in "
            "flight, so it was sent again:"
        )
        lines += [f"  {row.email}" for row in duplicated]
    if failed:
        lines.append(f"Failed permanently ({len(failed)}):")
        lines += [f"  {row.email}: {row.reply}" for row in failed]
    return "\n".join(lines)


def _delivery(row: tuple) -> Delivery:
    (newsletter, issue_key, email, state, attempts, reply, message_id, duplicated, queued_at,
     updated_at, sent_at) = row
    return Delivery(
        newsletter, issue_key, email, state, attempts, reply, message_id, bool(duplicated), queued_at, updated_at, sent_at
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
