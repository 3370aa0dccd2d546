"""Imposition: the print edition's pages placed on press sheets, and reader spreads.

Each placed page is the source page as a Form XObject (ISO 32000-1 §8.10, pikepdf's
``Page.as_form_xobject``), drawn with a translation and a clip: no page is re-rendered,
fonts, images and the output intent are the source's own objects. The output is a copy
of the print PDF with new pages, so it keeps the PDF/X-4 identification, the XMP and the
FOGRA39 output intent; the boxes are per sheet (see docs/prepress.md):
TrimBox = the two pages' trim side by side, BleedBox = TrimBox + the bleed the sheet
has room for, MediaBox = the press sheet.

Saddle stitch, n pages (a multiple of 4), sheet s (0 = outermost): front n-2s | 2s+1,
back 2s+2 | n-2s-1; for 8 pages 8-1, 2-7 / 6-3, 4-5. Creep: the inner sheets stick out
at the fore-edge once nested, so their pages are moved towards the spine, sheet s by
creep x s / (sheets - 1) (the outermost not at all, the innermost by the whole creep).
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from renderer.errors import PressError
from renderer.policy import CROP_MARK_MM, POINTS_PER_MM, PRESS_SHEETS_MM, SADDLE_STITCH_MULTIPLE

MARK_GAP_MM = 1.0  # between the bleed and a crop mark
MARK_LINE_PT = 0.25
MAX_CREEP_MM = 3.0  # more than this is not creep but a wrong page size


@dataclass(frozen=True)
class Side:
    """One printed side of a press sheet: which source pages sit left and right."""

    sheet: int  # 1-based
    face: str  # "front" or "back"
    left: int | None  # 1-based source page, None: nothing
    right: int | None
    shift_mm: float = 0.0  # creep: each page moved this far towards the spine


@dataclass(frozen=True)
class Imposed:
    path: Path
    sides: tuple[Side, ...]
    sheet: str
    bleed_mm: float  # the bleed each sheet keeps (0 when the sheet has no room for it)
    marks: bool


def saddle_stitch_sides(pages: int, creep_mm: float = 0.0) -> tuple[Side, ...]:
    if pages < SADDLE_STITCH_MULTIPLE or pages % SADDLE_STITCH_MULTIPLE:
        raise PressError(
            f"saddle stitch needs a page count that is a multiple of "
            f"{SADDLE_STITCH_MULTIPLE}, and this file has {pages} pages.",
            fix="Set print: {binding: saddle-stitch} in the manifest and build again "
                "(blank pages are added before the back cover).")
    sheets = pages // 4
    sides = []
    for s in range(sheets):
        shift = creep_mm * s / (sheets - 1) if sheets > 1 else 0.0
        sides.append(Side(s + 1, "front", pages - 2 * s, 2 * s + 1, shift))
        sides.append(Side(s + 1, "back", 2 * s + 2, pages - 2 * s - 1, shift))
    return tuple(sides)


def reader_spreads(pages: int) -> tuple[Side, ...]:
    """As the reader sees them: the cover alone on the right, then 2-3, 4-5, ... and the
    back cover alone on the left (when the count is even)."""
    sides = [Side(1, "spread", None, 1)]
    number = 2
    while number <= pages:
        right = number + 1 if number + 1 <= pages else None
        sides.append(Side(len(sides) + 1, "spread", number, right))
        number += 2
    return tuple(sides)


def _trim(page) -> tuple[float, float, float, float]:
    box = page.obj.get("/TrimBox") or page.obj.get("/MediaBox")
    return tuple(float(v) for v in box)


def _sheet_size_pt(sheet: str) -> tuple[float, float]:
    if sheet not in PRESS_SHEETS_MM:
        raise PressError(f"unknown press sheet '{sheet}'.", field="sheet",
                         fix="Use one of " + ", ".join(PRESS_SHEETS_MM) + ".")
    short, long = PRESS_SHEETS_MM[sheet]
    return long * POINTS_PER_MM, short * POINTS_PER_MM  # landscape: two pages side by side


def impose(source: Path, target: Path, *, sheet: str, creep_mm: float = 0.0,
           bleed_mm: float = 3.0) -> Imposed:
    """Write the printer spreads of ``source`` (saddle stitch) on ``sheet`` to ``target``."""
    import pikepdf

    if not 0 <= creep_mm <= MAX_CREEP_MM:
        raise PressError(f"a creep of {creep_mm:g} mm is out of range.", field="creep",
                         fix=f"Use 0 to {MAX_CREEP_MM:g} mm (the print shop says how much; "
                             "0.1 to 0.3 mm per sheet is usual).")
    with pikepdf.open(source) as document:
        sides = saddle_stitch_sides(len(document.pages), creep_mm)
        width, height = _sheet_size_pt(sheet)
        tw, th = _page_trim_size(document)
        room_x, room_y = (width - 2 * tw) / 2, (height - th) / 2
        if min(room_x, room_y) < -0.5:
            raise PressError(
                f"two {tw / POINTS_PER_MM:.0f} x {th / POINTS_PER_MM:.0f} mm pages do not fit "
                f"on a {sheet} sheet.", field="sheet",
                fix="Use a larger sheet (A3 or SRA3 for A4 pages, A4 for A5).")
        room_mm = max(0.0, min(room_x, room_y)) / POINTS_PER_MM
        bleed = bleed_mm if room_mm >= bleed_mm else 0.0
        marks = room_mm >= bleed + MARK_GAP_MM + CROP_MARK_MM
        origin = (max(room_x, 0.0), max(room_y, 0.0))
        _rebuild(document, sides, (width, height), origin, (tw, th), bleed, marks,
                 label=f"imposed {sheet} saddle stitch, creep {creep_mm:g} mm")
        _save(document, target)
    return Imposed(Path(target), sides, sheet, bleed, marks)


def write_reader_spreads(source: Path, target: Path) -> Imposed:
    """Write the reader-spreads proof of ``source``: trim only, two pages a sheet."""
    import pikepdf

    with pikepdf.open(source) as document:
        sides = reader_spreads(len(document.pages))
        tw, th = _page_trim_size(document)
        _rebuild(document, sides, (2 * tw, th), (0.0, 0.0), (tw, th), 0.0, False,
                 label="reader spreads (proof)")
        _save(document, target)
    return Imposed(Path(target), sides, "spread", 0.0, False)


def _page_trim_size(document) -> tuple[float, float]:
    sizes = {tuple(round(v, 1) for v in _size(_trim(page))) for page in document.pages}
    if len(sizes) != 1:
        raise PressError("the pages do not all have the same trim size, so they cannot be "
                         "imposed together.", fix="Impose the print edition the press built.")
    return _size(_trim(document.pages[0]))


def _size(box) -> tuple[float, float]:
    return box[2] - box[0], box[3] - box[1]


def _rebuild(document, sides, sheet_pt, origin, trim_pt, bleed_mm, marks, *, label) -> None:
    import pikepdf

    width, height = sheet_pt
    ox, oy = origin
    tw, th = trim_pt
    bleed = bleed_mm * POINTS_PER_MM
    old = list(document.pages)
    forms = []
    for page in old:
        form = document.make_indirect(page.as_form_xobject())
        forms.append((form, _trim(page)))
    new_pages = []
    for side in sides:
        content = []
        resources = pikepdf.Dictionary()
        xobjects = pikepdf.Dictionary()
        for position, number in (("left", side.left), ("right", side.right)):
            if number is None:
                continue
            form, trim = forms[number - 1]
            name = f"/P{number}"
            xobjects[name] = form
            shift = side.shift_mm * POINTS_PER_MM
            if position == "left":
                x, clip = ox + shift, (ox - bleed, oy - bleed, ox + tw, oy + th + bleed)
            else:
                x, clip = ox + tw - shift, (ox + tw, oy - bleed, ox + 2 * tw + bleed,
                                            oy + th + bleed)
            dx, dy = x - trim[0], oy - trim[1]
            content.append(
                f"q {_n(clip[0])} {_n(clip[1])} {_n(clip[2] - clip[0])} {_n(clip[3] - clip[1])} "
                f"re W n 1 0 0 1 {_n(dx)} {_n(dy)} cm {name} Do Q")
        if marks:
            content.append(_crop_marks(ox, oy, 2 * tw, th, bleed))
        resources.XObject = xobjects
        stream = pikepdf.Stream(document, "\n".join(content).encode("ascii"))
        trim_box = [ox, oy, ox + 2 * tw, oy + th]
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page, MediaBox=[0, 0, _r(width), _r(height)],
            TrimBox=[_r(v) for v in trim_box],
            BleedBox=[_r(trim_box[0] - bleed), _r(trim_box[1] - bleed),
                      _r(trim_box[2] + bleed), _r(trim_box[3] + bleed)],
            Resources=resources, Contents=stream)
        new_pages.append(page)
    for page in new_pages:
        document.pages.append(pikepdf.Page(page))
    del document.pages[:len(old)]
    for key in ("/Outlines", "/Names", "/PageLabels", "/StructTreeRoot", "/MarkInfo",
                "/OpenAction"):
        if key in document.Root:
            del document.Root[key]
    _retitle(document, label)


def _crop_marks(x0: float, y0: float, w: float, h: float, bleed: float) -> str:
    """Crop marks at the spread's corners and fold marks at the spine, outside the bleed,
    in registration (all four inks: they must show on every plate)."""
    gap, length = bleed + MARK_GAP_MM * POINTS_PER_MM, CROP_MARK_MM * POINTS_PER_MM
    x1, y1, spine = x0 + w, y0 + h, x0 + w / 2
    lines = []
    for x, sx in ((x0, -1), (x1, 1)):
        for y, sy in ((y0, -1), (y1, 1)):
            lines.append((x + sx * gap, y, x + sx * (gap + length), y))  # horizontal
            lines.append((x, y + sy * gap, x, y + sy * (gap + length)))  # vertical
    for y, sy in ((y0, -1), (y1, 1)):  # the fold
        lines.append((spine, y + sy * gap, spine, y + sy * (gap + length)))
    # One stroke a mark: a reader judges "outside the trim" path by path.
    paths = " ".join(f"{_n(a)} {_n(b)} m {_n(c)} {_n(d)} l S" for a, b, c, d in lines)
    return f"q 1 1 1 1 K {MARK_LINE_PT} w {paths} Q"


def _retitle(document, label: str) -> None:
    import pikepdf

    title = str(document.docinfo.get("/Title", ""))
    document.docinfo["/Title"] = pikepdf.String(f"{title} ({label})")
    if "/Metadata" in document.Root:
        xmp = document.Root.Metadata.read_bytes()
        seed = hashlib.sha256(xmp + label.encode()).hexdigest()[:32]
        document.Root.Metadata.write(re.sub(
            rb"xmp\.did:[0-9a-fA-F-]{36}", f"xmp.did:{uuid.UUID(seed)}".encode(), xmp))


def _save(document, target: Path) -> None:
    from renderer.deliver import files

    out = io.BytesIO()
    document.save(out, deterministic_id=True)
    files.write_atomically(Path(target), out.getvalue())


def _n(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _r(value: float) -> float:
    return round(value, 4)
