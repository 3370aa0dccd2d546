"""The send loop (RFC 5321): ledger-bracketed transactions, 4xx retries, throttle, progress."""

# Every transaction is bracketed by the ledger (`deliver/ledger.py`): `sending` committed
# before MAIL FROM, `sent` right after the 250 to DATA, so a crash duplicates at most the
# one message in flight. A 4xx goes back to the queue after `RetryPolicy.delay`, and the
# wait is announced ("waiting N s to retry <address> (450 ...)"); still refused after
# `max_attempts`, it stays queued for the next run.

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field
from email.utils import make_msgid
from pathlib import Path

from renderer.deliver.ledger import Ledger
from renderer.deliver.mail.message import MailPlan, build_message, message_bytes
from renderer.deliver.mail.progress import MailProgress
from renderer.deliver.mail.settings import RetryPolicy, SmtpSettings, check_rate
from renderer.deliver.mail.smtp import ConnectionLost, Session, format_seconds, transact
from renderer.errors import PressError


@dataclass
class SendSummary:
    issue_key: str
    subscribers: int  # valid subscribers in the plan
    already_sent: int  # sent by earlier runs, skipped
    rejected_rows: int
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (address, server reply)
    deferred: list[tuple[str, str]] = field(default_factory=list)  # still queued after 4xx
    possibly_duplicated: list[str] = field(default_factory=list)
    seconds: float = 0.0
    newsletter: str = ""

    def render(self) -> str:
        rate = len(self.sent) / self.seconds if self.seconds > 0 else 0.0
        lines = [
            f"{self.newsletter} issue {self.issue_key}: sent {len(self.sent)} in {self.seconds:.1f} s ({rate:.1f}/s); "
            f"{self.already_sent} already sent before; {len(self.failed)} failed; "
            f"{len(self.deferred)} still queued; {self.rejected_rows} CSV row(s) skipped."
        ]
        if self.possibly_duplicated:
            lines.append(
                "Possibly duplicated (an earlier run stopped while this message was in flight; "
                "it was sent again): " + ", ".join(self.possibly_duplicated)
            )
        lines += [f"  failed {address}: {reply}" for address, reply in self.failed]
        lines += [f"  queued {address}: {reply} (run again to retry)" for address, reply in self.deferred]
        return "\n".join(lines)



def send(
    plan: MailPlan,
    ledger_path: Path,
    smtp: SmtpSettings,
    rate_per_minute: float | None = None,
    *,
    retry: RetryPolicy = RetryPolicy(),
    progress: MailProgress | None = None,
) -> SendSummary:
    """Send every message not yet sent for this issue, recording each step in the ledger.

    Lines and progress go to `progress` (silent when None); nothing is printed directly.
    """
    rate_per_minute = check_rate(rate_per_minute)
    progress = progress or MailProgress()
    slug, key = plan.issue.slug, plan.issue.key
    started = time.monotonic()
    with Ledger.open(ledger_path) as ledger, ledger.exclusive():
        ledger.claim(slug, key, plan.issue.folder)
        interrupted = set(ledger.recover_interrupted(slug, key))
        ledger.enqueue(slug, key, (s.key for s in plan.subscribers), lambda: make_msgid(domain=plan.domain))
        pending = [s for s in plan.subscribers if ledger.get(slug, key, s.key).state == "queued"]
        summary = SendSummary(
            issue_key=key,
            subscribers=len(plan.subscribers),
            already_sent=sum(ledger.get(slug, key, s.key).state == "sent" for s in plan.subscribers),
            rejected_rows=len(plan.rejected),
            newsletter=slug,
        )
        progress.line(plan.report())
        progress.line(
            f"Sending {len(pending)} message(s) now ({slug} {key}); "
            f"{summary.already_sent} were sent by an earlier run."
        )
        summary.possibly_duplicated = sorted(interrupted)
        session = Session(smtp, retry, progress.line)
        progress.start(len(pending))
        try:
            _send_all(plan, ledger, session, pending, rate_per_minute, retry, summary, progress)
        finally:
            progress.stop()
            session.close()
    summary.seconds = time.monotonic() - started
    progress.line(summary.render())
    return summary


def _send_all(plan, ledger, session, pending, rate_per_minute, retry, summary, progress) -> None:
    slug, key = plan.issue.slug, plan.issue.key
    advance = progress.advance
    throttle = _Throttle(rate_per_minute)
    queue = [(0.0, number, subscriber, 0) for number, subscriber in enumerate(pending)]
    heapq.heapify(queue)
    sequence = len(queue)
    connection_failures = 0
    while queue:
        ready_at, _, subscriber, tries = heapq.heappop(queue)
        _sleep_until(ready_at)
        throttle.wait()
        connection = session.connect()  # after the waits: it probes a connection left idle
        row = ledger.get(slug, key, subscriber.key)
        payload = message_bytes(plan, build_message(plan, subscriber, message_id=row.message_id))
        ledger.mark_sending(slug, key, subscriber.key)  # committed before the transaction starts
        try:
            outcome = transact(connection, plan.sender_address, subscriber.email, payload)
        except ConnectionLost as lost:
            ledger.mark_deferred(slug, key, subscriber.key, f"connection lost: {lost}", uncertain=lost.during_data)
            if lost.during_data and subscriber.key not in summary.possibly_duplicated:
                summary.possibly_duplicated.append(subscriber.key)
            session.discard()
            connection_failures += 1
            if connection_failures >= retry.max_connection_attempts:
                raise PressError(
                    f"The SMTP connection to {session.settings.host} failed {connection_failures} "
                    f"times in a row (last: {lost}).",
                    fix="Nothing is lost: run the same command again to send what is still queued.",
                ) from None
            delay = retry.delay(connection_failures)
            progress.line(f"waiting {format_seconds(delay)} s to retry {subscriber.email} "
                          f"(connection lost: {lost})")
            sequence += 1
            heapq.heappush(queue, (time.monotonic() + delay, sequence, subscriber, tries))
            continue
        connection_failures = 0
        if not outcome.connection_usable:
            session.discard()
        if outcome.kind == "sent":
            ledger.mark_sent(slug, key, subscriber.key, outcome.reply)
            summary.sent.append(subscriber.email)
            advance()
        elif outcome.kind == "permanent":
            ledger.mark_failed(slug, key, subscriber.key, outcome.reply)
            summary.failed.append((subscriber.email, outcome.reply))
            advance()
        elif outcome.kind == "sender":
            ledger.mark_deferred(slug, key, subscriber.key, outcome.reply)
            raise PressError(
                f"The SMTP server refused MAIL FROM:<{plan.sender_address}> (the sender or the message "
                f"size, for every subscriber): {outcome.reply}.",
                file=plan.issue.manifest,
                field="email.from",
                fix="Use a From address the server lets you send as, or a smaller PDF; nothing was "
                "marked sent or failed, run the command again once fixed.",
            )
        else:  # temporary: back to the queue with exponential backoff
            ledger.mark_deferred(slug, key, subscriber.key, outcome.reply)
            tries += 1
            if tries >= retry.max_attempts:
                summary.deferred.append((subscriber.email, outcome.reply))
                advance()
            else:
                delay = retry.delay(tries)
                progress.line(f"waiting {format_seconds(delay)} s to retry {subscriber.email} ({outcome.reply})")
                sequence += 1
                heapq.heappush(queue, (time.monotonic() + delay, sequence, subscriber, tries))


class _Throttle:
    """At most `rate_per_minute` transaction starts per minute (None: no limit; see check_rate)."""

    def __init__(self, rate_per_minute: float | None):
        self.interval = 60.0 / rate_per_minute if rate_per_minute else 0.0
        self.next_start = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        _sleep_until(self.next_start)
        self.next_start = max(self.next_start, time.monotonic()) + self.interval


def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)
