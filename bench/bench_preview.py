"""Preview refresh latency: save an article -> the browser has the new page image.

Starts `make-issue serve` on a copy of the sample, listens to its event stream as the
page does, and for each run edits one paragraph and times the save until the event
announcing a changed page has arrived and that page's image has been fetched. Prints
the median, min and max, next to a cold `make-issue build` of the email edition timed in
the same run (the yardstick: what a save would cost without the warm preview).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "issues" / "2022-02"
CLI = [sys.executable, "-m", "renderer.cli"]


def events(url: str):
    """The preview's states as its page receives them (server-sent events)."""
    with urllib.request.urlopen(url + "events", timeout=60) as stream:
        data = ""
        for raw in stream:
            line = raw.decode().rstrip("\n")
            if line.startswith("data: "):
                data += line[6:]
            elif not line and data:
                yield json.loads(data)
                data = ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="press-preview-bench-"))
    issue = work / "issue"
    shutil.copytree(SAMPLE, issue)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    server = subprocess.Popen([*CLI, "serve", str(issue), "--out", str(work / "dist"),
                               "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(url + "state", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        stream = events(url)
        state = next(stream)
        while not (state["editions"]["email"]["pages"] and "print" in state["last"]["rebuilt"]):
            state = next(stream)
        article = next((issue / "articles").glob("03-*.md"))
        latencies = []
        for run in range(args.runs):
            before = state["editions"]["email"]["pages"]
            text = article.read_text(encoding="utf-8")
            saved = time.perf_counter()
            article.write_text(text.replace("## English\n\n", f"## English\n\nEdit {run}. ", 1),
                               encoding="utf-8")
            while True:
                state = next(stream)
                pages = state["editions"]["email"]["pages"]
                changed = [d for d, old in zip(pages, before) if d != old]
                if changed:
                    urllib.request.urlopen(url + f"page/{changed[0]}.png", timeout=10).read()
                    latencies.append(time.perf_counter() - saved)
                    break
            while "print" not in state["last"]["rebuilt"] and not state["error"]:
                state = next(stream)  # let the print edition finish before the next save
        cold = []
        for _ in range(3):
            started = time.perf_counter()
            subprocess.run([*CLI, "build", str(SAMPLE), "--out", str(work / "cold"), "--force",
                            "--edition", "email", "-q"], cwd=ROOT, check=True)
            cold.append(time.perf_counter() - started)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    yardstick = statistics.median(cold)
    median = statistics.median(latencies)
    print(f"preview refresh (save -> new page image), median of {args.runs}: {median:.3f} s "
          f"(min {min(latencies):.3f}, max {max(latencies):.3f})  "
          f"{median / yardstick:.2f}x a cold email build ({yardstick:.3f} s)")


if __name__ == "__main__":
    main()
