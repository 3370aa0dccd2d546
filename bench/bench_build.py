"""Build benchmark: `./dev bench` (python bench/bench_build.py) prints the press's figures.

Each figure is the median of N runs with min and max, whole processes as an
editor runs them, next to a yardstick timed in the same session and
alternating with the real builds: plain WeasyPrint rendering the sample's
composed HTML once (one edition, a fresh process, no project code around it).
Machines here are shared and noisy; the ratio to the yardstick is the figure
to compare between runs. Both layouts of the large issue are also timed through the
press's own typesetter (its WeasyPrint seam and collector thresholds): their ratio per
page is what the press's HTML costs on the path a build takes. Peak RSS is that of the
largest process of the run (the build's parent or one of its typesetting workers).
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from renderer.assets import STYLES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "issues" / "2022-02"
CLI = [sys.executable, "-m", "renderer.cli"]
RENDER = """
document = weasyprint.HTML(filename=sys.argv[1], base_url=sys.argv[2]).render()
document.write_pdf(sys.argv[3])
print(len(document.pages), file=sys.stderr)
"""
YARDSTICK = "import sys, weasyprint\n" + RENDER
# The same, through the press's typesetter: its WeasyPrint seam (every patch, typography
# included) and its collector thresholds. Both HTMLs go through it, so that the ratio of
# their costs per page is the cost of the press's HTML alone, on the path a build takes.
# Like the build's typesetting workers, it writes the PDF while letting go of each page it
# has drawn (memory.releasing_pages), and leaves with os._exit: a worker never pays for
# freeing the laid-out document when it ends (105 articles: 0.5 s press, 0.2 s plain).
THROUGH_SEAM = """
import gc, os, sys
from renderer.typeset import LAYOUT_GC_THRESHOLDS
from renderer.typeset.weasyprint70 import load, memory
weasyprint = load()
gc.freeze()
gc.set_threshold(*LAYOUT_GC_THRESHOLDS)
document = weasyprint.HTML(filename=sys.argv[1], base_url=sys.argv[2]).render()
pages = len(document.pages)
with memory.releasing_pages():
    document.write_pdf(sys.argv[3])
print(pages, file=sys.stderr, flush=True)
os._exit(0)
"""
# The independent yardstick: the same paragraphs in the plainest layout WeasyPrint sets
# well: one <table> per article (a heading row, then one row per paragraph pair, two 50 %
# columns, fixed table layout, justified text), the bundled fonts by name, a running head
# and folio in @page margin boxes. Nothing of the press's: no patches, no typography.
PLAIN_CSS = """
@page { size: A4; margin: 20mm 17mm;
        @top-left { content: "%(name)s"; font: 7pt "Press Sans"; }
        @bottom-center { content: counter(page); font: 8pt "Press Sans"; } }
table { width: 100%%; table-layout: fixed; border-collapse: collapse; margin-bottom: 6mm; }
td, th { width: 50%%; vertical-align: top; text-align: justify; padding: 0 2mm 2mm; }
th { font: bold 12pt/1.3 "Press Sans", "Press Sans SC"; text-align: left; }
td.en { font: 9.5pt/1.42 "Press Serif"; hyphens: auto; }
td.zh { font: 10.5pt/1.7 "Press Serif SC"; }
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


def plain_layout_html(folder: Path) -> str:
    """The issue's paragraphs, paired as the press pairs them, in the plain layout."""
    import html

    from renderer.load import load_issue
    from renderer.prepare import plain_text

    issue = load_issue(folder)
    tables = []
    for article in issue.articles:
        rows = [f"<tr><th lang='en'>{html.escape(article.title.en)}</th>"
                f"<th lang='zh-Hans'>{html.escape(article.title.zh)}</th></tr>"]
        pairs = ([([article.en[n - 1] for n in row.en], [article.zh[n - 1] for n in row.zh])
                  for row in article.alignment] if article.alignment
                 else [([en], [zh]) for en, zh in zip(article.en, article.zh)])
        for english, chinese in pairs:
            en = " ".join(plain_text(p.text) for p in english)
            zh = "".join(plain_text(p.text) for p in chinese)
            rows.append(f"<tr><td class='en' lang='en'>{html.escape(en)}</td>"
                        f"<td class='zh' lang='zh-Hans'>{html.escape(zh)}</td></tr>")
        tables.append("<table>" + "".join(rows) + "</table>")
    fonts = (STYLES / "fonts.css").read_text(encoding="utf-8")
    css = PLAIN_CSS % {"name": html.escape(issue.name.en)}
    return (f"<!doctype html><html><head><meta charset='utf-8'><style>{fonts}{css}</style>"
            f"</head><body>{''.join(tables)}</body></html>")


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
    from renderer.compose import compose
    from renderer.load import load_issue
    from renderer.prepare import prepare_issue

    large = make_large_issue(work / "large", args.copies)
    inputs = {}  # name -> (html file, base url): what plain WeasyPrint is given
    for name, folder in (("sample", SAMPLE), ("large", large)):
        plain = work / f"plain-{name}.html"
        plain.write_text(plain_layout_html(folder), encoding="utf-8")
        press = work / f"press-{name}.html"
        composed = compose(prepare_issue(load_issue(folder)), "email")
        press.write_text(composed.standalone_html(), encoding="utf-8")
        inputs[f"plain-{name}"] = (plain, composed.base_url)
        inputs[f"press-{name}"] = (press, composed.base_url)
    edited = work / "edited"

    plain_sample = "yardstick: plain layout, sample, one edition"
    plain_large = f"yardstick: plain layout, {7 * args.copies} articles, one edition"
    figures = {name: Figure(name) for name in (
        plain_sample, plain_large,
        "press HTML, plain WeasyPrint, sample, one edition",
        f"press HTML, plain WeasyPrint, {7 * args.copies} articles",
        f"plain layout, press's typesetter, {7 * args.copies} articles",
        f"press HTML, press's typesetter, {7 * args.copies} articles",
        "cold build, both editions + preflight", "no-op rebuild",
        "rebuild after a one-paragraph edit",
        f"{7 * args.copies}-article issue, both editions")}
    names = list(figures)
    pages: dict[str, int] = {}
    for _ in range(args.runs):
        for name, key, script in zip(
                names[:6], ("plain-sample", "plain-large", "press-sample", "press-large",
                            "plain-large", "press-large"), (YARDSTICK,) * 4 + (THROUGH_SEAM,) * 2):
            source, base = inputs[key]
            seconds, rss, count = timed_render(source, base, work / f"{key}.pdf", script)
            figures[name].add((seconds, rss))
            pages[key if script is YARDSTICK else f"seam-{key}"] = count
        shutil.rmtree(out, ignore_errors=True)
        figures[names[6]].add(timed([*CLI, "build", str(SAMPLE), "--out", str(out)]))
        figures[names[7]].add(timed([*CLI, "build", str(SAMPLE), "--out", str(out)]))
        shutil.rmtree(edited, ignore_errors=True)
        shutil.copytree(SAMPLE, edited)
        timed([*CLI, "build", str(edited), "--out", str(work / "edited-dist")])
        edit_one_paragraph(edited)
        figures[names[8]].add(timed([*CLI, "build", str(edited), "--out",
                                     str(work / "edited-dist")]))
        figures[names[9]].add(timed([*CLI, "build", str(large), "--out", str(work / "large-dist"),
                                     "--force"]))
    small = statistics.median(figures[plain_sample].seconds)
    big = statistics.median(figures[plain_large].seconds)
    print(f"press benchmark, median of {args.runs} runs, {os.cpu_count()} cores; ratios to the "
          "plain layout of the same issue's paragraphs (one edition)")
    for name, figure in figures.items():
        yardstick = None if name in (plain_sample, plain_large) else (
            big if str(7 * args.copies) in name else small)
        print(figure.line(yardstick))
    for size in ("sample", "large"):
        plain = statistics.median(figures[plain_sample if size == "sample" else plain_large].seconds)
        press = statistics.median(figures[names[2] if size == "sample" else names[3]].seconds)
        per_plain = plain / pages[f"plain-{size}"]
        per_press = press / pages[f"press-{size}"]
        print(f"{'per page, ' + size + ': press HTML / plain layout':44} {per_press * 1000:6.0f} ms"
              f" / {per_plain * 1000:.0f} ms = {per_press / per_plain:4.2f}x  "
              f"({pages[f'press-{size}']} and {pages[f'plain-{size}']} pages)")
    plain = statistics.median(figures[names[4]].seconds) / pages["seam-plain-large"]
    press = statistics.median(figures[names[5]].seconds) / pages["seam-press-large"]
    print(f"{'per page, large, press typesetter: press/plain':44} {press * 1000:6.0f} ms"
          f" / {plain * 1000:.0f} ms = {press / plain:4.2f}x  ({pages['seam-press-large']} and "
          f"{pages['seam-plain-large']} pages)")
    watch = watch_rebuild_seconds(work, args.runs)
    print(f"{'watch-mode rebuild of the email edition':44} {statistics.median(watch):6.3f} s  "
          f"(min {min(watch):.3f}, max {max(watch):.3f})")
    for edition in ("print", "email"):
        pdf = next((out / "2022-02").glob(f"*-{edition}.pdf"))
        print(f"{edition + ' PDF of the sample':44} {pdf.stat().st_size / 1024:6.0f} KB")


def timed_render(source: Path, base_url: str, target: Path,
                 script: str = YARDSTICK) -> tuple[float, float, int]:
    """WeasyPrint in a fresh process (plain, or through the press's seam): seconds, peak
    RSS, pages."""
    wrapper = ("import resource, subprocess, sys, time\n"
               "t = time.perf_counter()\n"
               "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
               "stderr=subprocess.PIPE, text=True)\n"
               "t = time.perf_counter() - t\n"
               "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
               "print(t, rss, r.returncode, r.stderr.split()[-1] if r.stderr else 0)\n")
    out = subprocess.run([sys.executable, "-c", wrapper, sys.executable, "-c", script,
                          str(source), base_url, str(target)], capture_output=True, text=True,
                         # WeasyPrint leaves its @font-face folder when a process just ends:
                         # in the benchmark's work folder, it goes with it
                         env={**os.environ, "TMPDIR": str(target.parent)},
                         cwd=ROOT, check=True).stdout.split()
    if out[2] != "0":
        raise SystemExit(f"plain WeasyPrint failed on {source}")
    return float(out[0]), float(out[1]), int(out[3])


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
