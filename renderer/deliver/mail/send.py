"""The send loop (RFC 5321): ledger-bracketed transactions on parallel sessions, retries, progress.

Every transaction is bracketed by the ledger (`deliver/ledger.py`): `sending` committed
before MAIL FROM, `sent` committed after the 250 to DATA. With `connections` SMTP
sessions (threads, each reusing its connection) the main thread owns the ledger: it
builds each message, commits the `sending` marks of the messages it hands out together
with the outcomes that came back since the last commit (one transaction, one fsync), and
only then gives the messages to the sessions. So at any moment at most one row per
session is `sending` without its outcome committed: a crash (kill -9, power loss)
duplicates at most `connections` messages, the ones in flight, and the next run names
them (`possibly_duplicated`); every other subscriber is either `sent` or still queued.

A 4xx goes back to the queue after `RetryPolicy.delay`, and the wait is announced
("waiting N s to retry <address> (450 ...)"); still refused after `max_attempts`, it
stays queued for the next run.
"""

from __future__ import annotations

import heapq
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from email.utils import make_msgid
from pathlib import Path

from renderer.deliver.ledger import Ledger
from renderer.deliver.mail.message import (
    MailPlan,
    build_message,
    check_postal_address,
    envelope_sender,
    message_bytes,
)
from renderer.deliver.mail.progress import MailProgress
from renderer.deliver.mail.settings import (
    DEFAULT_CONNECTIONS,
    RetryPolicy,
    SmtpSettings,
    check_connections,
    check_rate,
)
from renderer.deliver.mail.smtp import (
    ConnectionLost,
    Outcome,
    Session,
    describe_error,
    format_seconds,
    transact,
)
from renderer.deliver.subscribers import Subscriber, normalize_address
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
    suppressed: int = 0
    edition: int = 1

    def render(self) -> str:
        rate = len(self.sent) / self.seconds if self.seconds > 0 else 0.0
        lines = [
            f"{self.newsletter} issue {self.issue_key}: sent {len(self.sent)} in {self.seconds:.1f} s ({rate:.1f}/s); "
            f"{self.already_sent} already sent before; {len(self.failed)} failed; "
            f"{len(self.deferred)} still queued; {self.rejected_rows} CSV row(s) skipped; "
            f"{self.suppressed} suppressed."
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
    connections: int = DEFAULT_CONNECTIONS,
    new_edition: bool = False,
) -> SendSummary:
    """Send every message not yet sent for this issue, recording each step in the ledger.

    Lines and progress go to `progress` (silent when None); nothing is printed directly.
    """
    rate_per_minute = check_rate(rate_per_minute)
    connections = check_connections(connections)
    check_postal_address(plan.issue)
    progress = progress or MailProgress()
    slug, key = plan.issue.slug, plan.issue.key
    started = time.monotonic()
    with Ledger.open(ledger_path) as ledger, ledger.exclusive():
        ledger.claim(slug, key, plan.issue.folder)
        edition = ledger.check_edition(slug, key, plan.attachment_sha256, plan.pdf_path.name,
                                       new_edition=new_edition)
        interrupted = set(ledger.recover_interrupted(slug, key))
        ledger.enqueue(slug, key, (s.key for s in plan.subscribers), lambda: make_msgid(domain=plan.domain))
        rows = ledger.states(slug, key)
        pending = [s for s in plan.subscribers if rows[s.key].state == "queued"]
        summary = SendSummary(
            issue_key=key,
            subscribers=len(plan.subscribers),
            already_sent=sum(rows[s.key].state == "sent" for s in plan.subscribers),
            rejected_rows=len(plan.rejected),
            newsletter=slug,
            suppressed=len(plan.suppressed),
            edition=edition,
        )
        progress.line(plan.report())
        progress.line(
            f"Sending {len(pending)} message(s) now ({slug} {key}"
            + (f", edition {edition}" if edition > 1 else "")
            + f"); {summary.already_sent} were sent by an earlier run."
        )
        summary.possibly_duplicated = sorted(interrupted)
        progress.start(len(pending))
        try:
            _Run(plan, ledger, smtp, rows, connections, rate_per_minute, retry, summary, progress).go(pending)
        finally:
            progress.stop()
    summary.seconds = time.monotonic() - started
    progress.line(summary.render())
    return summary


@dataclass(frozen=True)
class _Job:
    subscriber: Subscriber
    tries: int
    payload: bytes
    envelope_from: str


class _Worker(threading.Thread):
    """One SMTP session, reused for every message it is given, until it is given None."""

    def __init__(self, number: int, smtp: SmtpSettings, retry: RetryPolicy, say, results: queue.SimpleQueue):
        super().__init__(name=f"smtp-{number}", daemon=True)
        self.session = Session(smtp, retry, say)
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.results = results

    def run(self) -> None:
        try:
            while (job := self.inbox.get()) is not None:
                self.results.put((self, job, self._one(job)))
        finally:
            self.session.close()

    def _one(self, job: _Job):
        try:
            connection = self.session.connect()
        except PressError as error:
            return error  # never reached the server: the message was not sent
        try:
            outcome = transact(connection, job.envelope_from, job.subscriber.email, job.payload)
        except ConnectionLost as lost:
            self.session.discard()
            return lost
        except Exception as error:  # noqa: BLE001 - reported to the main thread, which stops
            self.session.discard()
            return ConnectionLost(error, during_data=True)
        if not outcome.connection_usable:
            self.session.discard()
        return outcome


class _Run:
    def __init__(self, plan, ledger, smtp, rows, connections, rate_per_minute, retry, summary, progress):
        self.plan, self.ledger, self.smtp, self.rows = plan, ledger, smtp, rows
        self.connections, self.retry, self.summary, self.progress = connections, retry, summary, progress
        self.throttle = _Throttle(rate_per_minute)
        self.ops: list = []  # ledger changes waiting for the next commit
        self.fatal: PressError | None = None
        self.connection_failures = 0

    def go(self, pending: list[Subscriber]) -> None:
        heap = [(0.0, number, subscriber, 0) for number, subscriber in enumerate(pending)]
        self.heap, self.sequence = heap, len(heap)
        self.meter = _Meter(len(pending), self.progress)
        results: queue.SimpleQueue = queue.SimpleQueue()
        workers = [_Worker(n, self.smtp, self.retry, self.progress.line, results)
                   for n in range(max(1, min(self.connections, len(pending))))]
        idle = deque(workers)
        in_flight = 0
        for worker in workers:
            worker.start()
        try:
            while (self.heap or in_flight) and self.fatal is None:
                dispatch = []
                while idle and self.heap and self.heap[0][0] <= time.monotonic():
                    self.throttle.wait()
                    _, _, subscriber, tries = heapq.heappop(self.heap)
                    payload = message_bytes(self.plan, build_message(
                        self.plan, subscriber, message_id=self.rows[subscriber.key].message_id))
                    job = _Job(subscriber, tries, payload, envelope_sender(self.plan, subscriber.email))
                    dispatch.append((idle.popleft(), job))
                    if self.throttle.interval:
                        break  # one at a time: results keep flowing during the waits
                self._commit(job.subscriber.key for _, job in dispatch)
                for worker, job in dispatch:
                    worker.inbox.put(job)
                    in_flight += 1
                got = []
                ready_now = bool(idle and self.heap and self.heap[0][0] <= time.monotonic())
                if in_flight:
                    timeout = None
                    if ready_now:
                        timeout = 0.0
                    elif idle and self.heap:
                        timeout = max(0.0, self.heap[0][0] - time.monotonic())
                    try:
                        got.append(results.get(timeout=timeout) if timeout != 0.0 else results.get_nowait())
                        while True:
                            got.append(results.get_nowait())
                    except queue.Empty:
                        pass
                elif self.heap and not ready_now:
                    _sleep_until(self.heap[0][0])
                for worker, job, result in got:
                    in_flight -= 1
                    idle.append(worker)
                    self._handle(job, result)
            while in_flight:  # stopping on an error: let the messages in flight finish
                worker, job, result = results.get()
                in_flight -= 1
                self._handle(job, result)
            self._commit(())
        finally:
            for worker in workers:
                worker.inbox.put(None)
            for worker in workers:
                worker.join(timeout=5)
            self.meter.finish()
        if self.fatal is not None:
            raise self.fatal

    def _commit(self, sending) -> None:
        sending = list(sending)
        if not self.ops and not sending:
            return
        slug, key = self.plan.issue.slug, self.plan.issue.key
        with self.ledger.batch():
            for op in self.ops:
                op()
            for email in sending:  # committed before the message is handed to a session
                self.ledger.mark_sending(slug, key, email)
        self.ops.clear()

    def _later(self, method, *args, **kwargs) -> None:
        slug, key = self.plan.issue.slug, self.plan.issue.key
        self.ops.append(lambda: method(slug, key, *args, **kwargs))

    def _requeue(self, job: _Job, delay: float, tries: int) -> None:
        self.sequence += 1
        heapq.heappush(self.heap, (time.monotonic() + delay, self.sequence, job.subscriber, tries))

    def _handle(self, job: _Job, result) -> None:
        subscriber, summary, ledger = job.subscriber, self.summary, self.ledger
        if isinstance(result, PressError):  # could not connect: not sent
            self._later(ledger.mark_deferred, subscriber.key, f"not sent: {result}")
            self.fatal = self.fatal or result
            return
        if isinstance(result, ConnectionLost):
            self._later(ledger.mark_deferred, subscriber.key, f"connection lost: {result}",
                        uncertain=result.during_data)
            if result.during_data and subscriber.key not in summary.possibly_duplicated:
                summary.possibly_duplicated.append(subscriber.key)
            self.connection_failures += 1
            if self.connection_failures >= self.retry.max_connection_attempts:
                self.fatal = self.fatal or PressError(
                    f"The SMTP connection to {self.smtp.host} failed {self.connection_failures} "
                    f"times in a row (last: {result}).",
                    fix="Nothing is lost: run the same command again to send what is still queued.",
                )
                return
            delay = self.retry.delay(self.connection_failures)
            self.progress.line(f"waiting {format_seconds(delay)} s to retry {subscriber.email} "
                               f"(connection lost: {result})")
            self._requeue(job, delay, job.tries)
            return
        assert isinstance(result, Outcome)
        self.connection_failures = 0
        if result.kind == "sent":
            self._later(ledger.mark_sent, subscriber.key, result.reply)
            summary.sent.append(subscriber.email)
            self.meter.advance()
        elif result.kind == "permanent":
            self._later(ledger.mark_failed, subscriber.key, result.reply)
            summary.failed.append((subscriber.email, result.reply))
            self.meter.advance()
        elif result.kind == "sender":
            self._later(ledger.mark_deferred, subscriber.key, result.reply)
            self.fatal = self.fatal or PressError(
                f"The SMTP server refused MAIL FROM:<{job.envelope_from}> (the sender or the message "
                f"size, for every subscriber): {result.reply}.",
                file=self.plan.issue.manifest,
                field="email.bounce_address" if self.plan.issue.email.bounce_address else "email.from",
                fix="Use a From (and bounce) address the server lets you send as, or a smaller PDF; "
                "nothing was marked sent or failed, run the command again once fixed.",
            )
        else:  # temporary: back to the queue with exponential backoff
            self._later(ledger.mark_deferred, subscriber.key, result.reply)
            tries = job.tries + 1
            if tries >= self.retry.max_attempts:
                summary.deferred.append((subscriber.email, result.reply))
                self.meter.advance()
            else:
                delay = self.retry.delay(tries)
                self.progress.line(f"waiting {format_seconds(delay)} s to retry {subscriber.email} ({result.reply})")
                self._requeue(job, delay, tries)


class _Meter:
    """Done count, rate over the last seconds and ETA, given to `progress.status`."""

    WINDOW = 10.0  # seconds of history for the rate
    EVERY = 0.5  # seconds between two status calls

    def __init__(self, total: int, progress: MailProgress):
        self.total, self.progress, self.done = total, progress, 0
        self.started = time.monotonic()
        self.marks: deque[tuple[float, int]] = deque([(self.started, 0)])
        self.last_report = 0.0

    def advance(self) -> None:
        self.done += 1
        self.progress.advance()
        now = time.monotonic()
        if now - self.last_report >= self.EVERY:
            self._report(now)

    def _report(self, now: float) -> None:
        self.last_report = now
        self.marks.append((now, self.done))
        while len(self.marks) > 2 and now - self.marks[0][0] > self.WINDOW:
            self.marks.popleft()
        since, done_then = self.marks[0]
        rate = (self.done - done_then) / (now - since) if now > since else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else None
        self.progress.status(self.done, self.total, rate, eta)

    def finish(self) -> None:
        self._report(time.monotonic())


def send_test(
    plan: MailPlan,
    smtp: SmtpSettings,
    addresses: list[str],
    *,
    retry: RetryPolicy = RetryPolicy(),
    progress: MailProgress | None = None,
) -> SendSummary:
    """--test: one message to each given address, subject prefixed [TEST]; the ledger is not touched.

    An address on the subscriber list gets its row's language and name; any other gets
    both languages. Addresses on the suppression list are left out.
    """
    progress = progress or MailProgress()
    plan = replace(plan, test=True)
    listed = {s.key: s for s in (*plan.subscribers, *plan.suppressed)}
    suppressed = {s.key for s in plan.suppressed}
    started = time.monotonic()
    summary = SendSummary(plan.issue.key, len(addresses), 0, 0, newsletter=plan.issue.slug)
    session = Session(smtp, retry, progress.line)
    try:
        for number, raw in enumerate(addresses, start=1):
            email = normalize_address(raw)
            if email is None:
                raise PressError(f"--test {raw!r} is not a usable e-mail address.",
                                 fix="Give whole addresses, e.g. --test editor@example.org.")
            if email.lower() in suppressed:
                progress.line(f"not sending to {email}: it is on the suppression list")
                summary.suppressed += 1
                continue
            subscriber = listed.get(email.lower()) or Subscriber(email, "", "both", number)
            payload = message_bytes(plan, build_message(plan, subscriber))
            try:
                outcome = transact(session.connect(), envelope_sender(plan, email), email, payload)
            except ConnectionLost as lost:
                session.discard()
                summary.failed.append((email, f"connection lost: {describe_error(lost)}"))
                continue
            if not outcome.connection_usable:
                session.discard()
            if outcome.kind == "sent":
                summary.sent.append(email)
                progress.line(f"test message ({subscriber.language}) sent to {email}: {outcome.reply}")
            else:
                summary.failed.append((email, outcome.reply))
    finally:
        session.close()
    summary.seconds = time.monotonic() - started
    lines = [f"[TEST] {plan.issue.slug} {plan.issue.key}: sent {len(summary.sent)} test message(s); "
             "the ledger was not touched."]
    lines += [f"  failed {address}: {reply}" for address, reply in summary.failed]
    progress.line("\n".join(lines))
    return summary


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
