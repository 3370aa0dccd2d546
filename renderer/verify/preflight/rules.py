"""The preflight rules: one small function per check, with what it checks and the norm it comes from (ISO 15930-7 PDF/X-4, ISO 32000-1, print-shop practice).

Each rule reads a ``Context`` (the open document, the content inventory and the run's
parameters) and returns one ``Check``: its verdict (pass, warn, fail, info) and the
evidence it rests on. ``RULES`` is the table, in the order the report lists them.
Print-shop figures (bleed, ppi, ink limit, page sizes) come from renderer.policy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pikepdf

from renderer.policy import (
    EDITIONS,
    POINTS_PER_MM,
    PRINT_GOOD_PPI,
    PRINT_MIN_PPI,
    page_size_mm,
)
from renderer.verify.preflight.reader import (
    ColourUse,
    ImagePlacement,
    Inventory,
    Rect,
    icc_colour_space,
    image_picture,
    media_box,
    page_box,
    rect_size,
    text_pages,
    xmp_values,
)

if TYPE_CHECKING:
    from PIL import Image

Status = Literal["pass", "warn", "fail", "info"]

BOX_TOLERANCE_PT = 0.5
TEXT_TOLERANCE_PT = 0.5  # a glyph's ink may overhang its advance a little
COLOUR_TOLERANCE = 0.005  # half a percent of ink: what PDF writers round away
EVIDENCE_LINES = 12  # longer evidence is cut with "... and N more"
UNIFORM_SHARE = 0.99  # an image with this share of its pixels at one value is nearly blank
UNIFORM_LEVELS = 6  # "one value": within this many of 255 levels of the commonest
MIN_BLANK_CHECK_PIXELS = 32 * 32  # smaller images (rules, dots) may well be one colour


def expected_size_pt(page_size: str) -> tuple[float, float]:
    """Trim size in points of a named page size (any case), from renderer.policy."""
    width, height = page_size_mm(page_size)
    return (width * POINTS_PER_MM, height * POINTS_PER_MM)


@dataclass
class Check:
    """One rule, its verdict and the evidence the verdict rests on."""

    name: str
    status: Status
    evidence: str


@dataclass
class Context:
    """What every rule may read."""

    pdf: Path
    document: pikepdf.Pdf
    inventory: Inventory
    edition: str
    page_size: str | None
    bleed_mm: float
    ink_limit: int
    page_multiple: int | None
    measure: bool = False  # also run Ghostscript and qpdf's command (renderer.verify.ghostscript)
    measurements: dict = field(default_factory=dict)  # what the measuring rules found


@dataclass(frozen=True)
class Rule:
    """A check's name, what it checks, the norm it comes from and what to do when it fails."""

    name: str
    checks: str
    norm: str
    hint: str
    run: Callable[[Context], Check]
    editions: tuple[str, ...] = EDITIONS
    when: Callable[[Context], bool] = lambda context: True


# ------------------------------------------------------------------ evidence helpers


def _limit(lines: list[str], most: int = EVIDENCE_LINES) -> str:
    if len(lines) <= most:
        return "\n".join(lines)
    return "\n".join(lines[:most] + [f"... and {len(lines) - most} more"])


def _page_ranges(pages: Iterable[int]) -> str:
    """[1, 2, 3, 5] -> 'pages 1-3, 5'."""
    numbers = sorted(set(pages))
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    text = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
    return f"page {text}" if len(numbers) == 1 else f"pages {text}"


def _number(value: float) -> str:
    return f"{round(value, 3):g}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _components(values: tuple[float, ...]) -> str:
    return " ".join(_number(v) for v in values)


# ------------------------------------------------------------------ PDF/X identification

def _check_pdfx_version(document: pikepdf.Pdf) -> Check:
    found = [f"XMP: {value}" for value in xmp_values(document, "GTS_PDFXVersion")]
    info_value = document.trailer.get("/Info", {}).get("/GTS_PDFXVersion")
    if info_value is not None:
        found.append(f"Info: {info_value}")
    if not found:
        return Check("pdfx-version", "fail",
                     "no GTS_PDFXVersion in XMP or Info: the file does not claim PDF/X "
                     "(render with pdf_variant='pdf/x-4' passed to write_pdf)")
    valid = [entry for entry in found if entry.split(": ", 1)[1].startswith("PDF/X-")]
    status: Status = "pass" if valid else "fail"
    return Check("pdfx-version", status, "GTS_PDFXVersion " + "; ".join(sorted(set(found))))


def _check_output_intent(document: pikepdf.Pdf) -> Check:
    intents = document.Root.get("/OutputIntents")
    if not intents:
        return Check("output-intent", "fail",
                     "no /OutputIntents: declare a CMYK profile with @color-profile device-cmyk")
    pdfx = [intent for intent in intents if intent.get("/S") == "/GTS_PDFX"]
    if not pdfx:
        kinds = ", ".join(str(intent.get("/S")) for intent in intents)
        return Check("output-intent", "fail", f"no /S /GTS_PDFX output intent (found {kinds})")
    intent = pdfx[0]
    problems = []
    identifier = str(intent.get("/OutputConditionIdentifier", "")).strip()
    if not identifier:
        problems.append("OutputConditionIdentifier missing")
    profile = intent.get("/DestOutputProfile")
    if profile is None or not isinstance(profile, pikepdf.Stream):
        problems.append("DestOutputProfile not embedded")
        signature, size = "", 0
    else:
        size = len(profile.read_bytes())
        signature = icc_colour_space(profile)
        if signature != "CMYK":
            problems.append(f"profile colour space is '{signature or '?'}', not 'CMYK'")
    evidence = (f"GTS_PDFX intent '{identifier or '?'}', embedded profile {size} bytes, "
                f"ICC colour space '{signature or '?'}'")
    if problems:
        return Check("output-intent", "fail", evidence + "\n" + "; ".join(problems))
    return Check("output-intent", "pass", evidence)


def _trapped_value(raw: object) -> str:
    return str(raw).lstrip("/").strip().capitalize()


def _check_trapped(document: pikepdf.Pdf) -> Check:
    found = []
    info_value = document.trailer.get("/Info", {}).get("/Trapped")
    if info_value is not None:
        found.append(("Info", _trapped_value(info_value)))
    found.extend(("XMP", _trapped_value(value)) for value in xmp_values(document, "Trapped"))
    if not found:
        return Check("trapped", "fail", "/Trapped is not set in Info or XMP (must be True or False)")
    evidence = ", ".join(f"{where} /Trapped {value}" for where, value in found)
    values = {value for _, value in found}
    if not values <= {"True", "False"}:
        return Check("trapped", "fail", evidence + " (must be True or False, not Unknown)")
    if len(values) > 1:
        return Check("trapped", "fail", evidence + " (Info and XMP disagree)")
    return Check("trapped", "pass", evidence)


# ------------------------------------------------------------------ pages


def _check_page_boxes(document: pikepdf.Pdf, bleed_mm: float) -> Check:
    bleed_pt = bleed_mm * POINTS_PER_MM
    findings: dict[str, list[int]] = defaultdict(list)
    for number, page in enumerate(document.pages, start=1):
        for problem in _page_box_problems(page, bleed_pt):
            findings[problem].append(number)
    if findings:
        lines = [f"{_page_ranges(pages)}: {problem}" for problem, pages in findings.items()]
        return Check("page-boxes", "fail", _limit(lines))
    first = document.pages[0] if len(document.pages) else None
    if first is None:
        return Check("page-boxes", "fail", "the document has no pages")
    width, height = rect_size(page_box(first.obj, "/TrimBox"))
    return Check("page-boxes", "pass",
                 f"{_count(len(document.pages), 'page')}: TrimBox {_number(width)} x {_number(height)} pt; "
                 f"BleedBox = TrimBox + {_number(bleed_pt)} pt ({_number(bleed_mm)} mm) each side; "
                 "MediaBox contains BleedBox")


def _page_box_problems(page: pikepdf.Page, bleed_pt: float) -> list[str]:
    trim = page_box(page.obj, "/TrimBox")
    bleed = page_box(page.obj, "/BleedBox")
    media = media_box(page)
    problems = []
    if trim is None:
        problems.append("no TrimBox")
    if bleed is None:
        problems.append("no BleedBox")
    if trim is not None and bleed is not None:
        margins = (trim[0] - bleed[0], trim[1] - bleed[1], bleed[2] - trim[2], bleed[3] - trim[3])
        if any(abs(margin - bleed_pt) > BOX_TOLERANCE_PT for margin in margins):
            shown = "/".join(_number(margin) for margin in margins)
            problems.append(f"BleedBox extends {shown} pt beyond TrimBox (left/bottom/right/top), "
                            f"expected {_number(bleed_pt)} pt on each side")
    if bleed is not None:
        inside = (media[0] - BOX_TOLERANCE_PT <= bleed[0] and media[1] - BOX_TOLERANCE_PT <= bleed[1]
                  and bleed[2] <= media[2] + BOX_TOLERANCE_PT and bleed[3] <= media[3] + BOX_TOLERANCE_PT)
        if not inside:
            problems.append(f"MediaBox {_rect_text(media)} does not contain BleedBox {_rect_text(bleed)}")
    return problems


def _rect_text(rect: Rect) -> str:
    return "[" + " ".join(_number(v) for v in rect) + "]"


def _check_page_size(document: pikepdf.Pdf, page_size: str | None) -> Check:
    sizes: dict[tuple[float, float], list[int]] = defaultdict(list)
    for number, page in enumerate(document.pages, start=1):
        trim = page_box(page.obj, "/TrimBox") or media_box(page)
        width, height = rect_size(trim)
        sizes[(round(width, 2), round(height, 2))].append(number)
    measured = [f"{_page_ranges(pages)}: {_number(w)} x {_number(h)} pt"
                for (w, h), pages in sizes.items()]
    if page_size is None:
        return Check("page-size", "info", "no expected size given; trim sizes:\n" + _limit(measured))
    expected = expected_size_pt(page_size)
    wrong = [(size, pages) for size, pages in sizes.items()
             if any(abs(got - want) > BOX_TOLERANCE_PT for got, want in zip(size, expected))]
    heading = f"expected {page_size} {_number(expected[0])} x {_number(expected[1])} pt (TrimBox)"
    if wrong:
        lines = [f"{_page_ranges(pages)}: {_number(w)} x {_number(h)} pt" for (w, h), pages in wrong]
        return Check("page-size", "fail", heading + "\n" + _limit(lines))
    return Check("page-size", "pass", heading + "\n" + _limit(measured))


def _check_page_count(document: pikepdf.Pdf, page_multiple: int) -> Check:
    count = len(document.pages)
    evidence = f"{count} pages, must be a multiple of {page_multiple}"
    if count % page_multiple:
        missing = page_multiple - count % page_multiple
        return Check("page-count", "fail", f"{evidence}: add {missing} page(s)")
    return Check("page-count", "pass", evidence)


# ------------------------------------------------------------------ fonts


def _check_fonts_embedded(inventory: Inventory) -> Check:
    fonts = list(inventory.fonts.values())
    missing = [font for font in fonts if not font.embedded]
    if missing:
        lines = [f"{font.name} ({font.subtype}) on {_page_ranges(font.pages)}: {font.embedding}"
                 for font in missing]
        return Check("fonts-embedded", "fail", _limit(lines))
    if not fonts:
        return Check("fonts-embedded", "pass", "no text is drawn")
    lines = [f"{font.name} ({font.subtype}, {font.embedding})" for font in fonts]
    return Check("fonts-embedded", "pass", f"{len(fonts)} fonts used, all embedded:\n" + _limit(lines))


def _check_no_type3(inventory: Inventory, edition: str) -> Check:
    type3 = [font for font in inventory.fonts.values() if font.subtype == "Type3"]
    if not type3:
        return Check("no-type3-fonts", "pass", "no Type 3 fonts")
    lines = [f"Type 3 font {font.name} on {_page_ranges(font.pages)}" for font in type3]
    # Type 3 glyphs are little programs a RIP may rasterise badly; for screens they are fine.
    return Check("no-type3-fonts", "fail" if edition == "print" else "warn", _limit(lines))


# ------------------------------------------------------------------ colour


def _group_uses(uses: Iterable[tuple[ColourUse, int]]) -> dict[tuple, tuple[set[int], int]]:
    """(usage, label, values) -> (pages, count)."""
    grouped: dict[tuple, tuple[set[int], int]] = {}
    for use, count in uses:
        key = (use.usage, use.space.label, use.values)
        pages, total = grouped.get(key, (set(), 0))
        pages.add(use.page)
        grouped[key] = (pages, total + count)
    return grouped


def _use_lines(uses: Iterable[tuple[ColourUse, int]]) -> list[str]:
    lines = []
    for (usage, label, values), (pages, count) in sorted(_group_uses(uses).items(),
                                                          key=lambda item: min(item[1][0])):
        colour = f"{label} {_components(values)}".strip()
        lines.append(f"{_page_ranges(pages)}: {count} x {usage} in {colour}")
    return lines


def _check_colour_spaces(inventory: Inventory) -> Check:
    inside = [(use, n) for use, n in inventory.colours.items() if not use.outside_trim]
    device_rgb = [(use, n) for use, n in inside if use.space.kind == "rgb-device"]
    vector_other = [(use, n) for use, n in inside
                    if use.space.kind in ("rgb-calibrated", "lab", "other")
                    and use.usage not in ("image", "blend")]
    tagged_images = [(use, n) for use, n in inside
                     if use.space.kind in ("rgb-calibrated", "lab", "other") and use.usage == "image"]
    used = sorted({use.space.label for use, _ in inside})
    summary = "colour spaces used inside the trim: " + (", ".join(used) or "none")
    if device_rgb:
        return Check("colour-spaces", "fail",
                     summary + "\nDeviceRGB is not allowed in print (convert to CMYK):\n"
                     + _limit(_use_lines(device_rgb)))
    if vector_other:
        return Check("colour-spaces", "warn",
                     summary + "\nnot CMYK or grey, the RIP will convert these:\n"
                     + _limit(_use_lines(vector_other)))
    if tagged_images:
        return Check("colour-spaces", "info",
                     summary + "\ncolour-managed images, allowed in PDF/X-4 and converted by the RIP:\n"
                     + _limit(_use_lines(tagged_images)))
    return Check("colour-spaces", "pass", summary)


def _check_printer_marks(inventory: Inventory) -> Check:
    """What is drawn only outside the TrimBox: crop marks, trimmed off after printing."""
    outside = [(use, n) for use, n in inventory.colours.items() if use.outside_trim]
    if not outside:
        return Check("printer-marks", "pass", "nothing is drawn outside the TrimBox")
    rgb = [(use, n) for use, n in outside if use.space.kind in ("rgb-device", "rgb-calibrated")]
    if rgb:
        # WeasyPrint 70 strokes its crop marks in RGB black; they are cut off, but a
        # strict PDF/X checker flags any DeviceRGB, so this is a warning, not silence.
        return Check("printer-marks", "warn",
                     "RGB drawn outside the TrimBox only (crop marks; trimmed off, but strict "
                     "PDF/X checkers flag any DeviceRGB):\n" + _limit(_use_lines(rgb)))
    return Check("printer-marks", "pass",
                 "drawn outside the TrimBox:\n" + _limit(_use_lines(outside)))


def _is_cmyk_black(use: ColourUse) -> bool:
    return use.space.kind == "cmyk" and len(use.values) == 4 and all(
        abs(got - want) <= COLOUR_TOLERANCE for got, want in zip(use.values, (0, 0, 0, 1)))


def _is_gray_black(use: ColourUse) -> bool:
    return use.space.kind == "gray" and len(use.values) == 1 and abs(use.values[0]) <= COLOUR_TOLERANCE


def _text_colour_problem(use: ColourUse) -> str | None:
    if _is_cmyk_black(use) or _is_gray_black(use):
        return None
    if use.space.kind == "cmyk" and len(use.values) == 4 and use.values[3] >= 1 - COLOUR_TOLERANCE:
        return "rich black (CMY under 100% K); body text must be 100% K only"
    return "not 100% K"


def _check_text_colour(inventory: Inventory) -> Check:
    text_uses = [(use, n) for use, n in inventory.colours.items() if use.usage == "text"]
    if not text_uses:
        return Check("text-colour", "pass", "no text is drawn")
    lines = []
    for use, count in sorted(text_uses, key=lambda item: item[0].page):
        problem = _text_colour_problem(use)
        if problem:
            colour = f"{use.space.label} {_components(use.values)}".strip()
            lines.append(f"page {use.page}: {count} text-showing op(s) in {colour}: {problem}")
    total = sum(n for _, n in text_uses)
    if lines:
        return Check("text-colour", "fail", _limit(lines))
    return Check("text-colour", "pass", f"{total} text-showing ops, all 100% K (or grey 0)")


def _coverage(values: tuple[float, ...]) -> float:
    return sum(values) * 100


def _check_ink_coverage(inventory: Inventory, ink_limit: int) -> Check:
    over: list[str] = []
    highest = 0.0
    for use, count in sorted(inventory.colours.items(), key=lambda item: item[0].page):
        if use.outside_trim or use.space.kind != "cmyk" or len(use.values) != 4:
            continue
        coverage = _coverage(use.values)
        highest = max(highest, coverage)
        if coverage > ink_limit + COLOUR_TOLERANCE * 100:
            over.append(f"page {use.page}: {count} x {use.usage} in {use.space.label} "
                        f"{_components(use.values)} = {_number(coverage)}%")
    over.extend(_image_coverage_lines(inventory, ink_limit))
    unmeasured = sum(1 for use in inventory.colours
                     if use.usage in ("shading",) and use.space.kind == "cmyk")
    tail = f"; {unmeasured} CMYK shading(s) not measured" if unmeasured else ""
    if over:
        return Check("ink-coverage", "fail",
                     f"total area coverage above {ink_limit}%:\n" + _limit(over))
    return Check("ink-coverage", "pass",
                 f"highest vector colour {_number(highest)}% (limit {ink_limit}%), "
                 f"CMYK images within the limit{tail}")


def _image_coverage_lines(inventory: Inventory, ink_limit: int) -> list[str]:
    lines = []
    for key, (image, space) in inventory.image_objects.items():
        if space.kind != "cmyk":
            continue
        peak = _image_peak_coverage(image)
        if peak is not None and peak > ink_limit:
            pages = _page_ranges(inventory.image_pages[key])
            lines.append(f"{pages}: CMYK image {image.get('/Width')}x{image.get('/Height')} px "
                         f"reaches {_number(peak)}%")
    return lines


def _image_peak_coverage(image: pikepdf.Object) -> float | None:
    """Highest per-pixel C+M+Y+K of a CMYK image in percent; None if it cannot be decoded."""
    from PIL import ImageMath

    picture = image_picture(image)
    if picture is None or picture.mode != "CMYK":
        return None
    if image.get("/Filter") != "/DCTDecode" and _inverted_decode(image):
        # Pillow undoes Adobe's inversion for JPEG itself; other filters keep raw samples.
        picture = _invert_cmyk(picture)
    c, m, y, k = picture.split()
    total = ImageMath.lambda_eval(lambda args: args["c"] + args["m"] + args["y"] + args["k"],
                                  c=c, m=m, y=y, k=k)
    return total.getextrema()[1] / 255 * 100


def _inverted_decode(image: pikepdf.Object) -> bool:
    decode = image.get("/Decode")
    return decode is not None and [float(v) for v in decode][:2] == [1.0, 0.0]


def _invert_cmyk(picture: Image.Image) -> Image.Image:
    from PIL import Image

    return Image.merge("CMYK", [band.point(lambda v: 255 - v) for band in picture.split()])


def _check_content_streams(inventory: Inventory) -> Check:
    if inventory.problems:
        return Check("content-streams", "warn",
                     "parts of the content could not be checked:\n" + _limit(inventory.problems))
    return Check("content-streams", "pass", "every page's content, forms and patterns were read")


# ------------------------------------------------------------------ images


def _placement_text(image: ImagePlacement) -> str:
    width, height = image.placed_pt
    return (f"page {image.page}: {image.name.lstrip('/')} {image.pixels[0]}x{image.pixels[1]} px "
            f"placed at {_number(width)}x{_number(height)} pt -> {round(image.ppi)} ppi")


def _check_image_resolution(inventory: Inventory, edition: str) -> Check:
    images = sorted(inventory.images, key=lambda image: image.ppi)
    if not images:
        return Check("image-resolution", "pass" if edition == "print" else "info", "no images")
    # Rounded so that 150 px at exactly half an inch counts as the 300 ppi it is.
    errors = [image for image in images if round(image.ppi, 1) < PRINT_MIN_PPI]
    warnings = [image for image in images if PRINT_MIN_PPI <= round(image.ppi, 1) < PRINT_GOOD_PPI]
    lowest = images[0]
    summary = f"{len(images)} image placement(s), lowest {round(lowest.ppi)} ppi"
    if edition != "print":
        return Check("image-resolution", "info",
                     summary + " (screen edition: for information)\n"
                     + _limit([_placement_text(image) for image in images]))
    if errors:
        return Check("image-resolution", "fail",
                     f"{summary}; below {PRINT_MIN_PPI} ppi at placed size:\n"
                     + _limit([_placement_text(image) for image in errors]))
    if warnings:
        return Check("image-resolution", "warn",
                     f"{summary}; below {PRINT_GOOD_PPI} ppi at placed size:\n"
                     + _limit([_placement_text(image) for image in warnings]))
    return Check("image-resolution", "pass", summary + "\n" + _placement_text(lowest))


# ------------------------------------------------------------------ annotations, encryption


ALLOWED_PRINT_ANNOTATIONS = {"/PrinterMark", "/TrapNet"}  # ISO 15930-7 §6.7 permits these


def _check_annotations(document: pikepdf.Pdf, edition: str) -> Check:
    found: dict[str, list[int]] = defaultdict(list)
    for number, page in enumerate(document.pages, start=1):
        for annotation in page.obj.get("/Annots", []):
            subtype = str(annotation.get("/Subtype", "/?"))
            if edition == "print" and subtype in ALLOWED_PRINT_ANNOTATIONS:
                continue
            found[_annotation_label(annotation, subtype)].append(number)
    if not found:
        return Check("annotations", "pass", "no annotations")
    lines = [f"{_page_ranges(pages)}: {len(pages)} x {label}" for label, pages in found.items()]
    if edition == "print":
        return Check("annotations", "fail",
                     "annotations (links) are not allowed in the print file:\n" + _limit(lines))
    return Check("annotations", "info", "links and annotations kept for the screen:\n" + _limit(lines))


def _annotation_label(annotation: pikepdf.Object, subtype: str) -> str:
    action = annotation.get("/A")
    if subtype == "/Link" and action is not None and action.get("/URI") is not None:
        return f"Link to {action.URI}"
    return subtype.lstrip("/")


def _check_encryption(document: pikepdf.Pdf) -> Check:
    if document.is_encrypted:
        method = document.encryption
        return Check("encryption", "fail",
                     f"the file is encrypted ({method.stream_method.name}, {method.bits}-bit, R{method.R}); "
                     "save it without encryption")
    return Check("encryption", "pass", "not encrypted")


# ------------------------------------------------------------------ qpdf


def _check_qpdf(document: pikepdf.Pdf | None, edition: str) -> Check:
    """qpdf's own structural check (what ``qpdf --check`` runs), through pikepdf's
    libqpdf in this process: no second process, no second parse of the file."""
    if document is None:
        return Check("qpdf-check", "fail", "cannot check the structure of an encrypted file")
    repaired = [str(warning) for warning in document.get_warnings()]
    errors = document.check_pdf_syntax()
    if not errors and not repaired:
        return Check("qpdf-check", "pass", "qpdf: no syntax or stream encoding errors")
    status: Status = "warn" if not errors and edition != "print" else "fail"
    return Check("qpdf-check", status, "qpdf found problems (the file needed repair):\n"
                 + _limit(repaired + errors, 8))

# ------------------------------------------------------------------ text inside the trim


def _trim(page: pikepdf.Page) -> Rect:
    return page_box(page.obj, "/TrimBox") or page_box(page.obj, "/CropBox") or media_box(page)


def _check_text_inside_trim(context: Context) -> Check:
    trims = [_trim(page) for page in context.document.pages]
    outside: dict[int, list] = {}  # page -> [count, reach, first characters]
    read = 0
    try:
        for page in text_pages(context.pdf):
            if page.number > len(trims) or page.extent is None:
                continue
            read += 1
            trim = trims[page.number - 1]
            if _reach(page.extent, trim) <= TEXT_TOLERANCE_PT:
                continue  # all of the page's text is inside: no character can be out
            for box in page.boxes():
                reach = _reach(box.rect, trim)
                if reach > TEXT_TOLERANCE_PT:
                    found = outside.setdefault(box.page, [0, 0.0, ""])
                    found[0] += 1
                    found[1] = max(found[1], reach)
                    found[2] += box.char if len(found[2]) < 40 else ""
    except Exception as error:  # noqa: BLE001 - PDFium refuses some files qpdf repairs
        return Check("text-inside-trim", "warn", f"PDFium could not read the text ({error})")
    lines = [f"page {page}: {_count(count, 'character')} outside the trim "
             f"[{_components(trims[page - 1])}], up to {_number(reach)} pt beyond it: '{sample}'"
             for page, (count, reach, sample) in sorted(outside.items())]
    if lines:
        return Check("text-inside-trim", "fail", _limit(lines))
    return Check("text-inside-trim", "pass",
                 f"the text of {_count(read, 'page')} lies inside the trim")


def _reach(rect, trim) -> float:
    """How far `rect` reaches beyond `trim` at its farthest side (negative: inside)."""
    return max(trim[0] - rect[0], trim[1] - rect[1], rect[2] - trim[2], rect[3] - trim[3])


# ------------------------------------------------------------------ nearly blank images


def _uniform_share(picture: Image.Image) -> float:
    """Share of the pixels within UNIFORM_LEVELS of the commonest value, worst band."""
    picture = picture.copy()
    picture.thumbnail((256, 256))
    if picture.mode not in ("L", "RGB", "CMYK"):
        picture = picture.convert("RGB")
    pixels = picture.width * picture.height
    shares = []
    for band in picture.split():
        histogram = band.histogram()
        peak = max(range(256), key=histogram.__getitem__)
        window = histogram[max(0, peak - UNIFORM_LEVELS):peak + UNIFORM_LEVELS + 1]
        shares.append(sum(window) / pixels)
    return min(shares)


def _check_blank_images(context: Context) -> Check:
    placements: dict[tuple[int, int], list[ImagePlacement]] = defaultdict(list)
    for placement in context.inventory.images:
        if placement.key is not None:
            placements[placement.key].append(placement)
    lines: list[str] = []
    measured = 0
    for key, placed in placements.items():
        image, _ = context.inventory.image_objects.get(key, (None, None))
        width, height = placed[0].pixels
        if image is None or width * height < MIN_BLANK_CHECK_PIXELS:
            continue
        picture = image_picture(image)
        if picture is None:
            continue
        measured += 1
        share = _uniform_share(picture)
        if share >= UNIFORM_SHARE:
            first = placed[0]
            pages = _page_ranges(p.page for p in placed)
            lines.append(f"{pages}: {first.name.lstrip('/')} {width}x{height} px placed at "
                         f"{_number(first.placed_pt[0])}x{_number(first.placed_pt[1])} pt is "
                         f"{round(share * 100, 1):g}% one colour")
    if lines:
        return Check("images-not-blank", "warn",
                     "nearly uniform images (blank, or lost in conversion?):\n" + _limit(lines))
    return Check("images-not-blank", "pass",
                 f"{_count(measured, 'image')} measured, none nearly uniform")


# ------------------------------------------------------------------ overprint


def _check_overprint(context: Context) -> Check:
    from renderer.verify.preflight.overprint import page_overprint

    pages = [page_overprint(page, number)
             for number, page in enumerate(context.document.pages, start=1)]
    on_tint = [p for p in pages if p.k_text_knocks_out_on_tint]
    white = [p for p in pages if p.white_overprints]
    overprinting = sum(p.k_text_overprints for p in pages)
    on_paper = sum(p.k_text_knocks_out_on_paper for p in pages)
    summary = (f"100% K text shows: {overprinting} overprint, "
               f"{sum(p.k_text_knocks_out_on_tint for p in pages)} knock out on a tint, "
               f"{on_paper} knock out on paper (harmless)")
    lines = [f"page {p.page}: {_count(p.k_text_knocks_out_on_tint, 'K-only text show')} on a "
             f"tint knock out (no /OP /op true with /OPM 1), the first at "
             f"{_number(p.first_knockout[0])}, {_number(p.first_knockout[1])} pt"
             for p in on_tint]
    lines += [f"page {p.page}: {_count(p.white_overprints, 'white paint')} set to overprint "
              "(white that overprints disappears)" for p in white]
    if lines:
        return Check("overprint", "fail", summary + "\n" + _limit(lines))
    return Check("overprint", "pass", summary)


# ------------------------------------------------------------------ measured by Ghostscript


def _rendered(context: Context):
    """The print file's one Ghostscript render (renderer.verify.ghostscript.measure),
    shared by the rules that read it."""
    from renderer.verify.ghostscript import measure

    if "rendered" not in context.measurements:
        measured = measure(context.pdf, limit=context.ink_limit)
        context.measurements.update(rendered=measured, plates=measured.plates,
                                    areas=measured.areas)
    return context.measurements["rendered"]


def _check_ink_plates(context: Context) -> Check:
    lines = [f"page {p.page}: C {p.c:.2f}%  M {p.m:.2f}%  Y {p.y:.2f}%  K {p.k:.2f}%"
             for p in _rendered(context).plates]
    return Check("ink-plates", "info", "mean ink per plate over the trimmed page "
                 "(Ghostscript's CMYK render):\n" + _limit(lines, 64))


def _check_ink_measured(context: Context) -> Check:
    from renderer.verify.ghostscript import MEASURE_PPI

    areas = _rendered(context).areas
    over = [a for a in areas if a.over_pixels]
    highest = max(areas, key=lambda a: a.peak) if areas else None
    summary = (f"rendered at {MEASURE_PPI} ppi, images and overprint included: highest "
               f"{_number(highest.peak) if highest else 0}% "
               f"(page {highest.page if highest else '-'}), limit {context.ink_limit}%")
    if over:
        lines = [f"page {a.page}: {_number(a.over_area_mm2)} mm² above {context.ink_limit}% "
                 f"(up to {_number(a.peak)}%) in the area x {a.over_box_mm[0]:g}-"
                 f"{a.over_box_mm[2]:g} mm, y {a.over_box_mm[1]:g}-{a.over_box_mm[3]:g} mm "
                 "from the trim's top left" for a in over]
        return Check("ink-measured", "fail", summary + "\n" + _limit(lines))
    return Check("ink-measured", "pass", summary)


def _check_ghostscript_render(context: Context) -> Check:
    from renderer.verify.ghostscript import render_problems

    problems = (_rendered(context).problems if context.edition == "print"
                else render_problems(context.pdf))
    if problems:
        return Check("ghostscript-render", "fail",
                     "Ghostscript warned while rendering (warnings are failures):\n"
                     + _limit(problems, 8))
    return Check("ghostscript-render", "pass",
                 f"Ghostscript rendered {_count(len(context.document.pages), 'page')} "
                 "with no warning (-dPDFSTOPONWARNING)")


def _check_qpdf_command(context: Context) -> Check:
    from renderer.verify.ghostscript import qpdf_problems

    problems = qpdf_problems(context.pdf)
    if problems:
        return Check("qpdf-command", "fail", "qpdf --check:\n" + _limit(problems, 8))
    return Check("qpdf-command", "pass", "qpdf --check (its own process): no errors or warnings")


def _measuring(context: Context) -> bool:
    return context.measure


# ------------------------------------------------------------------ the table

PRINT = ("print",)

RULES: tuple[Rule, ...] = (
    Rule("pdfx-version", "the file claims PDF/X (GTS_PDFXVersion in XMP or Info)",
         "ISO 15930-7:2010 §6.2", "Render with pdf_variant='pdf/x-4'.",
         lambda c: _check_pdfx_version(c.document), PRINT),
    Rule("output-intent", "a GTS_PDFX output intent with an embedded CMYK profile",
         "ISO 15930-7:2010 §6.2.4; ICC.1:2010 §7.2.6",
         "Declare the CMYK profile with @color-profile device-cmyk.",
         lambda c: _check_output_intent(c.document), PRINT),
    Rule("trapped", "/Trapped is True or False, the same in Info and XMP",
         "ISO 15930-7:2010 §6.2; ISO 32000-1 §14.11.6", "Set /Trapped to False.",
         lambda c: _check_trapped(c.document), PRINT),
    Rule("page-boxes", "every page has TrimBox and BleedBox, bleed as asked, inside the MediaBox",
         "ISO 32000-1 §14.11.2; ISO 15930-7:2010 §6.3", "Set @page bleed (3 mm) and marks.",
         lambda c: _check_page_boxes(c.document, c.bleed_mm), PRINT),
    Rule("page-size", "the trim size is the expected page size", "ISO 216; ISO 32000-1 §14.11.2",
         "Set the manifest's page size, or pass the right --page-size.",
         lambda c: _check_page_size(c.document, c.page_size)),
    Rule("text-inside-trim", "no character is drawn outside the trim box (or the page)",
         "ISO 32000-1 §14.11.2 (TrimBox); print-shop practice: text stays inside the trim",
         "A word or URL too long for its column runs off the page: let it wrap "
         "(overflow-wrap: anywhere) or shorten it.",
         _check_text_inside_trim),
    Rule("fonts-embedded", "every font used is embedded",
         "ISO 15930-7:2010 §6.3.5; ISO 32000-1 §9.9", "Embed the fonts (no font by name only).",
         lambda c: _check_fonts_embedded(c.inventory)),
    Rule("no-type3-fonts", "no Type 3 fonts (RIPs may rasterise them badly)",
         "ISO 32000-1 §9.6.5; print-shop practice", "Use an OpenType or TrueType font.",
         lambda c: _check_no_type3(c.inventory, c.edition)),
    Rule("colour-spaces", "nothing inside the trim in DeviceRGB",
         "ISO 15930-7:2010 §6.2.4.3; ISO 32000-1 §8.6", "Convert colours and images to CMYK.",
         lambda c: _check_colour_spaces(c.inventory), PRINT),
    Rule("printer-marks", "what is drawn only outside the trim (crop marks)",
         "ISO 15930-7:2010 §6.7", "Draw printer marks in CMYK registration.",
         lambda c: _check_printer_marks(c.inventory), PRINT),
    Rule("text-colour", "all text is 100 % K (or grey 0)", "ISO 12647-2 practice: body text in K only",
         "Set text colour to device-cmyk(0 0 0 1).",
         lambda c: _check_text_colour(c.inventory), PRINT),
    Rule("ink-coverage", "total area coverage of vector colours and CMYK images within the limit",
         "ISO 12647-2 / FOGRA39 (300-340 % sheetfed coated)",
         "Reduce the ink of the colour or image (GCR), or raise print.ink_limit.",
         lambda c: _check_ink_coverage(c.inventory, c.ink_limit), PRINT),
    Rule("content-streams", "every page's content, forms and patterns could be read",
         "ISO 32000-1 §7.8", "Render the file again.",
         lambda c: _check_content_streams(c.inventory)),
    Rule("image-resolution", f"images have at least {PRINT_GOOD_PPI} ppi at placed size "
         f"(below {PRINT_MIN_PPI}: an error)", "print-shop practice (sheetfed 300 ppi); ISO 32000-1 §8.9.4",
         "Use a larger image or place it smaller.",
         lambda c: _check_image_resolution(c.inventory, c.edition)),
    Rule("images-not-blank", "no placed image is nearly one colour (blank or lost in conversion)",
         "ISO 32000-1 §8.9 (the samples as drawn)",
         "Compare the image in the PDF with its source; convert the figure again.",
         _check_blank_images),
    Rule("annotations", "no annotations (links) in print", "ISO 15930-7:2010 §6.7",
         "Print editions carry no links; remove the annotations.",
         lambda c: _check_annotations(c.document, c.edition)),
    Rule("encryption", "the file is not encrypted", "ISO 15930-7:2010 §6.1.2",
         "Save the file without encryption.", lambda c: _check_encryption(c.document)),
    Rule("page-count", "the page count is a multiple of the binding's", "saddle stitching: sheets of 4",
         "Add blank pages (binding: saddle-stitch pads them).",
         lambda c: _check_page_count(c.document, c.page_multiple),
         when=lambda c: c.page_multiple is not None),
    Rule("qpdf-check", "qpdf finds no syntax or stream encoding errors", "ISO 32000-1 §7",
         "Render the file again; a repaired file may print differently.",
         lambda c: _check_qpdf(c.document, c.edition)),
    Rule("overprint", "100 % K text on a tint overprints (/OP /op true, /OPM 1); white never does",
         "ISO 32000-1 §8.6.7, §11.7.4; print-shop practice (black overprint)",
         "Set an ExtGState with /OP true /op true /OPM 1 before K-only text (the press's "
         "finishing pass does), and never overprint white.",
         _check_overprint, PRINT),
    Rule("ink-plates", "mean ink per plate (C, M, Y, K) of every page, measured by a renderer",
         "ISO 12647-2 (process plates); a CMYK render by Ghostscript", "For information.",
         _check_ink_plates, PRINT, when=_measuring),
    Rule("ink-measured", "total area coverage of every rendered pixel, images included, "
         "within the limit", "ISO 12647-2 / FOGRA39 (300-340 % sheetfed coated)",
         "Reduce the ink where named (GCR on the image, a lighter colour), or raise "
         "print.ink_limit with the print shop's agreement.",
         _check_ink_measured, PRINT, when=_measuring),
    Rule("ghostscript-render", "an independent renderer reads every page with no warning",
         "ISO 32000-1; Ghostscript -dPDFSTOPONWARNING", "Render the file again; report a bug.",
         _check_ghostscript_render, when=_measuring),
    Rule("qpdf-command", "qpdf --check, run as its own process, reports nothing",
         "ISO 32000-1 §7", "Render the file again; report a bug.",
         _check_qpdf_command, when=_measuring),
)
RULES_BY_NAME = {rule.name: rule for rule in RULES}


def run_rules(context: Context) -> list[Check]:
    return [rule.run(context) for rule in RULES
            if context.edition in rule.editions and rule.when(context)]
