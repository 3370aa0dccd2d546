"""Delivery ledger: one SQLite row per (newsletter slug, issue key, subscriber) recording what was sent.

Keyed by the newsletter's slug and the issue key (yyyy-mm): two newsletters mailed in the
same month share the ledger file (dist/<yyyy-mm>/) but never each other's rows. The
`issues` table names the issue folder each (slug, key) was mailed from, so a second,
different issue folder with the same slug and month is refused instead of being taken
for the first, and records the SHA-256 of the file mailed (the PDF attached or linked)
at the first send: a run with a different file is refused (`check_edition`) unless it
deliberately starts a new mailing (`--new-edition`), which moves the earlier mailing's
rows to `superseded` and mails every subscriber again. Schema version 3 (version 2
files are upgraded in place: the file's SHA-256 is then recorded by the next send); a
version 1 file (keyed by month alone, it cannot say which newsletter a row belongs to)
is refused with an explanation, never guessed at.

The ledger makes a mailing resumable without duplicates beyond the messages
that can be in flight when the process dies (one per SMTP connection):

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

Every state change is committed (WAL journal mode, `synchronous=FULL`: a
SIGKILL or power loss keeps every committed change) before the step that depends
on it; with several connections the changes of one moment are committed together
(`batch`: one transaction, one fsync), and a `sending` mark is always committed
before its transaction starts. One sender at a time per ledger is enforced with an
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
_SCHEMA_VERSION = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS issues (
    newsletter TEXT NOT NULL,       -- the manifest's slug
    issue_key TEXT NOT NULL,        -- yyyy-mm
    folder TEXT NOT NULL,           -- the issue folder mailed, resolved
    attachment_sha256 TEXT,         -- the file mailed (schema 3), set by the first send
    attachment_name TEXT,
    edition INTEGER NOT NULL DEFAULT 1,  -- 2, 3 ... after --new-edition
    PRIMARY KEY (newsletter, issue_key)
);
CREATE TABLE IF NOT EXISTS superseded (  -- rows of earlier editions (schema 3)
    edition INTEGER NOT NULL,
    attachment_sha256 TEXT,
    newsletter TEXT NOT NULL,
    issue_key TEXT NOT NULL,
    email TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    reply TEXT,
    message_id TEXT NOT NULL,
    possibly_duplicated INTEGER NOT NULL,
    queued_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    sent_at TEXT
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
            if version == 2:  # schema 2 -> 3: the issues table gains the file's record
                connection.executescript(
                    "ALTER TABLE issues ADD COLUMN attachment_sha256 TEXT;"
                    "ALTER TABLE issues ADD COLUMN attachment_name TEXT;"
                    "ALTER TABLE issues ADD COLUMN edition INTEGER NOT NULL DEFAULT 1;")
                version = _SCHEMA_VERSION
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

    @contextmanager
    def batch(self) -> Iterator[None]:
        """The changes made inside are committed together (one transaction, one fsync)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- writing -------------------------------------------------------------

    def check_edition(self, newsletter: str, issue_key: str, sha256: str, name: str, *,
                      new_edition: bool = False) -> int:
        """Record the file at the first send; refuse another file unless `new_edition`.

        Returns the edition number being mailed (1, or 2, 3 ... after --new-edition).
        """
        recorded, recorded_name, edition = self._db.execute(
            "SELECT attachment_sha256, attachment_name, edition FROM issues"
            " WHERE newsletter = ? AND issue_key = ?", (newsletter, issue_key)).fetchone()
        counts = self.counts(newsletter, issue_key)
        (delivered,) = self._db.execute(  # rows whose subscriber may have the recorded file
            "SELECT count(*) FROM deliveries WHERE newsletter = ? AND issue_key = ?"
            " AND (state IN ('sent', 'sending') OR possibly_duplicated)", (newsletter, issue_key)).fetchone()
        if recorded is None or (recorded != sha256 and not delivered):
            self._db.execute(
                "UPDATE issues SET attachment_sha256 = ?, attachment_name = ?"
                " WHERE newsletter = ? AND issue_key = ?", (sha256, name, newsletter, issue_key))
            return edition
        if recorded == sha256:
            if new_edition:
                raise PressError(
                    f"--new-edition starts a new mailing of a different file, but {name} is the "
                    f"file already mailed for {newsletter} {issue_key} (SHA-256 {sha256[:16]}...).",
                    file=self.path,
                    fix="Leave out --new-edition to go on with this mailing.")
            return edition
        if not new_edition:
            raise PressError(
                f"The PDF is not the file this mailing started with: {newsletter} issue {issue_key} "
                f"was first mailed with {recorded_name} SHA-256 {recorded}, the file now is "
                f"{name} SHA-256 {sha256}. {counts['sent']} subscriber(s) have the first file and "
                f"{counts['queued'] + counts['sending']} are still queued; going on would send them "
                "a different edition without anyone deciding to.",
                file=self.path,
                fix="Restore the PDF that was mailed (rebuild from the sources as they were) to "
                "finish this mailing, or add --new-edition to start a new mailing of this file to "
                "every subscriber (the first mailing's rows are kept in the ledger).")
        with self.batch():
            self._db.execute(
                "INSERT INTO superseded SELECT ?, ?, * FROM deliveries"
                " WHERE newsletter = ? AND issue_key = ?", (edition, recorded, newsletter, issue_key))
            self._db.execute("DELETE FROM deliveries WHERE newsletter = ? AND issue_key = ?",
                             (newsletter, issue_key))
            self._db.execute(
                "UPDATE issues SET attachment_sha256 = ?, attachment_name = ?, edition = edition + 1"
                " WHERE newsletter = ? AND issue_key = ?", (sha256, name, newsletter, issue_key))
        return edition + 1

    def edition(self, newsletter: str, issue_key: str) -> tuple[int, str | None, str | None]:
        """(edition number, SHA-256, file name) recorded for this issue (1, None, None if none)."""
        row = self._db.execute(
            "SELECT edition, attachment_sha256, attachment_name FROM issues"
            " WHERE newsletter = ? AND issue_key = ?", (newsletter, issue_key)).fetchone()
        return tuple(row) if row else (1, None, None)

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

    def states(self, newsletter: str, issue_key: str) -> dict[str, Delivery]:
        """Every row of this issue by address (one query, for planning a large run)."""
        return {row.email: row for row in self.deliveries(newsletter, issue_key)}

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
        edition, sha256, name = ledger.edition(newsletter, issue_key)
    if not rows:
        return f"{newsletter} issue {issue_key}: no deliveries recorded in {ledger_path}."
    lines = [f"{newsletter} issue {issue_key}: {len(rows)} subscriber(s) in {ledger_path}"]
    if sha256:
        lines.append(f"  edition {edition}: {name}, SHA-256 {sha256}")
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
