"""An independent reader of the print PDFs: Ghostscript (Debian `ghostscript`), run as a
subprocess with a timeout, and qpdf's command line.

What the press's own preflight (pikepdf) cannot see, a RIP-like renderer measures, all
from one CMYK render (``tiff32nc``: overprint as a separation device does it):
- ink per plate, page by page: the mean amount of C, M, Y and K over the trimmed page,
  in percent (what Ghostscript's ``ink_cov`` device reports; ``inkcov`` only counts the
  pixels that carry *any* of an ink, which is not what a print shop compares);
- the total area coverage per pixel, images included, and where it is over the limit;
- that the file renders with no warning at all (``-dPDFSTOPONWARNING``);
- ``qpdf --check`` as a second process.

Renders use the TrimBox (``-dUseTrimBox``): what is measured is what the reader gets.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from renderer.errors import PressError

GS = "gs"
QPDF = "qpdf"
TIMEOUT_S = 120.0  # per Ghostscript run; an 8-page issue takes about a second
MEASURE_PPI = 72  # one pixel is 0.35 mm; the mean per plate is resolution-independent to ~0.1 %
TAC_TOLERANCE = 1.0  # percent: four 8-bit plates each round by up to 0.2 %
SAFE = ["-dSAFER", "-dBATCH", "-dNOPAUSE", "-dNOINTERPOLATE"]
STRICT = ["-dPDFSTOPONERROR", "-dPDFSTOPONWARNING"]  # a warning is a failure


@dataclass(frozen=True)
class PlateCoverage:
    """One page's mean ink per plate, in percent of the trimmed page."""

    page: int
    c: float
    m: float
    y: float
    k: float

    @property
    def total(self) -> float:
        return self.c + self.m + self.y + self.k


@dataclass(frozen=True)
class AreaCoverage:
    """One page's highest per-pixel total area coverage, and where it is over the limit."""

    page: int
    peak: float  # percent
    over_pixels: int
    over_box_mm: tuple[float, float, float, float] | None  # x0, y0, x1, y1 from the trim's top left
    ppi: int

    @property
    def over_area_mm2(self) -> float:
        return self.over_pixels * (25.4 / self.ppi) ** 2


def ghostscript_missing() -> str | None:
    """None when Ghostscript can run; else what to do."""
    if shutil.which(GS) is None:
        return ("Ghostscript is not installed: sudo apt-get install ghostscript "
                "(or run scripts/setup.sh)")
    return None


def _run(args: Sequence[str], pdf: Path, *, timeout: float = TIMEOUT_S,
         what: str = "render") -> subprocess.CompletedProcess:
    missing = ghostscript_missing() if args[0] == GS else (
        None if shutil.which(args[0]) else f"{args[0]} is not installed")
    if missing:
        raise PressError(f"cannot {what} the file: {missing}.", file=pdf)
    try:
        return subprocess.run(list(args), capture_output=True, timeout=timeout,
                              env={**os.environ, "LC_ALL": "C"}, check=False)
    except subprocess.TimeoutExpired:
        raise PressError(f"{args[0]} did not {what} the file within {timeout:g} s.", file=pdf,
                         fix="A very large or damaged file? Render it with a viewer to see.") from None


def _failed(result: subprocess.CompletedProcess, pdf: Path, what: str) -> PressError:
    text = (result.stderr or result.stdout).decode("utf-8", "replace").strip()
    return PressError(f"Ghostscript could not {what} the file (exit {result.returncode}): "
                      + (text.splitlines()[0] if text else "no message"), file=pdf)


@dataclass(frozen=True)
class Measured:
    """What one Ghostscript render of a print file shows."""

    plates: list[PlateCoverage]
    areas: list[AreaCoverage]
    problems: list[str]  # its warnings and errors; empty when it rendered cleanly


def measure(pdf: Path, *, limit: float, ppi: int = MEASURE_PPI) -> Measured:
    """Ink per plate, total area coverage and render problems from one CMYK render of the
    trimmed pages, with warnings treated as failures: a preflight pays for one render,
    not three (ink_cov, tiff32nc and nullpage took 0.4 s each on the sample)."""
    pdf = Path(pdf)
    images, result = _render(pdf, ppi=ppi, strict=True)
    problems = _problems(result)
    if problems:  # Ghostscript stopped at the first warning: measure without stopping
        images, _ = _render(pdf, ppi=ppi)
    return Measured(plates=[_plates(number, image) for number, image in enumerate(images, 1)],
                    areas=[_area(number, image, limit, ppi)
                           for number, image in enumerate(images, 1)],
                    problems=problems)


def render_cmyk(pdf: Path, *, ppi: int, first: int | None = None, last: int | None = None,
                use_trim: bool = True, smooth: bool = False):
    """The pages as Pillow CMYK images (0 = no ink), rendered by ``tiff32nc``: overprint is
    applied as on a separating device (ISO 32000-1 §11.7.4). ``smooth``: anti-aliased,
    for people (a proof), never for measuring."""
    pdf = Path(pdf)
    images, result = _render(pdf, ppi=ppi, first=first, last=last, use_trim=use_trim,
                             smooth=smooth)
    if result.returncode:
        raise _failed(result, pdf, "render")
    return images


def _render(pdf: Path, *, ppi: int, first: int | None = None, last: int | None = None,
            use_trim: bool = True, smooth: bool = False, strict: bool = False):
    from PIL import Image

    pages = ([f"-dFirstPage={first}"] if first else []) + ([f"-dLastPage={last}"] if last else [])
    # Strict: stop at any warning, and keep the messages (-dQUIET would hide some).
    options = STRICT if strict else ["-dQUIET"]
    with tempfile.TemporaryDirectory(prefix="press-gs-") as folder:
        target = Path(folder) / "page-%04d.tif"
        result = _run([GS, *SAFE, *options,
                       "-sDEVICE=tiff32nc", "-sCompression=lzw",
                       *(["-dUseTrimBox"] if use_trim else []), f"-r{ppi}", *pages,
                       *(["-dTextAlphaBits=4", "-dGraphicsAlphaBits=4"] if smooth else []),
                       "-o", str(target), str(pdf)], pdf)
        images = []
        for path in sorted(Path(folder).glob("page-*.tif")):
            with Image.open(path) as image:
                image.load()
                images.append(image.convert("CMYK") if image.mode != "CMYK" else image.copy())
    return images, result


def _plates(number: int, image) -> PlateCoverage:
    from PIL import ImageStat

    return PlateCoverage(number, *(mean / 255 * 100 for mean in ImageStat.Stat(image).mean))


def _area(number: int, image, limit: float, ppi: int) -> AreaCoverage:
    from PIL import ImageMath

    threshold = (limit + TAC_TOLERANCE) / 100 * 255
    c, m, y, k = image.split()
    total = ImageMath.lambda_eval(lambda a: a["c"] + a["m"] + a["y"] + a["k"],
                                  c=c, m=m, y=y, k=k)
    peak = total.getextrema()[1] / 255 * 100
    over = ImageMath.lambda_eval(lambda a: a["t"] > threshold, t=total).convert("L")
    box = over.getbbox()
    count = over.histogram()[1] if box else 0
    scale = 25.4 / ppi
    return AreaCoverage(page=number, peak=peak, over_pixels=count, ppi=ppi,
                        over_box_mm=tuple(round(v * scale, 1) for v in box) if box else None)


def render_problems(pdf: Path) -> list[str]:
    """Render every page with Ghostscript (no output), warnings treated as failures: the
    messages it gave, empty when the file rendered cleanly."""
    pdf = Path(pdf)
    return _problems(_run([GS, *SAFE, *STRICT, "-sDEVICE=nullpage", str(pdf)], pdf))


def _problems(result: subprocess.CompletedProcess) -> list[str]:
    text = (result.stdout + result.stderr).decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines()
             if re.search(r"warning|error|\*\*\*\*", line, re.I)]
    if result.returncode and not lines:
        lines.append(f"Ghostscript exited with {result.returncode}")
    return lines


def qpdf_problems(pdf: Path) -> list[str]:
    """``qpdf --check`` in its own process: empty when it reports no errors or warnings."""
    pdf = Path(pdf)
    result = _run([QPDF, "--check", str(pdf)], pdf, what="check")
    if result.returncode == 0:  # 2: errors, 3: warnings (qpdf's manual, "Exit Status")
        return []
    text = (result.stdout + result.stderr).decode("utf-8", "replace")
    problems = [line.strip() for line in text.splitlines()
                if re.search(r"warning|error", line, re.I)]
    return problems or [f"qpdf --check exited with {result.returncode}"]
