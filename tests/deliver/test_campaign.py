"""The campaign (issue 17): languages, footer, theme, links, --test / --send / --dry-run, editions,
the suppression list, bounces, parallel sessions and kill -9 at three points.

Mail goes through a real aiosmtpd on 127.0.0.1; the header-set and VERP-envelope check of
test_mail (its autouse fixture, imported here) runs after every test of this module too.
"""

from __future__ import annotations

import asyncio
import csv
import mailbox
import os
import pickle
import signal
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from renderer.deliver.bounces import process_bounces
from renderer.deliver.ledger import Ledger, ledger_status
from renderer.deliver.mail import (
    build_message,
    envelope_sender,
    message_bytes,
    plan_mail,
    send,
    unsubscribe_token,
)
from renderer.deliver.suppression import SuppressionList, suppression_path
from renderer.errors import PressError
from renderer.model import Bilingual
from tests.conftest import ROOT
from tests.deliver.test_mail import (  # noqa: F401 - the autouse header check applies here too
    POSTAL,
    SLUG,
    RecordingHandler,
    built_sample,
    every_message_has_only_the_press_headers,
    make_issue,
    make_pdf,
    make_subscribers,
    parse,
    plain_settings,
    quiet,
    run_cli,
    smtp_env,
    smtp_server,
    without_postal_address,
    write_csv,
)

ZH_POSTAL = "重庆市渝中区示例路1号 400010"


def bodies(raw: bytes) -> tuple[str, str]:
    message = parse(raw)
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


# --- 3. the mail: languages, footer, theme, links -------------------------------------


def test_each_language_has_its_own_subject_preheader_and_footer(tmp_path, monkeypatch):
    issue = make_issue(tmp_path)
    issue = replace(issue, email=replace(issue.email, postal_address=Bilingual(POSTAL, ZH_POSTAL)))
    plan = plan_mail(issue, make_pdf(tmp_path), make_subscribers(tmp_path, 3))
    en, zh, both = plan.subscribers
    messages = {s.language: parse(message_bytes(plan, build_message(plan, s))) for s in (en, zh, both)}

    assert str(messages["zh"]["Subject"]) == "《重庆外事简讯》2022年2月号"
    assert str(messages["en"]["Subject"]) == "Chongqing Foreign Affairs Newsletter, February 2022"
    assert str(messages["both"]["Subject"]) == (
        "Chongqing Foreign Affairs Newsletter, February 2022 | 《重庆外事简讯》2022年2月号")
    assert [str(messages[k]["Content-Language"]) for k in ("en", "zh", "both")] == ["en", "zh-Hans", "en, zh-Hans"]

    zh_text = messages["zh"].get_body(("plain",)).get_content().replace("\r\n", "\n")
    zh_html = messages["zh"].get_body(("html",)).get_content()
    footer = zh_text.split("\n--\n", 1)[1]
    assert f"通信地址：{ZH_POSTAL}" in footer and "您订阅了《重庆外事简讯》" in footer and "退订" in footer
    assert "Foreign Affairs Office" not in footer and "Unsubscribe" not in footer and "subscribed" not in footer
    assert "本期：外国驻渝领事官员共建友谊林1；外国驻渝领事官员共建友谊林2" in zh_html  # the preheader
    assert "In this issue" not in zh_html and "Dear" not in zh_text

    both_text = messages["both"].get_body(("plain",)).get_content().replace("\r\n", "\n")
    both_footer = both_text.split("\n--\n", 1)[1]
    assert POSTAL in both_footer and ZH_POSTAL in both_footer and "Unsubscribe / 退订" in both_footer
    both_html = messages["both"].get_body(("html",)).get_content()
    assert "In this issue: Consular Officers Planting Trees 1" in both_html and "本期：" in both_html

    en_text = messages["en"].get_body(("plain",)).get_content()
    assert f"Postal address: {POSTAL}" in en_text and "退订" not in en_text and ZH_POSTAL not in en_text


def test_the_manifest_sets_subject_and_preheader_with_placeholders(tmp_path):
    issue = make_issue(tmp_path)
    issue = replace(issue, email=replace(
        issue.email,
        subject=Bilingual("{newsletter} No. {number}: trees", "{newsletter}第{number}期：植树"),
        preheader=Bilingual("Consuls plant a friendship grove", "领事官员共建友谊林")))
    plan = plan_mail(issue, make_pdf(tmp_path), make_subscribers(tmp_path, 3))
    zh = parse(message_bytes(plan, build_message(plan, plan.subscribers[1])))
    assert str(zh["Subject"]) == "重庆外事简讯第2期：植树"
    assert "领事官员共建友谊林" in zh.get_body(("html",)).get_content()
    both = parse(message_bytes(plan, build_message(plan, plan.subscribers[2])))
    assert str(both["Subject"]) == "Chongqing Foreign Affairs Newsletter No. 2: trees | 重庆外事简讯第2期：植树"


def test_the_mail_has_the_pdfs_screen_colours(tmp_path):
    from renderer.compose import stylesheet, theme_colors

    plan = plan_mail(make_issue(tmp_path), make_pdf(tmp_path), make_subscribers(tmp_path, 1))
    _, html = bodies(message_bytes(plan, build_message(plan, plan.subscribers[0])))
    colors = theme_colors("email")
    email_css = stylesheet("email", "A4", 0)  # what the email PDF is typeset with
    for name in ("accent", "accent-tint", "rule", "ink"):
        assert colors[name] in html and colors[name] in email_css, name
    assert "#8a1c1c" not in html  # the old accent, not the theme's


def test_view_in_browser_and_a_linked_pdf_instead_of_the_attachment(tmp_path):
    issue = make_issue(tmp_path)
    web, hosted = "https://example.org/news/2022-02/", "https://example.org/news/cq-2022-02.pdf"
    issue = replace(issue, web_url=web,
                    email=replace(issue.email, pdf_url=hosted, attach=False))
    plan = plan_mail(issue, make_pdf(tmp_path), make_subscribers(tmp_path, 3))
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        send(plan, tmp_path / "l.sqlite", plain_settings(controller), progress=quiet())
    assert len(handler.messages) == 3
    for _, raw in handler.messages:
        message = parse(raw)
        assert message.get_content_type() == "multipart/alternative"
        assert not any(part.get_content_type() == "application/pdf" for part in message.walk())
        text, html = bodies(raw)
        assert hosted in text and f'href="{hosted}"' in html
        assert web in text and f'href="{web}"' in html
        assert "is attached" not in text and "随信附上" not in text
        assert len(raw) < 30_000


@pytest.mark.parametrize(("change", "field"), [
    ({"attach": False}, "email.pdf_url"),
    ({"pdf_url": "https://e.org/a b.pdf"}, "email.pdf_url"),
])
def test_unusable_campaign_settings_name_the_field(tmp_path, change, field):
    issue = make_issue(tmp_path)
    issue = replace(issue, email=replace(issue.email, **change))
    with pytest.raises(PressError) as error:
        plan_mail(issue, make_pdf(tmp_path), make_subscribers(tmp_path, 1))
    assert error.value.field == field


def test_send_requires_the_postal_address(tmp_path):
    issue = make_issue(tmp_path)
    issue = replace(issue, email=replace(issue.email, postal_address=None))
    plan = plan_mail(issue, make_pdf(tmp_path), make_subscribers(tmp_path, 1))
    with pytest.raises(PressError, match="postal address") as error:
        send(plan, tmp_path / "l.sqlite", plain_settings(type("C", (), {"port": 1})), progress=quiet())
    assert error.value.field == "email.postal_address" and not (tmp_path / "l.sqlite").exists()


def test_the_manifest_fields_load(tmp_path):
    import shutil

    from renderer.load import load_issue
    from tests.conftest import SAMPLE

    folder = tmp_path / "issue"
    shutil.copytree(SAMPLE, folder)
    manifest = folder / "issue.yaml"
    manifest.write_text(without_postal_address(manifest.read_text(encoding="utf-8")).replace("email:\n", (
        "email:\n  postal_address:\n    en: 1 Example Road\n    zh: 示例路1号\n"
        "  subject:\n    en: '{newsletter}, {month}'\n    zh: '{newsletter}{month}'\n"
        "  pdf_url: https://example.org/p.pdf\n  attach: false\n"
        "  bounce_address: bounces@example.org\n")), encoding="utf-8")
    settings = load_issue(folder).email
    assert settings.postal_address == Bilingual("1 Example Road", "示例路1号")
    assert settings.attach is False and settings.pdf_url == "https://example.org/p.pdf"
    assert settings.bounce_address == "bounces@example.org" and settings.subject.zh == "{newsletter}{month}"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("attach: false", "attach: maybe"),
                        encoding="utf-8")
    with pytest.raises(PressError, match="true or false"):
        load_issue(folder)


# --- 4. campaign controls ---------------------------------------------------------------


def test_test_send_goes_to_the_given_addresses_only_and_leaves_no_ledger(tmp_path):
    folder, dist = built_sample(tmp_path)
    csv_path = write_csv(tmp_path, ["a@example.net,A,en", "wang@example.net,王,zh", "gone@example.net,G,en"])
    write_suppression(csv_path, "cqfao-newsletter", [("gone@example.net", "unsubscribe", "")])
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        result = run_cli("mail", folder, "--subscribers", csv_path, "--test", "wang@example.net,editor@example.org",
                         "--test", "gone@example.net", "--dist", dist, env=smtp_env(controller))
    assert result.returncode == 0, result.stderr
    assert sorted(handler.received()) == ["editor@example.org", "wang@example.net"]
    subjects = {rcpts[0]: str(parse(raw)["Subject"]) for rcpts, raw in handler.messages}
    assert subjects["wang@example.net"] == "[TEST] 《重庆外事简讯》2022年2月号"  # the row's language
    assert subjects["editor@example.org"].startswith("[TEST] Chongqing") and " | " in subjects["editor@example.org"]
    assert "not sending to gone@example.net" in result.stderr and "ledger was not touched" in result.stderr
    assert not list(dist.rglob("mail-ledger.sqlite"))


def test_send_asks_and_shows_the_file_and_refuses_without_an_answer(tmp_path):
    folder, dist = built_sample(tmp_path)
    csv_path = write_csv(tmp_path, ["a@example.net,A,en", "b@example.net,B,zh"])
    pdf = next(dist.rglob("*-email.pdf"))
    import hashlib

    digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        closed = subprocess.run(
            [sys.executable, "-m", "renderer.cli", "mail", str(folder), "--subscribers", str(csv_path),
             "--send", "--dist", str(dist)], cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT), **smtp_env(controller)}, timeout=60)
        no = run_cli_input("n\n", folder, csv_path, dist, controller)
        assert handler.messages == []
        yes = run_cli_input("y\n", folder, csv_path, dist, controller)
    assert closed.returncode == 2 and "no answer came" in closed.stderr and "--yes" in closed.stderr
    for result in (closed, no, yes):
        assert "About to send 2 message(s)" in result.stderr and digest in result.stderr
        assert f"{pdf.name} (20 KB, 20,016 bytes" in result.stderr
    assert no.returncode == 0 and "Nothing sent." in no.stderr
    assert yes.returncode == 0, yes.stderr
    assert sorted(handler.received()) == ["a@example.net", "b@example.net"]


def run_cli_input(answer: str, folder, csv_path, dist, controller):
    return subprocess.run(
        [sys.executable, "-m", "renderer.cli", "mail", str(folder), "--subscribers", str(csv_path), "--send",
         "--dist", str(dist)], cwd=ROOT, capture_output=True, text=True, input=answer,
        env={**os.environ, "PYTHONPATH": str(ROOT), **smtp_env(controller)}, timeout=60)


def test_dry_run_prints_what_would_be_sent_and_sends_nothing(tmp_path):
    folder, dist = built_sample(tmp_path)
    csv_path = write_csv(tmp_path, ["a@example.net,A,en", "b@example.net,B,zh", "c@example.net,C,both"])
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        result = run_cli("mail", folder, "--subscribers", csv_path, "--dry-run", "--dist", dist,
                         env=smtp_env(controller))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "--send would send 3 message(s) now" in out and "nothing was sent" in out
    assert "Subject: 《重庆外事简讯》2022年2月号" in out and "SHA-256" in out
    assert "  b@example.net (zh)" in out and "Preview: In this issue:" in out
    assert handler.messages == [] and not list(dist.rglob("mail-ledger.sqlite"))


def test_a_different_pdf_after_a_partial_send_is_refused_until_new_edition(tmp_path, monkeypatch):
    plan = plan_mail(make_issue(tmp_path), make_pdf(tmp_path), make_subscribers(tmp_path, 6))
    ledger = tmp_path / "mail-ledger.sqlite"
    handler = RecordingHandler()
    first = plan.subscribers[0].email
    handler.always_refuse = {s.email: "452 4.2.2 Mailbox full" for s in plan.subscribers[3:]}
    from tests.deliver.test_mail import FAST_RETRY

    with smtp_server(handler) as controller:
        send(plan, ledger, plain_settings(controller), retry=FAST_RETRY, progress=quiet())  # 3 sent, 3 queued
        rebuilt = replace(plan, pdf=plan.pdf + b"% rebuilt\n")
        with pytest.raises(PressError, match="not the file this mailing started with") as error:
            send(rebuilt, ledger, plain_settings(controller), progress=quiet())
        assert "--new-edition" in error.value.fix and plan.attachment_sha256 in str(error.value)
        assert len(handler.messages) == 3
        handler.always_refuse = {}
        with pytest.raises(PressError, match="already mailed"):
            send(plan, ledger, plain_settings(controller), progress=quiet(), new_edition=True)
        summary = send(rebuilt, ledger, plain_settings(controller), progress=quiet(), new_edition=True)
    assert summary.edition == 2 and len(summary.sent) == 6
    assert handler.received()[first] == 2  # a new mailing: everyone gets the new file
    status = ledger_status(ledger, SLUG, "2022-02")
    assert f"edition 2: {plan.pdf_path.name}, SHA-256 {rebuilt.attachment_sha256}" in status
    with Ledger.open(ledger) as opened:
        assert opened._db.execute("SELECT count(*) FROM superseded WHERE edition = 1").fetchone() == (6,)


# --- 5. list care -----------------------------------------------------------------------------


def write_suppression(subscribers_csv: Path, slug: str, rows: list[tuple[str, str, str]]) -> Path:
    path = suppression_path(subscribers_csv, slug)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "reason", "issues"])
        writer.writerows(rows)
    return path


def test_the_suppression_list_is_honoured_and_shown_in_status(tmp_path):
    folder, dist = built_sample(tmp_path)
    csv_path = write_csv(tmp_path, [f"r{n}@example.net,R{n},en" for n in range(5)])
    write_suppression(csv_path, "cqfao-newsletter", [
        ("R0@EXAMPLE.net", "unsubscribe", ""), ("r1@example.net", "hard-bounce", "2022-01"),
        ("r2@example.net", "soft-bounce", "2022-01"),  # counted, not yet suppressed
        ("r3@example.net", "soft-bounce", "2021-11 2021-12 2022-01"),  # three issues: suppressed
    ])
    handler = RecordingHandler()
    with smtp_server(handler) as controller:
        sent = run_cli("mail", folder, "--subscribers", csv_path, "--send", "--yes", "--dist", dist,
                       env=smtp_env(controller))
        status = run_cli("mail", folder, "--subscribers", csv_path, "--status", "--dist", dist)
        outbox = run_cli("mail", folder, "--subscribers", csv_path, "--out", tmp_path / "outbox", "--dist", dist)
    assert sent.returncode == 0, sent.stderr
    assert sorted(handler.received()) == ["r2@example.net", "r4@example.net"]
    assert "3 subscriber(s) on the suppression list are left out" in sent.stderr
    assert "3 address(es) never mailed" in status.stdout
    assert "3 of the 5 subscriber(s) on the list are left out: r0@example.net, r1@example.net, r3@example.net" in status.stdout
    assert "soft-bounce (counted)" in status.stdout and "sent     2" in status.stdout
    assert outbox.returncode == 0 and "wrote 2 messages" in outbox.stdout


def test_a_bad_suppression_row_stops_the_mailing(tmp_path):
    plan_args = (make_issue(tmp_path), make_pdf(tmp_path), make_subscribers(tmp_path, 2))
    write_suppression(plan_args[2], SLUG, [("not an address", "unsubscribe", "")])
    with pytest.raises(PressError, match="cannot use") as error:
        plan_mail(*plan_args)
    assert error.value.line == 2


def dsn(to: str, recipient: str, action: str, status: str, original: bytes) -> bytes:
    """An RFC 3464 delivery status notification, as a receiving MTA (Postfix) writes one."""
    headers = original.split(b"\r\n\r\n", 1)[0].replace(b"\r\n", b"\n")
    return b"""From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
To: %s
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B0UND"

--B0UND
Content-Type: text/plain

This is the mail system at host mx.example.net. I'm sorry to have to inform you ...

--B0UND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; %s
Action: %s
Status: %s
Diagnostic-Code: smtp; %s mailbox trouble

--B0UND
Content-Type: text/rfc822-headers

%s

--B0UND--
""" % (to.encode(), recipient.encode(), action.encode(), status.encode(), status.encode(), headers)


def test_bounces_are_matched_back_to_the_subscriber_and_suppressed(tmp_path, monkeypatch):
    monkeypatch.setenv("PRESS_UNSUBSCRIBE_SECRET", "bounce-secret")
    plan = plan_mail(make_issue(tmp_path), make_pdf(tmp_path), make_subscribers(tmp_path, 4))
    hard, soft, unsub, forwarded = (s.email for s in plan.subscribers)
    raw = {s.email: message_bytes(plan, build_message(plan, s)) for s in plan.subscribers}
    box = mailbox.mbox(tmp_path / "bounces.mbox")
    box.add(dsn(envelope_sender(plan, hard), hard, "failed", "5.1.1", raw[hard]))
    box.add(dsn(envelope_sender(plan, soft), soft, "delayed", "4.2.2", raw[soft]))
    # A forward: the report names the new address; the VERP envelope names the subscriber.
    box.add(dsn(envelope_sender(plan, forwarded), "someone@elsewhere.example", "failed", "5.1.1", raw[forwarded]))
    box.add(f"From: {unsub}\nTo: unsubscribe@example.org\nSubject: unsubscribe {unsubscribe_token(unsub)}\n\n")
    box.add(f"From: {hard}\nTo: {envelope_sender(plan, hard)}\nSubject: Out of office\n\nI am away.\n")
    box.close()

    suppression = SuppressionList.read(suppression_path(plan.subscribers_csv, SLUG))
    report = process_bounces(tmp_path / "bounces.mbox", plan, suppression)
    assert set(report.hard) == {hard, forwarded} and set(report.soft) == {soft}
    assert report.unsubscribed == [unsub] and report.other == 1 and report.messages == 5
    assert report.newly_suppressed == sorted([hard, forwarded, unsub])
    again = SuppressionList.read(suppression.path)
    assert [again.blocks(s.email) for s in plan.subscribers] == [True, False, True, True]
    assert again.entries[soft].issues == ("2022-02",) and "5.1.1" in again.entries[hard].detail

    # The same mailbox again (and as a Maildir, through the command): nothing counts twice.
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for message in mailbox.mbox(tmp_path / "bounces.mbox"):
        maildir.add(message)
    result = run_cli("bounces", tmp_path / "Maildir", "--issue", make_sample_issue(tmp_path),
                     "--subscribers", plan.subscribers_csv, env={"PRESS_UNSUBSCRIBE_SECRET": "bounce-secret"})
    assert result.returncode == 0, result.stderr
    assert "5 message(s)" in result.stdout and "0 address(es) newly suppressed" in result.stdout
    assert SuppressionList.read(suppression.path).entries[soft].issues == ("2022-02",)

    # And the next mailing leaves them out.
    replanned = plan_mail(plan.issue, plan.pdf_path, plan.subscribers_csv)
    assert [s.email for s in replanned.subscribers] == [soft]


def make_sample_issue(tmp_path: Path) -> Path:
    """An issue folder with the test issue's slug and sender (the command loads a folder)."""
    import shutil

    from tests.conftest import SAMPLE

    folder = tmp_path / "sample-issue"
    if not folder.exists():
        shutil.copytree(SAMPLE, folder)
        manifest = folder / "issue.yaml"
        text = manifest.read_text(encoding="utf-8").replace("slug: cqfao-newsletter", f"slug: {SLUG}")
        text = text.replace('from: "Chongqing Foreign Affairs Newsletter <newsletter@example.org>"',
                            'from: "Chongqing Newsletter <news@example.org>"')
        manifest.write_text(text, encoding="utf-8")
    return folder


def test_a_forged_bounce_without_the_keyed_tag_suppresses_nobody(tmp_path, monkeypatch):
    monkeypatch.setenv("PRESS_UNSUBSCRIBE_SECRET", "bounce-secret")
    plan = plan_mail(make_issue(tmp_path), make_pdf(tmp_path), make_subscribers(tmp_path, 2))
    victim = plan.subscribers[0].email
    box = mailbox.mbox(tmp_path / "forged.mbox")
    box.add(dsn("news+2022-02.0123456789abcdef@example.org", "nobody@example.com", "failed", "5.1.1", b"x\r\n\r\n"))
    box.close()
    suppression = SuppressionList.read(suppression_path(plan.subscribers_csv, SLUG))
    report = process_bounces(tmp_path / "forged.mbox", plan, suppression)
    assert report.unmatched == 1 and not suppression.blocks(victim)


# --- 6. throughput: parallel sessions, progress; the kill -9 guarantee --------------------------


class PeerRecorder(RecordingHandler):
    def __init__(self):
        super().__init__()
        self.peers: Counter = Counter()

    async def handle_DATA(self, server, session, envelope):
        self.peers[session.peer] += 1
        return await super().handle_DATA(server, session, envelope)


def test_four_sessions_in_parallel_each_reused_with_rate_and_eta(tmp_path):
    plan = plan_mail(make_issue(tmp_path), make_pdf(tmp_path), make_subscribers(tmp_path, 40))
    handler = PeerRecorder()
    progress = quiet()
    with smtp_server(handler) as controller:
        summary = send(plan, tmp_path / "l.sqlite", plain_settings(controller), progress=progress, connections=4)
    assert len(summary.sent) == 40 and sorted(handler.received()) == sorted(s.email for s in plan.subscribers)
    assert len(handler.peers) == 4 and sum(handler.peers.values()) == 40  # 4 sessions, each reused
    done, total, rate, eta = progress.statuses[-1]
    assert (done, total) == (40, 40) and rate > 0 and eta == 0
    with pytest.raises(PressError, match="--connections"):
        send(plan, tmp_path / "l2.sqlite", plain_settings(controller), progress=quiet(), connections=0)


class LightRecorder:
    """Counts recipients and holds one DATA reply on cue; keeps no message (2,000 of them)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received: Counter = Counter()
        self.count = 0
        self.hold_at: int | None = None
        self.arrived, self.release = threading.Event(), threading.Event()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.update(envelope.rcpt_tos)
            self.count += 1
            count = self.count
        if count == self.hold_at:
            self.arrived.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
        return "250 2.0.0 Queued"


KILL_SCRIPT = """
import pickle, sys
from pathlib import Path
from renderer.deliver.mail import SmtpSettings, send
plan = pickle.loads(Path(sys.argv[1]).read_bytes())
send(plan, Path(sys.argv[2]), SmtpSettings("127.0.0.1", int(sys.argv[3]), "none", timeout=30), connections=4)
"""


@pytest.mark.long
def test_kill_9_at_three_points_of_a_2000_subscriber_send_with_4_connections(tmp_path):
    from aiosmtpd.controller import Controller

    from tests.deliver.test_mail import free_port

    pdf = tmp_path / "cq-foreign-affairs-2022-02-email.pdf"
    pdf.write_bytes(b"%PDF-1.7\n" + os.urandom(3_000) + b"\n%%EOF\n")
    plan = plan_mail(make_issue(tmp_path), pdf, make_subscribers(tmp_path, 2000))
    plan_file = tmp_path / "plan.pickle"
    plan_file.write_bytes(pickle.dumps(plan))
    ledger = tmp_path / "mail-ledger.sqlite"
    handler = LightRecorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    in_flight: set[str] = set()
    try:
        for kill_at in (300, 1000, 1700):
            handler.hold_at = kill_at
            handler.arrived.clear()
            handler.release.clear()
            sender = subprocess.Popen(
                [sys.executable, "-c", KILL_SCRIPT, str(plan_file), str(ledger), str(controller.port)],
                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                assert handler.arrived.wait(60), sender.stderr.read().decode() if sender.poll() is not None else "timeout"
            finally:
                os.kill(sender.pid, signal.SIGKILL)
                sender.wait()
                handler.release.set()
            with Ledger.open(ledger) as opened:
                sending = {row.email for row in opened.deliveries(SLUG, "2022-02") if row.state == "sending"}
            assert 1 <= len(sending) <= 4, sending  # at most one in flight per connection
            in_flight |= sending
        summary = send(plan, ledger, plain_settings(controller), progress=quiet(), connections=4)
    finally:
        handler.release.set()
        controller.stop()

    everyone = {s.email for s in plan.subscribers}
    assert set(handler.received) == everyone  # every subscriber at least once
    duplicated = {address for address, count in handler.received.items() if count > 1}
    assert duplicated <= in_flight and duplicated  # only the ones in flight at a kill
    assert all(handler.received[address] == 2 for address in duplicated)
    status = ledger_status(ledger, SLUG, "2022-02")
    assert "sent     2000" in status
    named = set(status.split("so it was sent again:\n", 1)[1].split("\n"))
    assert duplicated <= {line.strip() for line in named}  # --status names every duplicate
    assert set(summary.possibly_duplicated) <= in_flight
