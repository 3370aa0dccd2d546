"""Build benchmark: `./dev bench` (python bench/bench_build.py) prints the press's figures.

Each figure is the median of N runs with min and max, whole processes as an
editor runs them, next to a yardstick timed in the same session and
alternating with the real builds: plain WeasyPrint rendering the sample's
composed HTML once (one edition, a fresh process, no project code around it).
Machines here are shared and noisy; the ratio to the yardstick is the figure
to compare between runs. Peak RSS is that of the largest process of the run
(the build's parent or one of its typesetting workers).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "issues" / "2022-02"
CLI = [sys.executable, "-m", "renderer.cli"]
YARDSTICK = """
import sys, weasyprint
weasyprint.HTML(filename=sys.argv[1], base_url=sys.argv[2]).write_pdf(sys.argv[3])
"""


def timed(command: list[str], env: dict | None = None) -> tuple[float, float]:
    """(seconds, peak RSS in MB of the largest process) of one run in a fresh process."""
    wrapper = ("import resource, subprocess, sys, time\n"
               "t = time.perf_counter()\n"
               "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
               "t = time.perf_counter() - t\n"
               "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
               "print(t, rss, r.returncode)\n")
    out = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
                         cwd=ROOT, check=True).stdout.split()
    if out[2] != "0":
        raise SystemExit(f"benchmark command failed: {' '.join(command)}")
    return float(out[0]), float(out[1])


class Figure:
    def __init__(self, name: str):
        self.name, self.seconds, self.rss = name, [], []

    def add(self, sample: tuple[float, float]) -> None:
        self.seconds.append(sample[0])
        self.rss.append(sample[1])

    def line(self, yardstick: float | None) -> str:
        median = statistics.median(self.seconds)
        ratio = f"  {median / yardstick:4.2f}x yardstick" if yardstick else ""
        return (f"{self.name:44} {median:6.3f} s  (min {min(self.seconds):.3f}, "
                f"max {max(self.seconds):.3f}){ratio}  peak RSS {max(self.rss):5.0f} MB")


def make_large_issue(target: Path, copies: int) -> Path:
    """The sample's articles repeated: 7 x copies articles, same content and layout."""
    shutil.copytree(SAMPLE, target)
    manifest = (target / "issue.yaml").read_text(encoding="utf-8")
    articles = re.findall(r"^\s+- (articles/\S+\.md)\s*$", manifest, re.M)
    listed = []
    for copy in range(copies):
        for article in articles:
            name = article if copy == 0 else article.replace(".md", f"-{copy}.md")
            if copy:
                shutil.copy(target / article, target / name)
            listed.append(f"  - {name}")
    head = manifest[:manifest.index("articles:")]
    (target / "issue.yaml").write_text(head + "articles:\n" + "\n".join(listed) + "\n",
                                       encoding="utf-8")
    return target


def edit_one_paragraph(issue: Path) -> None:
    article = sorted((issue / "articles").glob("*.md"))[0]
    text = article.read_text(encoding="utf-8")
    article.write_text(text.replace("## English\n\n", "## English\n\nEdited. ", 1),
                       encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--copies", type=int, default=15, help="sample copies in the large issue")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="press-bench-"))
    try:
        run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args, work: Path) -> None:
    out = work / "dist"
    # The yardstick's input: the sample's composed print HTML, as the press makes it.
    from renderer.compose import compose
    from renderer.load import load_issue
    from renderer.prepare import prepare_issue

    composed = compose(prepare_issue(load_issue(SAMPLE)), "email")
    html = work / "sample.html"
    html.write_text(composed.html, encoding="utf-8")
    large = make_large_issue(work / "large", args.copies)
    edited = work / "edited"

    figures = {name: Figure(name) for name in (
        "yardstick: plain WeasyPrint, one edition", "cold build, both editions + preflight",
        "no-op rebuild", "rebuild after a one-paragraph edit",
        f"{7 * args.copies}-article issue, both editions")}
    names = list(figures)
    for _ in range(args.runs):
        figures[names[0]].add(timed([sys.executable, "-c", YARDSTICK, str(html),
                                     composed.base_url, str(work / "yardstick.pdf")]))
        shutil.rmtree(out, ignore_errors=True)
        figures[names[1]].add(timed([*CLI, "build", str(SAMPLE), "--out", str(out)]))
        figures[names[2]].add(timed([*CLI, "build", str(SAMPLE), "--out", str(out)]))
        shutil.rmtree(edited, ignore_errors=True)
        shutil.copytree(SAMPLE, edited)
        timed([*CLI, "build", str(edited), "--out", str(work / "edited-dist")])
        edit_one_paragraph(edited)
        figures[names[3]].add(timed([*CLI, "build", str(edited), "--out",
                                     str(work / "edited-dist")]))
        figures[names[4]].add(timed([*CLI, "build", str(large), "--out", str(work / "large-dist"),
                                     "--force"]))
    yardstick = statistics.median(figures[names[0]].seconds)
    print(f"press benchmark, median of {args.runs} runs, {os.cpu_count()} cores")
    for figure in figures.values():
        print(figure.line(None if figure.name == names[0] else yardstick))
    watch = watch_rebuild_seconds(work, args.runs)
    print(f"{'watch-mode rebuild of the email edition':44} {statistics.median(watch):6.3f} s  "
          f"(min {min(watch):.3f}, max {max(watch):.3f})")
    for edition in ("print", "email"):
        pdf = next((out / "2022-02").glob(f"*-{edition}.pdf"))
        print(f"{edition + ' PDF of the sample':44} {pdf.stat().st_size / 1024:6.0f} KB")


def watch_rebuild_seconds(work: Path, runs: int) -> list[float]:
    """Warm, in-process rebuilds of the email edition after a paragraph edit, as `watch` does."""
    from renderer.watch import WarmBuilder

    issue = work / "watched"
    shutil.copytree(SAMPLE, issue)
    builder = WarmBuilder(issue, work / "watch-dist")
    builder.rebuild(("email",))  # warm up: imports, fonts
    seconds = []
    for _ in range(runs):
        edit_one_paragraph(issue)
        started = time.perf_counter()
        builder.rebuild(("email",))
        seconds.append(time.perf_counter() - started)
    return seconds


if __name__ == "__main__":
    main()
