"""What the press's HTML costs per page in instructions, which a busy machine does not change.

    .venv/bin/python bench/bench_instructions.py [--copies 3]

Timings here move by a fifth between two runs of the same code, and the bigger process
(the press's layout holds more boxes) loses more to a busy neighbour than the smaller one,
so a per-page time ratio moves with the machine. Valgrind's callgrind counts the
instructions each process executes, the same from run to run. The sample's articles
(`--copies` times) composed as the email edition, and the plain layout of the same
paragraphs (bench_build.plain_layout_html), are rendered and written through the press's
typesetter (bench_build.THROUGH_SEAM) under callgrind, beside a one-paragraph document that
counts what starting and importing cost; each figure is per page, with that subtracted.
Instructions leave out what memory costs (cache misses), so `./dev bench` stays the
figure that counts; this one says whether a change made the work itself smaller. About
three minutes on two cores for 3 copies (callgrind runs some 50 times slower).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def counted(source: Path, base_url: str, work: Path) -> tuple[int, int]:
    """(instructions, pages) of one document through the press's typesetter."""
    import bench_build

    out = work / f"{source.stem}.callgrind"
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
         sys.executable, "-c", bench_build.THROUGH_SEAM, str(source), base_url,
         str(work / f"{source.stem}.pdf")],
        capture_output=True, text=True, cwd=ROOT, env={"PATH": "/usr/bin:/bin", "TMPDIR": str(work)})
    if done.returncode != 0:
        raise SystemExit(f"callgrind failed on {source.name}: {done.stderr[-2000:]}")
    total = re.search(r"Collected : (\d+)", done.stderr)
    pages = done.stderr.strip().splitlines()
    return int(total[1]), int(next(line for line in pages if line.strip().isdigit()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: sudo apt-get install valgrind")

    import bench_build

    from renderer.compose import compose
    from renderer.load import load_issue
    from renderer.prepare import prepare_issue

    with tempfile.TemporaryDirectory(prefix="press-instructions-") as name:
        work = Path(name)
        folder = bench_build.make_large_issue(work / "issue", args.copies)
        composed = compose(prepare_issue(load_issue(folder)), "email")
        sources = {"press": work / "press.html", "plain": work / "plain.html",
                   "start-up": work / "start-up.html"}
        sources["press"].write_text(composed.standalone_html(), encoding="utf-8")
        sources["plain"].write_text(bench_build.plain_layout_html(folder), encoding="utf-8")
        sources["start-up"].write_text("<p>x</p>", encoding="utf-8")
        with ThreadPoolExecutor(2) as pool:  # one valgrind per core
            results = dict(zip(sources, pool.map(
                lambda source: counted(source, composed.base_url, work), sources.values())))
    start_up = results["start-up"][0]
    print(f"{7 * args.copies} articles through the press's typesetter, instructions "
          f"(callgrind), start-up ({start_up / 1e9:.2f} G) subtracted")
    per_page = {}
    for key in ("press", "plain"):
        instructions, pages = results[key]
        per_page[key] = (instructions - start_up) / pages
        print(f"{key + ' HTML':12} {pages:4d} pages  {(instructions - start_up) / 1e9:7.2f} G  "
              f"{per_page[key] / 1e6:7.1f} M a page")
    print(f"{'per page, press HTML / plain layout':44} {per_page['press'] / per_page['plain']:4.2f}x")


if __name__ == "__main__":
    main()
