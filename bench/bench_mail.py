"""Benchmark: send N messages (default 1,000) to a local aiosmtpd server, print messages per second.

The whole path is measured as the CLI runs it: ledger rows committed before
and after each transaction (SQLite WAL, synchronous=FULL), one MIME message
built per subscriber from the Jinja2 templates, one reused SMTP connection,
no rate limit. The server runs in a child process (so it does not share the
sender's GIL) and only counts what it receives.

    .venv/bin/python bench/bench_mail.py [--count 1000] [--pdf-kb 300]
"""

from __future__ import annotations

import argparse
import csv
import io
import multiprocessing
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiosmtpd.controller import Controller  # noqa: E402
from rich.console import Console  # noqa: E402

from renderer.deliver.mail import ConsoleProgress, SmtpSettings, plan_mail, send  # noqa: E402
from renderer.model import Article, Bilingual, EmailSettings, Issue, Paragraph  # noqa: E402


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
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--pdf-kb", type=int, default=300, help="size of the attached PDF stand-in")
    parser.add_argument("--articles", type=int, default=6)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        pdf = folder / "issue-email.pdf"
        pdf.write_bytes(b"%PDF-1.7\n" + os.urandom(options.pdf_kb * 1000))
        subscribers = folder / "subscribers.csv"
        with subscribers.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["email", "name", "language"])
            for n in range(options.count):
                writer.writerow([f"reader{n:05d}@example.net", f"Reader {n}", ("en", "zh", "both")[n % 3]])
        plan = plan_mail(build_issue(folder, options.articles), pdf, subscribers)

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        ready, stop, results = multiprocessing.Event(), multiprocessing.Event(), multiprocessing.Queue()
        server = multiprocessing.Process(target=serve, args=(port, ready, stop, results))
        server.start()
        try:
            ready.wait(10)
            started = time.perf_counter()
            summary = send(
                plan,
                folder / "mail-ledger.sqlite",
                SmtpSettings("127.0.0.1", port, "none"),
                progress=ConsoleProgress(Console(file=io.StringIO()), bar=False),
            )
            elapsed = time.perf_counter() - started
        finally:
            stop.set()
            count, size = results.get(timeout=30)
            server.join()

    assert count == options.count == len(summary.sent), (count, len(summary.sent))
    print(
        f"{count} messages ({size / count / 1000:.0f} KB each, "
        f"{options.pdf_kb} KB PDF) in {elapsed:.2f} s: {count / elapsed:.1f} messages/s"
    )


def serve(port: int, ready, stop, results) -> None:
    """The SMTP server process: count messages until told to stop, then report."""
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()
    results.put((handler.count, handler.bytes))


if __name__ == "__main__":
    main()
