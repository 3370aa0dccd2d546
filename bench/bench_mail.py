"""Benchmark: mail N subscribers (default 50,000) to a local aiosmtpd, print messages/s and peak RSS.

The whole path is measured as the CLI runs it: the plan (subscriber CSV, suppression
list), the ledger (SQLite WAL, synchronous=FULL: `sending` committed before and `sent`
after each transaction, group-committed across the sessions), one MIME message built per
subscriber from the Jinja2 templates with the PDF attached, `--connections` SMTP sessions
in parallel (default 4), each reused, no rate limit.

The server is aiosmtpd's SMTP protocol, storing nothing and counting, in `--servers`
child processes (default 2) that accept on one shared listening socket, so that the
sender does not share their GIL and one Python process parsing DATA line by line is not
the ceiling. The machine is shared: the yardstick is raw smtplib sending the same
message bytes over the same number of connections to the same server, timed before and
after the press's run; the ratio of the two rates is the figure to compare.

    .venv/bin/python bench/bench_mail.py [--count 50000] [--pdf PATH | --pdf-kb 210]
        [--connections 4] [--servers 2] [--yardstick 3000]

Without --pdf it builds the sample issue's email PDF (issues/2022-02) and attaches that.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import multiprocessing
import os
import resource
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiosmtpd.smtp import SMTP  # noqa: E402
from rich.console import Console  # noqa: E402

from renderer.deliver.mail import (  # noqa: E402
    ConsoleProgress,
    SmtpSettings,
    build_message,
    envelope_sender,
    message_bytes,
    plan_mail,
    send,
)
from renderer.model import Article, Bilingual, EmailSettings, Issue, Paragraph  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


class CountingHandler:
    def __init__(self):
        self.count = 0
        self.bytes = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += len(envelope.rcpt_tos)
        self.bytes += len(envelope.content)
        return "250 2.0.0 OK"


def build_issue(folder: Path, articles: int) -> Issue:
    return Issue(
        folder=folder,
        manifest=folder / "issue.yaml",
        name=Bilingual("Chongqing Foreign Affairs Newsletter", "重庆外事简讯"),
        slug="cq-foreign-affairs",
        publisher="Foreign Affairs Office of the Chongqing Municipal Government",
        volume=5,
        number=2,
        year=2022,
        month=2,
        page_size="A4",
        articles=tuple(
            Article(
                path=folder / f"articles/{n:02d}.md",
                slug=f"article-{n}",
                title=Bilingual(f"Consular Officers Planting Trees at Hongyan Park {n}", f"外国驻渝领事官员在红岩公园共建友谊林{n}"),
                en=(Paragraph("On February 22nd, when the 44th Chinese Arbor Day arrived, *consular officers* "
                              "planted trees. More follows.", 8),),  # fmt: skip
                zh=(Paragraph("2月22日，在我国第44个植树节来临之际，外国驻渝领事官员来到红岩公园。更多。", 12),),
            )
            for n in range(1, articles + 1)
        ),
        email=EmailSettings(
            sender="Newsletter <news@example.org>",
            reply_to="news@example.org",
            unsubscribe_mailto="mailto:unsubscribe@example.org?subject=unsubscribe%20{token}",
            unsubscribe_url="https://example.org/unsubscribe?t={token}",
            postal_address="1 Example Road, Yuzhong District, Chongqing",
        ),
    )


def sample_pdf(folder: Path) -> Path:
    """The sample issue's email PDF, built by the real command."""
    result = subprocess.run([sys.executable, "-m", "renderer.cli", "build", str(ROOT / "issues" / "2022-02"),
                             "--out", str(folder / "dist"), "--edition", "email"],
                            cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(result.stderr)
    return next((folder / "dist").rglob("*-email.pdf"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--pdf", type=Path, help="the PDF to attach (default: the sample's email PDF)")
    parser.add_argument("--pdf-kb", type=int, help="attach random bytes of this size instead")
    parser.add_argument("--articles", type=int, default=6)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--servers", type=int, default=2, help="aiosmtpd processes sharing the socket")
    parser.add_argument("--yardstick", type=int, default=3000, help="raw smtplib messages, before and after")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        if options.pdf_kb:
            pdf = folder / "issue-email.pdf"
            pdf.write_bytes(b"%PDF-1.7\n" + os.urandom(options.pdf_kb * 1000))
        else:
            pdf = options.pdf or sample_pdf(folder)
        subscribers = folder / "subscribers.csv"
        with subscribers.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["email", "name", "language"])
            for n in range(options.count):
                writer.writerow([f"reader{n:05d}@example.net", f"Reader {n}", ("en", "zh", "both")[n % 3]])
        plan = plan_mail(build_issue(folder, options.articles), pdf, subscribers)
        pdf_kb = pdf.stat().st_size / 1000
        first = plan.subscribers[0]
        sample = message_bytes(plan, build_message(plan, first))

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        port = listener.getsockname()[1]
        context = multiprocessing.get_context("fork")
        stop, results = context.Event(), context.Queue()
        servers = []
        for _ in range(options.servers):
            ready = context.Event()
            server = context.Process(target=serve, args=(listener, ready, stop, results))
            server.start()
            ready.wait(30)
            servers.append(server)
        try:
            raw_before = yardstick(port, sample, envelope_sender(plan, first.email), first.email,
                                   options.yardstick, options.connections)
            output = io.StringIO()
            started = time.perf_counter()
            summary = send(
                plan,
                folder / "mail-ledger.sqlite",
                SmtpSettings("127.0.0.1", port, "none"),
                progress=ConsoleProgress(Console(file=output), bar=False, log_every=30),
                connections=options.connections,
            )
            elapsed = time.perf_counter() - started
            raw_after = yardstick(port, sample, envelope_sender(plan, first.email), first.email,
                                  options.yardstick, options.connections)
        finally:
            stop.set()
            counts = [results.get(timeout=60) for _ in servers]
            for server in servers:
                server.join()
    count = sum(c for c, _ in counts)
    size = sum(b for _, b in counts)
    expected = options.count + 2 * options.yardstick
    assert count == expected and len(summary.sent) == options.count, (count, expected, len(summary.sent))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = options.count / elapsed
    raw = (raw_before + raw_after) / 2
    print("\n".join(line for line in output.getvalue().splitlines() if " done · " in line))
    print(
        f"press: {options.count} messages ({len(sample) / 1000:.0f} KB each, {pdf.name} "
        f"{pdf_kb:.0f} KB attached) in {elapsed:.1f} s: "
        f"{rate:.1f} messages/s over {options.connections} connection(s); peak RSS {peak_mb:.0f} MB\n"
        f"yardstick: raw smtplib, same message, same connections: {raw_before:.1f} before, "
        f"{raw_after:.1f} after -> {raw:.1f} messages/s\n"
        f"ratio press/yardstick: {rate / raw:.2f}; server: {options.servers} aiosmtpd process(es), "
        f"{count} messages, {size / 1e9:.2f} GB; load average {os.getloadavg()[0]:.1f}"
    )


def yardstick(port: int, payload: bytes, sender: str, recipient: str, count: int, connections: int) -> float:
    """Messages/s of bare smtplib.sendmail of prebuilt bytes: the server's and the machine's pace."""
    if count <= 0:
        return float("nan")

    def worker(share: int) -> None:
        with smtplib.SMTP("127.0.0.1", port) as client:
            for _ in range(share):
                client.sendmail(sender, [recipient], payload)

    shares = [count // connections + (n < count % connections) for n in range(connections)]
    threads = [threading.Thread(target=worker, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count / (time.perf_counter() - started)


def serve(listener: socket.socket, ready, stop, results) -> None:
    """One SMTP server process on the shared socket: count messages until told to stop."""
    handler = CountingHandler()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: SMTP(handler, hostname="bench"), sock=listener)
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        server.close()

    asyncio.run(run())
    results.put((handler.count, handler.bytes))


if __name__ == "__main__":
    main()
