"""Delivery ledger: one SQLite row per (issue key, subscriber) recording what was sent.

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
_SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
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
    PRIMARY KEY (issue_key, email)
);
"""


@dataclass(frozen=True)
class Delivery:
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
            if version not in (0, _SCHEMA_VERSION):
                raise PressError(
                    f"The mail ledger has schema version {version}; this version of the "
                    f"tool reads version {_SCHEMA_VERSION}.",
                    file=path,
                    fix="Use the tool version that wrote it, or move the file away.",
                )
            connection.execute(_SCHEMA)
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

    def enqueue(self, issue_key: str, emails: Iterable[str], new_message_id: Callable[[], str]) -> int:
        """Add a `queued` row for each address not yet in the ledger; return how many."""
        now = _now()
        added = 0
        self._db.execute("BEGIN")
        try:
            for email in emails:
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO deliveries"
                    " (issue_key, email, state, message_id, queued_at, updated_at)"
                    " VALUES (?, ?, 'queued', ?, ?, ?)",
                    (issue_key, email.lower(), new_message_id(), now, now),
                )
                added += cursor.rowcount
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return added

    def recover_interrupted(self, issue_key: str) -> list[str]:
        """Requeue rows a crash left in `sending`, flagging them possibly duplicated."""
        rows = self._db.execute(
            "SELECT email FROM deliveries WHERE issue_key = ? AND state = 'sending' ORDER BY email",
            (issue_key,),
        ).fetchall()
        self._db.execute(
            "UPDATE deliveries SET state = 'queued', possibly_duplicated = 1,"
            " reply = coalesce(reply, 'interrupted while sending'), updated_at = ?"
            " WHERE issue_key = ? AND state = 'sending'",
            (_now(), issue_key),
        )
        return [email for (email,) in rows]

    def mark_sending(self, issue_key: str, email: str) -> None:
        self._update(issue_key, email, "state = 'sending', attempts = attempts + 1")

    def mark_sent(self, issue_key: str, email: str, reply: str) -> None:
        self._update(issue_key, email, "state = 'sent', reply = ?, sent_at = ?", reply, _now())

    def mark_failed(self, issue_key: str, email: str, reply: str) -> None:
        self._update(issue_key, email, "state = 'failed', reply = ?", reply)

    def mark_deferred(self, issue_key: str, email: str, reply: str, *, uncertain: bool = False) -> None:
        """Back to `queued` after a temporary failure; `uncertain` if DATA may have landed."""
        self._update(
            issue_key,
            email,
            "state = 'queued', reply = ?, possibly_duplicated = max(possibly_duplicated, ?)",
            reply,
            int(uncertain),
        )

    def _update(self, issue_key: str, email: str, assignments: str, *values: object) -> None:
        cursor = self._db.execute(
            f"UPDATE deliveries SET {assignments}, updated_at = ? WHERE issue_key = ? AND email = ?",
            (*values, _now(), issue_key, email.lower()),
        )
        if cursor.rowcount != 1:
            raise KeyError(f"{email} is not queued for issue {issue_key}")

    # --- reading -------------------------------------------------------------

    def get(self, issue_key: str, email: str) -> Delivery | None:
        row = self._db.execute(
            "SELECT * FROM deliveries WHERE issue_key = ? AND email = ?", (issue_key, email.lower())
        ).fetchone()
        return _delivery(row) if row else None

    def deliveries(self, issue_key: str) -> list[Delivery]:
        rows = self._db.execute(
            "SELECT * FROM deliveries WHERE issue_key = ? ORDER BY email", (issue_key,)
        ).fetchall()
        return [_delivery(row) for row in rows]

    def counts(self, issue_key: str) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        for state, count in self._db.execute(
            "SELECT state, count(*) FROM deliveries WHERE issue_key = ? GROUP BY state", (issue_key,)
        ):
            counts[state] = count
        return counts


def ledger_status(ledger_path: Path, issue_key: str) -> str:
    """The `--status` report: counts per state, possible duplicates, failures with replies."""
    with Ledger.open(ledger_path, create=False) as ledger:
        rows = ledger.deliveries(issue_key)
        counts = ledger.counts(issue_key)
    if not rows:
        return f"Issue {issue_key}: no deliveries recorded in {ledger_path}."
    lines = [f"Issue {issue_key}: {len(rows)} subscriber(s) in {ledger_path}"]
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
    (issue_key, email, state, attempts, reply, message_id, duplicated, queued_at, updated_at, sent_at) = row
    return Delivery(
        issue_key, email, state, attempts, reply, message_id, bool(duplicated), queued_at, updated_at, sent_at
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
