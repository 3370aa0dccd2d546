"""Mailing the email edition, tested against a real SMTP server (aiosmtpd) on 127.0.0.1.

Messages are read back with the standard `email` parser; the ledger is read
back from SQLite; the crash test SIGKILLs a real sending process.
"""

from __future__ import annotations

import asyncio
import csv
import email
import hashlib
import hmac
import io
import os
import pickle
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import unicodedata
from collections import Counter
from contextlib import contextmanager
from dataclasses import replace
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from renderer.deliver.ledger import Ledger, ledger_status
from renderer.deliver.mail import (
    HTML_BODY_LIMIT,
    PRESS_HEADERS,
    ConsoleProgress,
    LineRecorder,
    RetryPolicy,
    SmtpSettings,
    build_message,
    first_sentence,
    message_bytes,
    plan_mail,
    send,
    write_outbox,
)
from renderer.deliver.mail.unsubscribe import unsubscribe_token
from renderer.deliver.subscribers import Subscriber
from renderer.errors import PressError
from renderer.model import Article, Bilingual, EmailSettings, Issue, Paragraph
from tests.conftest import ROOT, SAMPLE, run_cli

REPO = ROOT
SLUG = "cq-foreign-affairs"
RECEIVED: list[bytes] = []  # every message any test's SMTP server received (this process)
ENVELOPES: list[tuple[str, list[str], bytes]] = []  # (MAIL FROM, RCPT TO, message) of each
POSTAL = "1 Example Road, Yuzhong District, Chongqing 400010"
SECRET = "test-unsubscribe-secret"
FAST_RETRY = RetryPolicy(max_attempts=4, base_delay=0.05, max_delay=0.2, max_connection_attempts=3)

EN_FIRST = "On February 22nd, when the 44th Chinese Arbor Day arrived, Mr. Li planted 3.5 hectares."
ZH_FIRST = "2月22日，在我国第44个植树节来临之际，外国驻渝领事官员来到红岩公园。"


# --- every message any test produces has exactly the press's headers -------------

REQUIRED_HEADERS = PRESS_HEADERS - {"reply-to", "list-unsubscribe-post"}  # content-language: required
PART_HEADERS = {"content-type", "content-transfer-encoding", "content-disposition", "mime-version"}


@pytest.fixture(autouse=True)
def every_message_has_only_the_press_headers(tmp_path):
    """After each test: every message its SMTP servers received and every .eml file it
    wrote (outbox, CLI runs) is parsed; its header set must be the press's allow-list,
    with one To address, and no line over the RFC 5322 limit of 998 characters."""
    start, envelopes = len(RECEIVED), len(ENVELOPES)
    yield
    produced = [("smtp", raw) for raw in RECEIVED[start:]]
    produced += [(str(path), path.read_bytes()) for path in tmp_path.rglob("*.eml")]
    for origin, raw in produced:
        assert_press_headers(raw, origin)
    for mail_from, tags, raw in ENVELOPES[envelopes:]:
        assert_verp_envelope(mail_from, tags, raw)


VERP = re.compile(r"(?P<local>[^+@]+)\+(?P<key>\d{4}-\d{2})\.(?P<tag>[0-9a-f]{16})@(?P<domain>[^@]+)")


def assert_verp_envelope(mail_from: str, tags: list[str], raw: bytes) -> None:
    """The envelope sender is the VERP address of the one recipient (its tag is the keyed
    hash of that address), and the message has no Return-Path (the receiver writes it)."""
    match = VERP.fullmatch(mail_from)
    assert match, mail_from
    (tag,) = tags
    assert match["tag"] in tag and match["key"] == "2022-02", (mail_from, tag)
    assert parse(raw)["Return-Path"] is None


def assert_press_headers(raw: bytes, origin: str = "") -> None:
    message = parse(raw)
    names = [name.lower() for name in message.keys()]
    assert len(names) == len(set(names)), (origin, names)
    assert REQUIRED_HEADERS <= set(names) <= PRESS_HEADERS, (origin, names)
    assert str(message["Content-Language"]) in ("en", "zh-Hans", "en, zh-Hans"), origin
    subject = str(message["Subject"])
    assert ("2022年" in subject) is ("zh-Hans" in str(message["Content-Language"])), (origin, subject)
    assert ("February" in subject) is ("en" in str(message["Content-Language"]).split(", ")), (origin, subject)
    head = raw.split(b"\r\n\r\n", 1)[0]
    unfolded_names = [line.split(b":", 1)[0].lower() for line in head.split(b"\r\n") if line[:1] not in b" \t"]
    assert sorted(unfolded_names) == sorted(name.encode() for name in names), (origin, unfolded_names)
    assert len(message["To"].addresses) == 1, (origin, message["To"])
    display_name = message["To"].addresses[0].display_name
    assert not any(unicodedata.category(char) == "Cc" for char in display_name), (origin, display_name)
    assert all(len(line) <= 998 for line in raw.split(b"\r\n")), origin
    for part in message.walk():
        if part is not message:
            assert {name.lower() for name in part.keys()} <= PART_HEADERS, (origin, part.keys())


# --- fixtures: a real issue, a PDF, subscribers, an SMTP server ------------------


def make_issue(folder: Path, *, name_en: str = "Chongqing Foreign Affairs Newsletter", title_en: str | None = None,
               email_settings: EmailSettings | None = None, articles: int = 2) -> Issue:  # fmt: skip
    built = []
    for number in range(1, articles + 1):
        built.append(
            Article(
                path=folder / f"articles/0{number}-trees.md",
                slug=f"trees-{number}",
                title=Bilingual(title_en or f"Consular Officers *Planting* Trees {number}", f"外国驻渝领事官员共建友谊林{number}"),
                en=(Paragraph(f"{EN_FIRST} The **second** sentence.", 8), Paragraph("Another paragraph.", 10)),
                zh=(Paragraph(f"{ZH_FIRST}第二句。", 14), Paragraph("另一段。", 16)),
            )
        )
    return Issue(
        folder=folder,
        manifest=folder / "issue.yaml",
        name=Bilingual(name_en, "重庆外事简讯"),
        slug="cq-foreign-affairs",
        publisher="Foreign Affairs Office of the Chongqing Municipal Government",
        volume=5,
        number=2,
        year=2022,
        month=2,
        page_size="A4",
        articles=tuple(built),
        email=email_settings
        or EmailSettings(
            sender="Chongqing Newsletter <news@example.org>",
            reply_to="editor@example.org",
            unsubscribe_mailto="mailto:unsubscribe@example.org?subject=unsubscribe%20{token}",
            unsubscribe_url="https://example.org/unsubscribe?t={token}&e={email}",
            postal_address=POSTAL,
        ),
    )


def make_pdf(folder: Path) -> Path:
    path = folder / "cq-foreign-affairs-2022-02-email.pdf"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + os.urandom(40_000) + b"\n%%EOF\n")
    return path


def make_subscribers(folder: Path, count: int) -> Path:
    languages = ("en", "zh", "both")
    path = folder / "subscribers.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "language"])
        for number in range(count):
            writer.writerow([f"reader{number:03d}@example.net", f"Reader {number}, 读者", languages[number % 3]])
    return path


@pytest.fixture
def mail_setup(tmp_path, monkeypatch):
    monkeypatch.setenv("PRESS_UNSUBSCRIBE_SECRET", SECRET)

    def build(count: int, **issue_options):
        issue = make_issue(tmp_path, **issue_options)
        return plan_mail(issue, make_pdf(tmp_path), make_subscribers(tmp_path, count))

    return build


class RecordingHandler:
    """An aiosmtpd handler that keeps every message and can refuse or stall on cue."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages: list[tuple[list[str], bytes]] = []
        self.rcpt_attempts: Counter[str] = Counter()
        self.rcpt_replies: dict[str, list[str]] = {}  # address -> replies to give before accepting
        self.always_refuse: dict[str, str] = {}
        self.mail_reply: str | None = None
        self.hold_at: int | None = None  # stall the reply to this message until `release`
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def handle_MAIL(self, server, session, envelope, address, options):
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        with self.lock:
            self.rcpt_attempts[address] += 1
            if address in self.always_refuse:
                return self.always_refuse[address]
            scripted = self.rcpt_replies.get(address)
            if scripted:
                return scripted.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
            RECEIVED.append(envelope.original_content or envelope.content)
            # The tag expected for the recipient, under the secret the sender had (now).
            # (a CLI run in a child process has SECRET in its environment: smtp_env).
            tags = [{unsubscribe_token("verp:" + rcpt)[:16], unsubscribe_token("verp:" + rcpt, SECRET)[:16]}
                    for rcpt in envelope.rcpt_tos]
            ENVELOPES.append((envelope.mail_from, tags, RECEIVED[-1]))
            count = len(self.messages)
        if count == self.hold_at:
            self.arrived.set()
            while not self.release.is_set():  # the message is here, the 250 is not sent yet
                await asyncio.sleep(0.01)
        return "250 2.0.0 Queued"

    def received(self) -> Counter[str]:
        with self.lock:
            return Counter(rcpt for rcpts, _ in self.messages for rcpt in rcpts)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(handler: RecordingHandler, **options):
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield controller
    finally:
        handler.release.set()
        controller.stop()


def plain_settings(controller) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=controller.port, security="none", timeout=10)


def quiet() -> LineRecorder:
    return LineRecorder()


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=default_policy)


def expected_token(address: str) -> str:
    return hmac.new(SECRET.encode(), address.lower().encode(), hashlib.sha256).hexdigest()[:32]


# --- the main path ---------------------------------------------------------------


def test_fifty_subscribers_get_one_complete_message_each(mail_setup, tmp_path):
    plan = mail_setup(50)
    handler = RecordingHandler()
    ledger = tmp_path / "dist" / "mail-ledger.sqlite"
    with smtp_server(handler) as controller:
        summary = send(plan, ledger, plain_settings(controller), progress=quiet())

    assert len(handler.messages) == 50
    assert sorted(handler.received()) == sorted(s.email for s in plan.subscribers)
    assert len(summary.sent) == 50 and summary.failed == [] and summary.possibly_duplicated == []
    by_address = {s.email: s for s in plan.subscribers}
    message_ids = set()
    for (recipient,), raw in handler.messages:
        subscriber = by_address[recipient]
        message = parse(raw)
        assert_structure(message, plan.pdf)
        assert_headers(message, subscriber)
        assert_bodies(message, subscriber)
        assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # policy SMTP: CRLF only
        message_ids.add(message["Message-ID"])
    assert len(message_ids) == 50

    with Ledger.open(ledger) as opened:
        rows = opened.deliveries(SLUG, "2022-02")
    assert len(rows) == 50 and {row.state for row in rows} == {"sent"}
    assert all(row.attempts == 1 and row.reply.startswith("250") and row.sent_at for row in rows)
    assert "sent     50" in ledger_status(ledger, SLUG, "2022-02")


def assert_structure(message, pdf: bytes) -> None:
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in alternative.get_payload()] == ["text/plain", "text/html"]
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "cq-foreign-affairs-2022-02.pdf"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_content() == pdf


def assert_headers(message, subscriber: Subscriber) -> None:
    subject = str(message["Subject"])
    wants_en = subscriber.language in ("en", "both")
    wants_zh = subscriber.language in ("zh", "both")
    assert ("Chongqing Foreign Affairs Newsletter, February 2022" in subject) is wants_en
    assert ("《重庆外事简讯》2022年2月号" in subject) is wants_zh
    assert (" | " in subject) is (subscriber.language == "both")
    assert message["From"].addresses[0].addr_spec == "news@example.org"
    assert message["Reply-To"].addresses[0].addr_spec == "editor@example.org"
    assert message["To"].addresses[0].addr_spec == subscriber.email
    assert message["To"].addresses[0].display_name == subscriber.name
    assert message["Date"].datetime is not None
    assert message["Message-ID"].endswith("@example.org>")
    token = expected_token(subscriber.email)
    assert str(message["List-Unsubscribe"]) == (
        f"<mailto:unsubscribe@example.org?subject=unsubscribe%20{token}>, "
        f"<https://example.org/unsubscribe?t={token}&e={subscriber.email}>"
    )
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"


def assert_bodies(message, subscriber: Subscriber) -> None:
    text = message.get_body(("plain",)).get_content()
    html_part = message.get_body(("html",))
    html = html_part.get_content()
    assert len(html_part.get_content().encode("utf-8")) < HTML_BODY_LIMIT
    assert "<style" not in html.lower() and "<link" not in html.lower() and "class=" not in html
    flat_text = " ".join(text.split())
    wants_en = subscriber.language in ("en", "both")
    wants_zh = subscriber.language in ("zh", "both")
    # Title with inline Markdown stripped, first sentence only.
    assert ("Consular Officers Planting Trees 2" in flat_text) is wants_en
    assert (EN_FIRST in flat_text) is wants_en
    assert "second" not in flat_text and "*" not in flat_text.replace("* ", "")
    assert (ZH_FIRST in text) is wants_zh
    assert "第二句" not in text
    assert (f"Dear {subscriber.name}," in text) is wants_en
    assert (f"{subscriber.name}，您好" in text) is wants_zh
    assert "cq-foreign-affairs-2022-02.pdf" in text and "cq-foreign-affairs-2022-02.pdf" in html
    assert (EN_FIRST in html) is wants_en and (ZH_FIRST in html) is wants_zh


def test_running_again_after_a_complete_send_sends_nothing(mail_setup, tmp_path):
    plan = mail_setup(5)
    handler = RecordingHandler()
    ledger = tmp_path / "mail-ledger.sqlite"
    with smtp_server(handler) as controller:
        send(plan, ledger, plain_settings(controller), progress=quiet())
        again = send(plan, ledger, plain_settings(controller), progress=quiet())
    assert len(handler.messages) == 5
    assert again.sent == [] and again.already_sent == 5


# --- crash and resume --------------------------------------------------------------

SENDER_SCRIPT = """
import pickle, sys
from pathlib import Path
from renderer.deliver.mail import SmtpSettings, send
plan = pickle.loads(Path(sys.argv[1]).read_bytes())
send(plan, Path(sys.argv[2]), SmtpSettings("127.0.0.1", int(sys.argv[3]), "none", timeout=30),
     connections=int(sys.argv[4]))
"""


def test_a_killed_send_resumes_with_at_most_one_duplicate(mail_setup, tmp_path):
    plan = mail_setup(50)
    plan_file = tmp_path / "plan.pickle"
    plan_file.write_bytes(pickle.dumps(plan))
    ledger = tmp_path / "mail-ledger.sqlite"
    handler = RecordingHandler()
    handler.hold_at = 25  # the 25th message arrives, its 250 reply is held back: the kill lands mid-transaction
    with smtp_server(handler) as controller:
        sender = subprocess.Popen(
            [sys.executable, "-c", SENDER_SCRIPT, str(plan_file), str(ledger), str(controller.port), "1"],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            assert handler.arrived.wait(20), sender.stderr.read().decode() if sender.poll() is not None else "timeout"
        finally:
            os.kill(sender.pid, signal.SIGKILL)
            sender.wait()
        handler.release.set()
        assert sender.returncode == -signal.SIGKILL

        with Ledger.open(ledger) as opened:
            counts = opened.counts(SLUG, "2022-02")
            in_flight = [row.email for row in opened.deliveries(SLUG, "2022-02") if row.state == "sending"]
        assert counts == {"queued": 25, "sending": 1, "sent": 24, "failed": 0}

        summary = send(plan, ledger, plain_settings(controller), progress=quiet())

    received = handler.received()
    assert set(received) == {s.email for s in plan.subscribers}  # everyone has the issue
    duplicated = [address for address, count in received.items() if count > 1]
    assert duplicated == in_flight and received[in_flight[0]] == 2
    assert summary.possibly_duplicated == in_flight
    assert len(summary.sent) == 26  # the 25 never tried plus the one in flight
    copies = [parse(raw)["Message-ID"] for rcpts, raw in handler.messages if rcpts == in_flight]
    assert len(copies) == 2 and copies[0] == copies[1]  # same Message-ID: clients can fold them
    status = ledger_status(ledger, SLUG, "2022-02")
    assert "sent     50" in status
    assert "Possibly duplicated (1)" in status and in_flight[0] in status


# --- temporary and permanent refusals ------------------------------------------------


def test_451_is_retried_with_backoff_and_550_fails_only_that_subscriber(mail_setup, tmp_path):
    plan = mail_setup(10)
    addresses = [s.email for s in plan.subscribers]
    greylisted, refused = addresses[1:4], addresses[6]
    handler = RecordingHandler()
    for address in greylisted:
        handler.rcpt_replies[address] = ["451 4.7.1 Greylisted, try again later"]
    handler.always_refuse[refused] = "550 5.1.1 No such user here"
    ledger = tmp_path / "mail-ledger.sqlite"
    with smtp_server(handler) as controller:
        summary = send(plan, ledger, plain_settings(controller), retry=FAST_RETRY, progress=quiet())
        again = send(plan, ledger, plain_settings(controller), retry=FAST_RETRY, progress=quiet())

    received = handler.received()
    assert set(received) == set(addresses) - {refused}
    assert all(count == 1 for count in received.values())
    assert handler.rcpt_attempts[refused] == 1  # a permanent failure is not retried, not even by a re-run
    assert all(handler.rcpt_attempts[address] == 2 for address in greylisted)
    assert summary.failed == [(refused, "550 5.1.1 No such user here")]
    assert again.sent == [] and again.failed == []
    with Ledger.open(ledger) as opened:
        rows = {row.email: row for row in opened.deliveries(SLUG, "2022-02")}
    assert rows[refused].state == "failed" and rows[refused].reply == "550 5.1.1 No such user here"
    assert all(rows[a].state == "sent" and rows[a].attempts == 2 for a in greylisted)
    assert "Failed permanently (1)" in ledger_status(ledger, SLUG, "2022-02")


def test_a_persistent_4xx_stays_queued_for_the_next_run(mail_setup, tmp_path):
    plan = mail_setup(3)
    stubborn = plan.subscribers[0].email
    handler = RecordingHandler()
    handler.rcpt_replies[stubborn] = ["452 4.2.2 Mailbox full"] * 4
    ledger = tmp_path / "mail-ledger.sqlite"
    with smtp_server(handler) as controller:
        first = send(plan, ledger, plain_settings(controller), retry=FAST_RETRY, progress=quiet())
        assert first.deferred == [(stubborn, "452 4.2.2 Mailbox full")]
        assert "run --send again" in ledger_status(ledger, SLUG, "2022-02")
        second = send(plan, ledger, plain_settings(controller), retry=FAST_RETRY, progress=quiet())
    assert second.sent == [stubborn]
    assert handler.received()[stubborn] == 1 and handler.rcpt_attempts[stubborn] == 5


def test_a_refused_sender_stops_the_run_without_failing_subscribers(mail_setup, tmp_path):
    plan = mail_setup(3)
    handler = RecordingHandler()
    handler.mail_reply = "550 5.7.1 Sender not allowed"
    ledger = tmp_path / "mail-ledger.sqlite"
    with smtp_server(handler) as controller, pytest.raises(PressError, match="refused MAIL FROM"):
        send(plan, ledger, plain_settings(controller), retry=FAST_RETRY, progress=quiet())
    with Ledger.open(ledger) as opened:
        assert opened.counts(SLUG, "2022-02")["queued"] == 3


def test_console_output_shows_csv_text_literally(mail_setup, tmp_path):
    plan = mail_setup(1)
    csv_path = tmp_path / "subscribers.csv"
    csv_path.write_text(csv_path.read_text() + "[/bold]bad,x,en\n")
    plan = plan_mail(plan.issue, plan.pdf_path, csv_path)
    output = io.StringIO()
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        send(plan, tmp_path / "l.sqlite", plain_settings(controller),
             progress=ConsoleProgress(Console(file=output, width=300), bar=False))
    assert "line 3: not a usable e-mail address: '[/bold]bad' ([/bold]bad,x,en)" in output.getvalue()
    assert "Sending 1 message(s) now" in output.getvalue() and len(handler.messages) == 1


def test_a_message_over_the_server_size_limit_is_refused_before_data(mail_setup, tmp_path):
    plan = mail_setup(2)
    handler = RecordingHandler()
    with smtp_server(handler, data_size_limit=20_000) as controller:  # the PDF alone is 40 KB
        with pytest.raises(PressError, match="refused MAIL FROM") as error:
            send(plan, tmp_path / "l.sqlite", plain_settings(controller), progress=quiet())
    assert "552" in str(error.value) and handler.messages == []


def test_an_unreachable_server_is_a_press_error_and_nothing_is_lost(mail_setup, tmp_path):
    plan = mail_setup(2)
    ledger = tmp_path / "mail-ledger.sqlite"
    nobody = SmtpSettings(host="127.0.0.1", port=free_port(), security="none", timeout=2)
    with pytest.raises(PressError, match="Cannot connect") as error:
        send(plan, ledger, nobody, retry=FAST_RETRY, progress=quiet())
    assert "run the same command again" in str(error.value)
    with Ledger.open(ledger) as opened:
        assert opened.counts(SLUG, "2022-02") == {"queued": 2, "sending": 0, "sent": 0, "failed": 0}


def test_the_rate_limit_spaces_transactions(mail_setup, tmp_path):
    plan = mail_setup(4)
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        started = time.monotonic()
        send(plan, tmp_path / "l.sqlite", plain_settings(controller), rate_per_minute=600, progress=quiet())
        elapsed = time.monotonic() - started
    assert len(handler.messages) == 4
    assert elapsed >= 0.3  # 4 messages at 10 per second: 3 gaps of 0.1 s


# --- header injection ---------------------------------------------------------------

EXPECTED_HEADERS = {
    "subject", "from", "to", "reply-to", "date", "message-id", "list-id",
    "list-unsubscribe", "list-unsubscribe-post", "mime-version", "content-type", "content-language",
}  # fmt: skip


def test_cr_lf_in_a_name_or_title_cannot_inject_headers(mail_setup, tmp_path):
    evil = "Eve\r\nBcc: victim@example.com\r\n\r\nbody"
    plan = mail_setup(1, name_en=f"News {evil}", title_en=f"Title {evil}")
    subscriber = Subscriber(email="eve@example.net", name=evil, language="both", line=2)
    raw = build_message(plan, subscriber).as_bytes()
    message = parse(raw)
    assert {key.lower() for key in message.keys()} == EXPECTED_HEADERS
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert not any(line.lower().startswith(b"bcc") for line in head.split(b"\r\n"))
    assert "\n" not in str(message["Subject"]) and "\n" not in message["To"].addresses[0].display_name

    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        send(replace(plan, subscribers=(subscriber,)), tmp_path / "l.sqlite", plain_settings(controller),
             progress=quiet())  # fmt: skip
    assert [rcpts for rcpts, _ in handler.messages] == [["eve@example.net"]]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=30), title=st.text(min_size=1, max_size=30))
def test_no_name_or_title_adds_a_header(mail_setup, name, title):
    plan = mail_setup(1, name_en=f"N {title}", title_en=title)
    message = parse(build_message(plan, Subscriber("x@example.net", name, "both", 2)).as_bytes())
    assert {key.lower() for key in message.keys()} == EXPECTED_HEADERS
    assert message["To"].addresses[0].addr_spec == "x@example.net"


# --- TLS ------------------------------------------------------------------------------


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        from cryptography import x509  # noqa: F401 - preferred when installed
    except ImportError:
        if shutil.which("openssl") is None:
            pytest.skip("neither the cryptography package nor openssl is available")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext",
             "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        return cert, key
    return _certificate_with_cryptography(cert, key)


def _certificate_with_cryptography(cert: Path, key: Path) -> tuple[Path, Path]:
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(private, hashes.SHA256())
    )  # fmt: skip
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))  # fmt: skip
    return cert, key


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_with_login_and_the_password_never_shown(mail_setup, tmp_path, security):
    cert, key = self_signed_certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        accepted = auth_data.login == b"press" and auth_data.password == b"pw-Secret-42"
        return AuthResult(success=accepted, handled=False)  # handled=False: aiosmtpd sends the 535

    tls_options = (
        {"tls_context": server_context, "require_starttls": True}
        if security == "starttls"
        # aiosmtpd offers AUTH only after STARTTLS unless told the implicit TLS counts.
        else {"ssl_context": server_context, "auth_require_tls": False}
    )
    plan = mail_setup(3)
    handler = RecordingHandler()
    output = io.StringIO()
    environment = {
        "PRESS_SMTP_HOST": "127.0.0.1", "PRESS_SMTP_SECURITY": security, "PRESS_SMTP_USER": "press",
        "PRESS_SMTP_PASSWORD": "pw-Secret-42", "PRESS_SMTP_CA_FILE": str(cert),
    }  # fmt: skip
    with smtp_server(handler, authenticator=authenticator, auth_required=True, **tls_options) as controller:
        settings_ = replace(SmtpSettings.from_env({**environment, "PRESS_SMTP_PORT": str(controller.port)}), timeout=5)
        summary = send(plan, tmp_path / "l.sqlite", settings_, progress=ConsoleProgress(Console(file=output), bar=False))
        wrong = replace(settings_, password="wrong-Pass-99")
        with pytest.raises(PressError, match="refused the login") as error:
            send(plan, tmp_path / "other.sqlite", wrong, retry=FAST_RETRY, progress=quiet())
    assert len(handler.messages) == 3 and len(summary.sent) == 3
    assert logins[0] == (b"press", b"pw-Secret-42")
    assert "pw-Secret-42" not in output.getvalue() + summary.render() + repr(settings_)
    assert "wrong-Pass-99" not in str(error.value)


def test_an_untrusted_certificate_is_a_press_error(mail_setup, tmp_path):
    cert, key = self_signed_certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    plan = mail_setup(1)
    handler = RecordingHandler()
    with smtp_server(handler, ssl_context=server_context) as controller:
        settings_ = SmtpSettings("127.0.0.1", controller.port, "tls", timeout=5)  # system CAs only
        with pytest.raises(PressError, match="certificate"):
            send(plan, tmp_path / "l.sqlite", settings_, retry=FAST_RETRY, progress=quiet())
    assert handler.messages == []


# --- settings, plan checks, outbox, text --------------------------------------------------


def test_smtp_settings_come_from_the_environment_only():
    with pytest.raises(PressError, match="PRESS_SMTP_HOST"):
        SmtpSettings.from_env({})
    implicit = SmtpSettings.from_env({"PRESS_SMTP_HOST": "mail.example.org"})
    assert (implicit.security, implicit.port, implicit.user) == ("tls", 465, None)
    assert SmtpSettings.from_env({"PRESS_SMTP_HOST": "h", "PRESS_SMTP_SECURITY": "STARTTLS"}).port == 587
    for broken in (
        {"PRESS_SMTP_SECURITY": "ssl3"},
        {"PRESS_SMTP_PORT": "smtp"},
        {"PRESS_SMTP_USER": "only-user"},
        {"PRESS_SMTP_SECURITY": "none", "PRESS_SMTP_USER": "u", "PRESS_SMTP_PASSWORD": "p"},
    ):
        with pytest.raises(PressError):
            SmtpSettings.from_env({"PRESS_SMTP_HOST": "h", **broken})


@pytest.mark.parametrize(
    ("email_settings", "field"),
    [
        (EmailSettings(unsubscribe_url="https://e.org/u?t={token}"), "email.from"),
        (EmailSettings(sender="not an address", unsubscribe_url="https://e.org/u"), "email.from"),
        (EmailSettings(sender="a@example.org"), "email.unsubscribe_url"),
        (EmailSettings(sender="a@example.org", unsubscribe_url="http://e.org/u?t={token}"), "email.unsubscribe_url"),
        (EmailSettings(sender="a@example.org", unsubscribe_mailto="u@e.org"), "email.unsubscribe_mailto"),
    ],
)
def test_unusable_mail_settings_are_press_errors_naming_the_field(tmp_path, email_settings, field):
    issue = make_issue(tmp_path, email_settings=email_settings)
    with pytest.raises(PressError) as error:
        plan_mail(issue, make_pdf(tmp_path), make_subscribers(tmp_path, 1))
    assert error.value.field == field and error.value.file == issue.manifest


def test_mailto_only_has_no_one_click_header(tmp_path):
    issue = make_issue(tmp_path, email_settings=EmailSettings(
        sender="a@example.org", unsubscribe_mailto="mailto:u@example.org?subject={email}"))  # fmt: skip
    plan = plan_mail(issue, make_pdf(tmp_path), make_subscribers(tmp_path, 1))
    message = parse(build_message(plan, plan.subscribers[0]).as_bytes())
    assert str(message["List-Unsubscribe"]) == "<mailto:u@example.org?subject=reader000@example.net>"
    assert message["List-Unsubscribe-Post"] is None  # RFC 8058 needs an https URI


def test_headers_shared_by_a_mailing_are_folded_once_and_as_the_library_folds_them(mail_setup):
    from email.generator import BytesGenerator
    from email.header import Header

    from renderer.deliver.mail.message import MAIL_POLICY

    plan = mail_setup(6)  # two subscribers of each language: two share each Subject
    encoded = []
    original = Header.encode
    Header.encode = lambda self, *args, **kwargs: encoded.append(1) or original(self, *args, **kwargs)
    try:
        messages = [build_message(plan, subscriber, message_id=f"<m{n}@example.org>")
                    for n, subscriber in enumerate(plan.subscribers)]
        cached = [message_bytes(plan, message) for message in messages]
    finally:
        Header.encode = original
    assert len(encoded) == 2  # the two non-ASCII Subjects (zh, both), not one per message
    uncached = MAIL_POLICY.clone()  # another policy object: folded by the library each time
    for message, raw in zip(messages, cached):
        out = io.BytesIO()
        BytesGenerator(out, mangle_from_=False, policy=uncached).flatten(message)
        assert out.getvalue() == raw


def test_a_missing_pdf_is_a_press_error(tmp_path):
    with pytest.raises(PressError, match="has not been built"):
        plan_mail(make_issue(tmp_path), tmp_path / "missing.pdf", make_subscribers(tmp_path, 1))


def test_an_html_body_over_100_kb_is_refused(mail_setup):
    with pytest.raises(PressError, match="HTML mail body") as error:
        mail_setup(1, articles=400)
    assert error.value.field == "articles"


def test_the_plan_reports_rejected_rows_and_the_count(mail_setup, tmp_path):
    plan = mail_setup(2)
    csv_path = tmp_path / "subscribers.csv"
    csv_path.write_text(csv_path.read_text() + "broken,x,en\nreader000@EXAMPLE.net,dup,zh\n")
    plan = plan_mail(plan.issue, plan.pdf_path, csv_path)
    report = plan.report()
    assert "line 4: not a usable e-mail address" in report
    assert "line 5: duplicate of line 2" in report
    assert "2 subscriber(s) will receive cq-foreign-affairs-2022-02.pdf" in report


def test_outbox_files_are_complete_messages_written_atomically(mail_setup, tmp_path):
    plan = mail_setup(6)
    paths = write_outbox(plan, tmp_path / "outbox")
    assert len(paths) == 6 and all(path.suffix == ".eml" and path.name.isascii() for path in paths)
    written = [p.name for p in (tmp_path / "outbox").iterdir() if p.name != ".press-outbox"]
    assert sorted(written) == sorted(p.name for p in paths)
    for path, subscriber in zip(paths, plan.subscribers):
        message = parse(path.read_bytes())
        assert_structure(message, plan.pdf)
        assert message["To"].addresses[0].addr_spec == subscriber.email


def test_message_bytes_equal_the_standard_serialization(mail_setup):
    plan = mail_setup(3)
    for subscriber in plan.subscribers:
        message = build_message(plan, subscriber)
        fast = message_bytes(plan, message)  # sets the MIME boundaries, which as_bytes then reuses
        assert fast == message.as_bytes()
        assert plan.attachment_bytes in fast


@pytest.mark.parametrize(
    ("markdown", "language", "expected"),
    [
        ("Hello *there*. Next one.", "en", "Hello there."),
        ("Mr. Li paid 3.5 yuan at No. 2 Street! Then left.", "en", "Mr. Li paid 3.5 yuan at No. 2 Street!"),
        ('He asked "why?" Then [left](https://x.org/a.b).', "en", 'He asked "why?"'),
        ("J. Smith came. Then", "en", "J. Smith came."),
        ("No end here", "en", "No end here"),
        ("Raw <b>html</b> stays text. Yes.", "en", "Raw <b>html</b> stays text."),
        ("他说：“好！”然后走了。", "zh", "他说：“好！”"),
        ("**重庆**外事办公室3.5亿元。第二句？", "zh", "重庆外事办公室3.5亿元。"),
        ("是吗？是的。", "zh", "是吗？"),
    ],
)
def test_first_sentence(markdown, language, expected):
    assert first_sentence(markdown, language) == expected


def test_first_sentence_without_an_end_is_cut_at_a_word():
    sentence = first_sentence("word " * 200, "en")
    assert sentence.endswith("word…") and len(sentence) <= 301


def test_status_without_a_ledger_is_a_press_error(tmp_path):
    with pytest.raises(PressError, match="no mail ledger"):
        ledger_status(tmp_path / "dist" / "mail-ledger.sqlite", SLUG, "2022-02")
    assert not (tmp_path / "dist").exists()


# --- security and reliability fixes -----------------------------------------------

MALLORY = "Mallory =?utf-8?q?=0D=0ABcc:_a@evil.example=0D=0AX-Evil:_1?="
MALLORY_BODY = (
    "Eve =?utf-8?q?=0D=0AContent-Type:_text/html=0D=0A=0D=0A<h1>Your_account_is_locked</h1>?="
)


def write_csv(folder: Path, rows: list[str]) -> Path:
    path = folder / "subscribers.csv"
    path.write_text("email,name,language\n" + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def test_encoded_words_in_a_name_cannot_inject_headers_or_a_body(mail_setup, tmp_path):
    plan = mail_setup(1)
    csv_path = write_csv(tmp_path, [
        "ok@example.net,Ok Reader,en",
        f'mallory@example.net,"{MALLORY}",en',
        f'eve@example.net,"{MALLORY_BODY}",both',
        "bidi@example.net,\u202eevil\u202c,en",
        "zw@example.net,\u200b\u200d\u2060,en",
        "wang@example.net,=?utf-8?b?546L5bCP5piO?=,zh",  # a harmless encoded word: decoded, kept
    ])  # fmt: skip
    plan = plan_mail(plan.issue, plan.pdf_path, csv_path)
    rejected = {row.line: row.reason for row in plan.rejected}
    assert set(rejected) == {3, 4, 5, 6}, rejected
    assert "control character" in rejected[3] and "control character" in rejected[4]
    assert "bidirectional" in rejected[5] and "invisible" in rejected[6]
    assert [(s.email, s.name) for s in plan.subscribers] == [("ok@example.net", "Ok Reader"),
                                                             ("wang@example.net", "王小明")]

    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        send(plan, tmp_path / "l.sqlite", plain_settings(controller), progress=quiet())
    outbox = write_outbox(plan, tmp_path / "outbox")
    raws = [raw for _, raw in handler.messages] + [path.read_bytes() for path in outbox]
    assert len(raws) == 4
    for raw in raws:
        head = raw.split(b"\r\n\r\n", 1)[0].lower()
        # header names, not the head's text: a random MIME boundary may spell "bcc" in hex
        names = {line.split(b":", 1)[0] for line in head.split(b"\r\n") if line[:1] not in b" \t"}
        assert b"bcc" not in names and b"x-evil" not in names and b"evil.example" not in head
        assert_press_headers(raw)
        message = parse(raw)
        assert message.get_content_type() == "multipart/mixed"
        assert all("locked" not in part.get_content() for part in message.walk()
                   if part.get_content_type().startswith("text/"))
    assert sorted(rcpt for rcpts, _ in handler.messages for rcpt in rcpts) == ["ok@example.net", "wang@example.net"]
    wang = next(raw for rcpts, raw in handler.messages if rcpts == ["wang@example.net"])  # 4 sessions: any order
    assert parse(wang)["To"].addresses[0].display_name == "王小明"

    # A Subscriber built without the CSV reader: the name is checked again, then dropped.
    direct = build_message(plan, Subscriber("mallory@example.net", MALLORY, "en", 2))
    raw = message_bytes(plan, direct)
    assert_press_headers(raw)
    assert str(parse(raw)["To"]) == "mallory@example.net"


def test_an_encoded_word_in_the_manifest_sender_is_refused(tmp_path):
    settings_ = EmailSettings(sender="=?utf-8?q?News=0D=0AX-Evil=3A_1?= <news@example.org>",
                              unsubscribe_url="https://e.org/u?t={token}")
    issue = make_issue(tmp_path, email_settings=settings_)
    with pytest.raises(PressError, match="email.from has an unusable display name"):
        plan_mail(issue, make_pdf(tmp_path), make_subscribers(tmp_path, 1))


def test_a_second_newsletter_of_the_same_month_is_mailed_too(mail_setup, tmp_path):
    plan = mail_setup(3)
    other_folder = tmp_path / "other"
    other_folder.mkdir()
    other = replace(plan, issue=replace(make_issue(other_folder), slug="trade-bulletin"))
    ledger = tmp_path / "dist" / "2022-02" / "mail-ledger.sqlite"  # one ledger per month folder
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        first = send(plan, ledger, plain_settings(controller), progress=quiet())
        output = quiet()
        second = send(other, ledger, plain_settings(controller), progress=output)
    assert len(first.sent) == 3 and len(second.sent) == 3 and second.already_sent == 0
    assert any("Sending 3 message(s) now (trade-bulletin 2022-02); 0 were sent" in line for line in output.lines)
    assert handler.received() == Counter({s.email: 2 for s in plan.subscribers})
    assert "sent     3" in ledger_status(ledger, "trade-bulletin", "2022-02")
    assert "sent     3" in ledger_status(ledger, SLUG, "2022-02")


def test_two_issue_folders_with_the_same_slug_and_month_are_refused(mail_setup, tmp_path):
    plan = mail_setup(2)
    copy_folder = tmp_path / "copy"
    copy_folder.mkdir()
    twin = replace(plan, issue=make_issue(copy_folder))  # same slug, same month, another folder
    ledger = tmp_path / "mail-ledger.sqlite"
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        send(plan, ledger, plain_settings(controller), progress=quiet())
        with pytest.raises(PressError, match="already mailed from another issue folder"):
            send(twin, ledger, plain_settings(controller), progress=quiet())
    assert len(handler.messages) == 2
    write_outbox(plan, tmp_path / "outbox")
    with pytest.raises(PressError, match="messages of another issue"):
        write_outbox(twin, tmp_path / "outbox")


def test_a_ledger_of_the_old_schema_is_refused_not_misread(mail_setup, tmp_path):
    import sqlite3

    plan = mail_setup(2)
    ledger = tmp_path / "mail-ledger.sqlite"
    old = sqlite3.connect(ledger)
    old.executescript(
        "CREATE TABLE deliveries (issue_key TEXT NOT NULL, email TEXT NOT NULL, state TEXT NOT NULL,"
        " attempts INTEGER NOT NULL DEFAULT 0, reply TEXT, message_id TEXT NOT NULL,"
        " possibly_duplicated INTEGER NOT NULL DEFAULT 0, queued_at TEXT NOT NULL,"
        " updated_at TEXT NOT NULL, sent_at TEXT, PRIMARY KEY (issue_key, email));"
        "INSERT INTO deliveries VALUES ('2022-02', 'reader000@example.net', 'sent', 1, '250', '<x@y>',"
        " 0, 'now', 'now', 'now');"
        "PRAGMA user_version=1;"
    )
    old.close()
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        with pytest.raises(PressError, match="older version of the press"):
            send(plan, ledger, plain_settings(controller), progress=quiet())
    assert handler.messages == []
    with pytest.raises(PressError, match="older version"):
        ledger_status(ledger, SLUG, "2022-02")


def test_a_2000_character_name_is_a_rejected_row_and_header_lines_stay_short(mail_setup, tmp_path):
    plan = mail_setup(1)
    csv_path = write_csv(tmp_path, [
        "long@example.net," + "A" * 2000 + ",en",
        "spaced@example.net," + " ".join(["Name"] * 400) + ",en",
        "cjk@example.net," + "王" * 150 + ",zh",
        "ascii@example.net," + "B" * 190 + ",both",
    ])  # fmt: skip
    plan = plan_mail(plan.issue, plan.pdf_path, csv_path)
    rejected = {row.line: row.reason for row in plan.rejected}
    assert set(rejected) == {2, 3} and "2,000 characters long" in rejected[2]
    assert "line 2: name is 2,000 characters long, over the 200 allowed" in plan.report()
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        send(plan, tmp_path / "l.sqlite", plain_settings(controller), progress=quiet())
    assert len(handler.messages) == 2
    for _, raw in handler.messages:
        assert max(len(line) for line in raw.split(b"\r\n")) <= 998


@pytest.mark.parametrize("rate", [-5.0, float("nan"), 1e-300, 0.0, float("inf"), 1e9])
def test_an_unusable_rate_is_refused_before_anything_is_sent(mail_setup, tmp_path, rate):
    plan = mail_setup(2)
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        with pytest.raises(PressError, match=r"--rate .* from 0\.1 to 60000") as error:
            send(plan, tmp_path / "l.sqlite", plain_settings(controller), rate_per_minute=rate, progress=quiet())
    assert error.value.exit_code == 2 and handler.messages == []
    assert not (tmp_path / "l.sqlite").exists()


def test_a_greylisted_address_says_it_waits(mail_setup, tmp_path):
    plan = mail_setup(3)
    handler = RecordingHandler()
    handler.rcpt_replies["reader001@example.net"] = ["450 4.7.1 Greylisted, try again later"] * 2
    output = quiet()
    with smtp_server(handler) as controller:
        summary = send(plan, tmp_path / "l.sqlite", plain_settings(controller), retry=FAST_RETRY, progress=output)
    assert len(summary.sent) == 3
    waits = [line for line in output.lines if line.startswith("waiting ")]
    assert waits == [
        "waiting 0.1 s to retry reader001@example.net (450 4.7.1 Greylisted, try again later)",
        "waiting 0.1 s to retry reader001@example.net (450 4.7.1 Greylisted, try again later)",
    ]


def test_one_bad_csv_quote_rejects_only_its_row(mail_setup, tmp_path):
    plan = mail_setup(1)
    csv_path = write_csv(tmp_path, [
        "first@example.net,First,en",
        'broken@example.net,"Unterminated,en',
        'junk@example.net,"Closed"junk,en',
        "after@example.net,After,zh",
        "last@example.net,Last,both",
    ])  # fmt: skip
    plan = plan_mail(plan.issue, plan.pdf_path, csv_path)
    assert [(row.line, row.reason.startswith("not valid CSV")) for row in plan.rejected] == [(3, True), (4, True)]
    assert [(s.email, s.line) for s in plan.subscribers] == [
        ("first@example.net", 2), ("after@example.net", 5), ("last@example.net", 6),
    ]  # fmt: skip
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        send(plan, tmp_path / "l.sqlite", plain_settings(controller), progress=quiet())
    assert sorted(handler.received()) == ["after@example.net", "first@example.net", "last@example.net"]


# --- through the command: the attachment must be the current build -----------------


def without_postal_address(manifest: str) -> str:
    """The sample's manifest without its own postal address (a test sets its own)."""
    return re.sub(r"  postal_address:\n(?:    .*\n)*", "", manifest)


def built_sample(tmp_path: Path) -> tuple[Path, Path]:
    """The sample issue copied, with a stand-in email PDF recorded by the build cache as
    the build of the current sources (what `make-issue build` records)."""
    from renderer.deliver import cache

    folder = tmp_path / "issue"
    shutil.copytree(SAMPLE, folder)
    dist = tmp_path / "dist"
    pdf = dist / "2022-02" / "cqfao-newsletter-2022-02-email.pdf"
    pdf.parent.mkdir(parents=True)
    manifest = folder / "issue.yaml"
    manifest.write_text(without_postal_address(manifest.read_text(encoding="utf-8")).replace(
        "email:\n", f'email:\n  postal_address: "{POSTAL}"\n'), encoding="utf-8")
    data = b"%PDF-1.7\n" + os.urandom(20_000) + b"\n%%EOF\n"
    pdf.write_bytes(data)
    cache.remember(dist, folder, "email", cache.fingerprint(folder, "email"), pdf, data, 1)
    return folder, dist


def smtp_env(controller) -> dict[str, str]:
    return {"PRESS_SMTP_HOST": "127.0.0.1", "PRESS_SMTP_PORT": str(controller.port),
            "PRESS_SMTP_SECURITY": "none", "PRESS_UNSUBSCRIBE_SECRET": SECRET}  # fmt: skip


def test_mail_refuses_a_pdf_built_before_the_last_edit(tmp_path):
    folder, dist = built_sample(tmp_path)
    csv_path = write_csv(tmp_path, ["a@example.net,A,en", f'm@example.net,"{MALLORY}",en'])
    current = run_cli("mail", folder, "--subscribers", csv_path, "--out", tmp_path / "out1", "--dist", dist)
    assert current.returncode == 0, current.stderr
    assert "line 3:" in current.stdout and "wrote 1 messages" in current.stdout

    article = folder / "articles" / "01-consular-officers-chongqing-planting.md"
    article.write_text(article.read_text(encoding="utf-8").replace(
        "en: Consular Officers in Chongqing Planting Trees", "en: Edited Title"), encoding="utf-8")
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        for mode in (["--out", tmp_path / "out2"], ["--send"]):
            stale = run_cli("mail", folder, "--subscribers", csv_path, *mode, "--dist", dist,
                            env=smtp_env(controller))
            assert stale.returncode == 2, stale.stderr
            assert "not the build of the issue as it is now" in stale.stderr
            assert "make-issue build" in stale.stderr and "Traceback" not in stale.stderr
    assert handler.messages == [] and not (tmp_path / "out2").exists()


@pytest.mark.parametrize("rate", ["-5", "nan", "1e-300", "0"])
def test_the_mail_command_checks_the_rate(tmp_path, rate):
    folder, dist = built_sample(tmp_path)
    csv_path = write_csv(tmp_path, ["a@example.net,A,en"])
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        result = run_cli("mail", folder, "--subscribers", csv_path, "--send", f"--rate={rate}", "--dist", dist,
                         env=smtp_env(controller))
    assert result.returncode == 2 and "--rate" in result.stderr and "0.1 to 60000" in result.stderr
    assert handler.messages == []


def test_the_mail_command_sends_and_reports_through_the_console(tmp_path):
    # The lines (and the "waiting N s to retry" lines, see test_a_greylisted_address_says_it_waits)
    # reach the editor through the ConsoleProgress the command passes in; a real greylisting
    # wait would cost the default 30 s here.
    folder, dist = built_sample(tmp_path)
    csv_path = write_csv(tmp_path, ["a@example.net,A,en", "b@example.net,B,zh"])
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        result = run_cli("mail", folder, "--subscribers", csv_path, "--send", "--yes", "--rate=6000", "--dist", dist,
                         env=smtp_env(controller), timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Sending 2 message(s) now (cqfao-newsletter 2022-02); 0 were sent" in result.stderr
    assert "cqfao-newsletter issue 2022-02: sent 2" in result.stderr
    assert sorted(handler.received()) == ["a@example.net", "b@example.net"]
