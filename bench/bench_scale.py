"""Scale benchmark: `python bench/bench_scale.py` builds a very large issue once and prints
its time per page next to the 105-article issue's, and the peak memory of its largest
process (the issue's target: within 1.5x the time per page, at most 2 GB).

The large issues are the sample's articles repeated (bench_build.make_large_issue); the
very large one's email budget is raised so that both editions are made (its email PDF
is some 10 MB, which the sample's 5 MB budget refuses, as it should).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import CLI, make_large_issue, timed  # noqa: E402


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=286, help="sample copies (286: 2,002)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="press-scale-"))
    try:
        rows = []
        for copies in (15, args.copies):
            issue = make_large_issue(work / f"issue-{copies}", copies)
            manifest = issue / "issue.yaml"
            manifest.write_text(manifest.read_text(encoding="utf-8").replace(
                "\nemail:\n", "\nemail:\n  size_budget: 100 MB\n", 1), encoding="utf-8")
            out = work / f"dist-{copies}"
            seconds, rss = timed([*CLI, "build", str(issue), "--out", str(out), "--force"])
            count = pages(next(out.glob("*/*-print.pdf")))
            rows.append((7 * copies, count, seconds, rss))
            print(f"{7 * copies:5} articles, {count:5} pages: {seconds:7.1f} s, "
                  f"{seconds / count * 1000:5.1f} ms a page, peak RSS {rss:6.0f} MB", flush=True)
        (_, small_pages, small_s, _), (_, big_pages, big_s, big_rss) = rows
        print(f"time per page, large / 105 articles: "
              f"{(big_s / big_pages) / (small_s / small_pages):.2f}x (target <= 1.5x); "
              f"peak RSS {big_rss / 1024:.2f} GB (target <= 2 GB)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
