"""What makes the press's HTML cost more per page than the plain layout: a bisect.

    .venv/bin/python bench/bench_html_cost.py [--copies 5] [--runs 2]

The sample's articles repeated (`--copies` times), composed as the email edition, are
rendered by WeasyPrint in this process, once as they are and once per variant that
takes one feature out of the markup or the stylesheet. Each line gives the time per
page of each phase (styles, boxes, layout, drawing) and the whole, as a ratio to the
plain layout of the same paragraphs (bench_build.plain_layout_html) timed in the same
run. A variant changes the pages, so its figures say what a feature costs, not that it
can go.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PHASES = {"styles": "get_all_computed_styles", "boxes": "build_formatting_structure",
          "layout": "make_all_pages", "draw": "draw_page"}


def _no_custom_properties(html: str) -> str:
    values = dict(re.findall(r"--([\w-]+):\s*([^;]+);", html))
    return re.sub(r"var\(--([\w-]+)\)", lambda m: values.get(m[1], "initial"), html)


def _no_break_rules(html: str) -> str:
    return re.sub(r"(?:widows|orphans|break-(?:before|after|inside)|page-break-\w+)\s*:[^;}]+;?",
                  "", html)


def _no_hyphens(html: str) -> str:
    return re.sub(r"hyphens\s*:\s*auto", "hyphens: manual", html)


def _no_word_joiners(html: str) -> str:
    return html.replace("\u2060", "")


def _one_paragraph_per_cell(html: str) -> str:
    return re.sub(r"(<td class=\"(?:en|zh)\"[^>]*>)<p>(.*?)</p>(</td>)", r"\1\2\3", html, flags=re.S)


def _no_title_bands(html: str) -> str:
    return re.sub(r"<table class=\"title-band\".*?</table>", "", html, flags=re.S)


VARIANTS = {
    "as composed": lambda html: html,
    "no CSS custom properties": _no_custom_properties,
    "no widows/orphans/break rules": _no_break_rules,
    "no hyphenation": _no_hyphens,
    "no word joiners": _no_word_joiners,
    "text straight in the cells": _one_paragraph_per_cell,
    "no title-band tables": _no_title_bands,
}


def render_phases(weasyprint, html: str, base_url: str) -> tuple[int, float, dict[str, float]]:
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    document = weasyprint.HTML(string=html, base_url=base_url).render()
    document.write_pdf()
    profile.disable()
    total = time.perf_counter() - started
    phases = dict.fromkeys(PHASES, 0.0)
    for (_, _, name), (_, _, _, cumulative, _) in pstats.Stats(profile).stats.items():
        for phase, function in PHASES.items():
            if name == function:
                phases[phase] += cumulative
    return len(document.pages), total, phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import bench_build

    from renderer.assets import STYLES
    from renderer.compose import compose
    from renderer.load import load_issue
    from renderer.prepare import prepare_issue
    from renderer.typeset.weasyprint70 import load, uninstall

    weasyprint = load()
    uninstall()  # plain WeasyPrint: what the markup costs, not the press's patches
    base_url = STYLES.as_uri() + "/"
    with tempfile.TemporaryDirectory() as work:
        folder = bench_build.make_large_issue(Path(work) / "issue", args.copies)
        html = compose(prepare_issue(load_issue(folder)), "email").standalone_html()
        plain = bench_build.plain_layout_html(folder)

    sources = {"plain layout (yardstick)": plain,
               **{name: change(html) for name, change in VARIANTS.items()}}
    render_phases(weasyprint, html, base_url)  # warm-up: fonts, caches, first imports
    runs: dict[str, list] = {name: [] for name in sources}
    for _ in range(args.runs):  # interleaved, so that a busy moment spreads over all
        for name, source in sources.items():
            runs[name].append(render_phases(weasyprint, source, base_url))

    def per_page(name: str) -> tuple[float, dict[str, float]]:
        pages = runs[name][0][0]
        return (statistics.median(r[1] for r in runs[name]) / pages,
                {p: statistics.median(r[2][p] for r in runs[name]) / pages for p in PHASES})

    yard_total, yard = per_page("plain layout (yardstick)")
    print(f"{7 * args.copies} articles, median of {args.runs}; ms per page, and x the plain "
          "layout's (one edition, same paragraphs)")
    print(f"{'':32}" + "".join(f"{p:>15}" for p in [*PHASES, "whole"]))
    print(f"{'plain layout (yardstick)':32}"
          + "".join(f"{yard[p] * 1000:9.1f}      " for p in PHASES) + f"{yard_total * 1000:9.1f}")
    for name in VARIANTS:
        total, phases = per_page(name)
        print(f"{name:32}" + "".join(f"{phases[p] * 1000:7.1f} {phases[p] / yard[p]:4.2f}x "
                                     for p in PHASES)
              + f"{total * 1000:7.1f} {total / yard_total:4.2f}x")

if __name__ == "__main__":
    main()
