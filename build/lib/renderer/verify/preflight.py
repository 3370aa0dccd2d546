"""Prepress preflight: read a finished PDF back and judge it against print-shop rules.

Transformation: PDF file -> ``PreflightReport`` (one ``Check`` per rule, each with
the evidence it was judged on). Nothing is changed in the file.

Rules and the texts they come from:

* PDF/X identification, output intent and ``/Trapped``: ISO 15930-7:2010
  (PDF/X-4) §6.2 (GTS_PDFXVersion, in XMP for X-4; Info for X-1a/X-3), §6.2.4
  (``/OutputIntents``, ``/S /GTS_PDFX``, embedded ``DestOutputProfile``,
  ``OutputConditionIdentifier``); the ICC profile header colour space is at
  bytes 16..19 (ICC.1:2010 §7.2.6).
* Page boxes: ISO 32000-1 §14.11.2 (MediaBox ⊇ BleedBox ⊇ TrimBox); bleed and
  the other print-shop figures are in shared/notes/print-email-cjk.md (3 mm
  bleed, 300 ppi, body text 100 % K, total area coverage limits, all fonts
  embedded, no Type 3, no annotations, no encryption).
* Fonts: ISO 32000-1 §9.9 (FontFile/FontFile2/FontFile3 on the descriptor;
  for Type0 on the descendant CIDFont), §9.6.5 (Type 3).
* Colour and images: the content streams are interpreted (ISO 32000-1 §8.2
  graphics state, q/Q, cm; §8.6 colour spaces and operators; §8.7 patterns,
  painted in the pattern's own space; §8.9 images, the unit square mapped by the
  CTM at ``Do``; §8.10 form XObjects; §9.4 text objects and render modes).

The email edition gets the lighter subset: fonts, encryption, structure, page
size and count; image resolution and links are reported for information only.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pikepdf

from renderer.errors import PressError

if TYPE_CHECKING:
    from PIL import Image

Status = Literal["pass", "warn", "fail", "info"]
Matrix = tuple[float, float, float, float, float, float]
Rect = tuple[float, float, float, float]

EDITIONS = ("print", "email")
POINTS_PER_INCH = 72.0
POINTS_PER_MM = POINTS_PER_INCH / 25.4
# Trim sizes in points, portrait (ISO 216 A4; US Letter 8.5 x 11 in).
PAGE_SIZES_PT: dict[str, tuple[float, float]] = {
    "A4": (210 * POINTS_PER_MM, 297 * POINTS_PER_MM),
    "LETTER": (8.5 * POINTS_PER_INCH, 11 * POINTS_PER_INCH),
}
BOX_TOLERANCE_PT = 0.5
MIN_PPI = 200  # below this an image prints visibly soft: error
GOOD_PPI = 300  # sheetfed norm at placed size: below it, a warning
COLOUR_TOLERANCE = 0.005  # half a percent of ink: what PDF writers round away
EVIDENCE_LINES = 12  # longer evidence is cut with "... and N more"
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
MAX_NESTING = 16  # forms inside forms inside patterns: deeper is a malformed file
MAX_TAC_PIXELS = 4_000_000  # larger CMYK images are averaged down before measuring


# ------------------------------------------------------------------ report


@dataclass
class Check:
    """One rule, its verdict and the evidence the verdict rests on."""

    name: str
    status: Status
    evidence: str


@dataclass
class PreflightReport:
    """All checks of one file; ``ok`` when none failed."""

    pdf: Path
    edition: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(check.status == "fail" for check in self.checks)

    def check(self, name: str) -> Check:
        """The check called ``name`` (KeyError when it was not run)."""
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)

    def to_text(self) -> str:
        counts = Counter(check.status for check in self.checks)
        verdict = "PASS" if self.ok else "FAIL"
        lines = [
            f"preflight {self.pdf} ({self.edition} edition): {verdict}"
            f" - {counts['fail']} failed, {counts['warn']} warnings, {counts['pass']} passed"
        ]
        for check in self.checks:
            lines.append(f"{check.status.upper():<5} {check.name}")
            lines.extend(f"      {line}" for line in check.evidence.splitlines())
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(
            {
                "pdf": str(self.pdf),
                "edition": self.edition,
                "ok": self.ok,
                "checks": [asdict(check) for check in self.checks],
            },
            ensure_ascii=False,
            indent=2,
        )


# ------------------------------------------------------------------ entry point


def preflight(
    pdf: Path,
    *,
    edition: str = "print",
    page_size: str | None = None,
    bleed_mm: float = 3.0,
    ink_limit: int = 300,
    page_multiple: int | None = None,
) -> PreflightReport:
    """Read ``pdf`` back and check it for the given edition ("print" or "email")."""
    pdf = Path(pdf)
    _validate_arguments(edition, page_size, bleed_mm, ink_limit, page_multiple)
    _require_pdf_file(pdf)
    report = PreflightReport(pdf=pdf, edition=edition)
    try:
        document = pikepdf.open(pdf)
    except pikepdf.PasswordError:
        report.checks.append(Check("encryption", "fail", "the file needs a password to open"))
        report.checks.append(_check_qpdf(None, edition))
        return report
    except pikepdf.PdfError as error:
        raise PressError(
            f"is not a readable PDF ({error}).", file=pdf,
            fix="Render it again; preflight reads finished PDF files only.",
        ) from error
    with document:
        inventory = _take_inventory(document)
        report.checks.extend(_run_checks(document, inventory, edition, page_size, bleed_mm,
                                         ink_limit, page_multiple))
        report.checks.append(_check_qpdf(document, edition))
    return report


def _run_checks(
    document: pikepdf.Pdf, inventory: _Inventory, edition: str, page_size: str | None,
    bleed_mm: float, ink_limit: int, page_multiple: int | None,
) -> Iterator[Check]:
    printing = edition == "print"
    if printing:
        yield _check_pdfx_version(document)
        yield _check_output_intent(document)
        yield _check_trapped(document)
        yield _check_page_boxes(document, bleed_mm)
    yield _check_page_size(document, page_size)
    yield _check_fonts_embedded(inventory)
    yield _check_no_type3(inventory, edition)
    if printing:
        yield _check_colour_spaces(inventory)
        yield _check_printer_marks(inventory)
        yield _check_text_colour(inventory)
        yield _check_ink_coverage(inventory, ink_limit)
    yield _check_content_streams(inventory)
    yield _check_image_resolution(inventory, edition)
    yield _check_annotations(document, edition)
    yield _check_encryption(document)
    if page_multiple is not None:
        yield _check_page_count(document, page_multiple)


def _validate_arguments(edition: str, page_size: str | None, bleed_mm: float, ink_limit: int,
                        page_multiple: int | None) -> None:
    if edition not in EDITIONS:
        raise PressError(f"unknown edition '{edition}'.", field="edition",
                         fix="Use 'print' or 'email'.")
    if page_size is not None and page_size.upper() not in PAGE_SIZES_PT:
        raise PressError(f"unknown page size '{page_size}'.", field="page_size",
                         fix="Use A4 or Letter.")
    if not 0 <= bleed_mm <= 20:
        raise PressError(f"bleed of {bleed_mm} mm is out of range.", field="bleed_mm",
                         fix="Use a bleed between 0 and 20 mm (3 mm is the norm).")
    if not 100 <= ink_limit <= 400:
        raise PressError(f"ink limit of {ink_limit}% is out of range.", field="ink_limit",
                         fix="Use a total area coverage between 100 and 400 percent.")
    if page_multiple is not None and page_multiple < 1:
        raise PressError(f"page multiple {page_multiple} must be a positive number.",
                         field="page_multiple", fix="Use 4 for saddle stitching, or leave it out.")


def _require_pdf_file(pdf: Path) -> None:
    if not pdf.is_file():
        raise PressError("does not exist or is not a file.", file=pdf,
                         fix="Give the path of a rendered PDF.")
    with pdf.open("rb") as handle:
        start = handle.read(1024)
    # ISO 32000-1 §7.5.2: the header; readers tolerate junk before it, so look
    # in the first kilobyte like they do.
    if b"%PDF-" not in start:
        raise PressError("is not a PDF file (no %PDF- header in its first kilobyte).", file=pdf,
                         fix="Give the path of a rendered PDF.")


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


# ------------------------------------------------------------------ geometry


def _multiply(first: Matrix, then: Matrix) -> Matrix:
    """Matrix product first x then (PDF row-vector convention, ISO 32000-1 §8.3.4)."""
    a, b, c, d, e, f = first
    A, B, C, D, E, F = then
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
            e * A + f * C + E, e * B + f * D + F)


def _transform(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return (x * a + y * c + e, x * b + y * d + f)


def _bounds(points: Iterable[tuple[float, float]]) -> Rect | None:
    xs, ys = [], []
    for x, y in points:
        xs.append(x)
        ys.append(y)
    if not xs:
        return None
    return (min(xs), min(ys), max(xs), max(ys))


def _overlaps(inner: Rect, outer: Rect) -> bool:
    """True when the two rectangles share some area (touching edges do not count)."""
    epsilon = 0.01
    return (inner[0] < outer[2] - epsilon and inner[2] > outer[0] + epsilon
            and inner[1] < outer[3] - epsilon and inner[3] > outer[1] + epsilon)


def _box(page: pikepdf.Dictionary, key: str) -> Rect | None:
    """A page box, normalised to (x0, y0, x1, y1); None when the page lacks it."""
    value = page.get(key)
    if value is None:
        return None
    x0, y0, x1, y1 = (float(v) for v in value)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _media_box(page: pikepdf.Page) -> Rect:
    # MediaBox is inheritable from the page tree (ISO 32000-1 §7.7.3.4).
    x0, y0, x1, y1 = (float(v) for v in page.mediabox)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _size(rect: Rect) -> tuple[float, float]:
    return (rect[2] - rect[0], rect[3] - rect[1])


# ------------------------------------------------------------------ colour spaces


@dataclass(frozen=True)
class Space:
    """A colour space reduced to what preflight needs.

    kind is one of: rgb-device (DeviceRGB, also under Indexed), rgb-calibrated
    (ICC RGB, CalRGB), cmyk (DeviceCMYK, ICC with 4 components), gray, lab,
    spot (Separation, DeviceN), pattern, other.
    """

    label: str
    kind: str
    components: int


DEVICE_SPACES = {
    "/DeviceRGB": Space("DeviceRGB", "rgb-device", 3),
    "/RGB": Space("DeviceRGB", "rgb-device", 3),
    "/DeviceCMYK": Space("DeviceCMYK", "cmyk", 4),
    "/CMYK": Space("DeviceCMYK", "cmyk", 4),
    "/DeviceGray": Space("DeviceGray", "gray", 1),
    "/G": Space("DeviceGray", "gray", 1),
    "/Pattern": Space("Pattern", "pattern", 0),
}
UNKNOWN_SPACE = Space("unknown", "other", 0)


def _icc_colour_space(stream: pikepdf.Object) -> str:
    """The data colour space signature of an ICC profile (ICC.1 header bytes 16..19)."""
    try:
        header = stream.read_bytes()[:20]
    except pikepdf.PdfError:
        return ""
    return header[16:20].decode("latin-1").strip() if len(header) >= 20 else ""


class _SpaceResolver:
    """Classifies colour space objects, caching the ICC profiles it has read."""

    def __init__(self) -> None:
        self._icc: dict[tuple[int, int], Space] = {}

    def resolve(self, value: pikepdf.Object | None, resources: pikepdf.Object | None,
                depth: int = 0) -> Space:
        if value is None or depth > 4:
            return UNKNOWN_SPACE
        if isinstance(value, pikepdf.Name):
            name = str(value)
            if name in DEVICE_SPACES:
                return DEVICE_SPACES[name]
            named = _resource(resources, "/ColorSpace", name)
            if named is None:
                return Space(f"undefined {name}", "other", 0)
            return self.resolve(named, resources, depth + 1)
        if isinstance(value, pikepdf.Array) and len(value) > 0:
            return self._resolve_array(value, resources, depth)
        return UNKNOWN_SPACE

    def _resolve_array(self, value: pikepdf.Array, resources: pikepdf.Object | None,
                       depth: int) -> Space:
        family = str(value[0])
        if len(value) == 1:
            return self.resolve(value[0], resources, depth + 1)
        if family == "/ICCBased":
            return self._icc_based(value[1])
        if family == "/CalRGB":
            return Space("CalRGB", "rgb-calibrated", 3)
        if family == "/CalGray":
            return Space("CalGray", "gray", 1)
        if family == "/Lab":
            return Space("Lab", "lab", 3)
        if family in ("/Indexed", "/I"):
            base = self.resolve(value[1], resources, depth + 1)
            return Space(f"Indexed {base.label}", base.kind, 1)
        if family == "/Separation":
            alternate = self.resolve(value[2], resources, depth + 1) if len(value) > 2 else UNKNOWN_SPACE
            return Space(f"Separation {value[1]} (alternate {alternate.label})", "spot", 1)
        if family == "/DeviceN":
            names = " ".join(str(n) for n in value[1])
            return Space(f"DeviceN [{names}]", "spot", len(value[1]))
        if family == "/Pattern":
            return Space("Pattern", "pattern", 0)
        return Space(family.lstrip("/"), "other", 0)

    def _icc_based(self, stream: pikepdf.Object) -> Space:
        key = stream.objgen
        if key in self._icc and key != (0, 0):
            return self._icc[key]
        components = int(stream.get("/N", 0))
        signature = _icc_colour_space(stream)
        kind = {1: "gray", 3: "rgb-calibrated", 4: "cmyk"}.get(components, "other")
        if signature == "Lab":
            kind = "lab"
        space = Space(f"ICCBased {signature or '?'} (N={components})", kind, components)
        self._icc[key] = space
        return space


def _resource(resources: pikepdf.Object | None, category: str, name: str) -> pikepdf.Object | None:
    if resources is None:
        return None
    group = resources.get(category)
    if group is None:
        return None
    return group.get(name)


# ------------------------------------------------------------------ inventory


@dataclass(frozen=True)
class ColourUse:
    page: int
    usage: str  # text, fill, stroke, image, shading, blend
    space: Space
    values: tuple[float, ...]  # empty when the colour is not one value (images, shadings)
    outside_trim: bool  # drawn entirely outside the TrimBox: printer marks, trimmed off


@dataclass(frozen=True)
class ImagePlacement:
    page: int
    name: str
    pixels: tuple[int, int]
    placed_pt: tuple[float, float]
    space: Space

    @property
    def ppi(self) -> float:
        """Effective resolution: the lower of the two axes, pixels per placed inch."""
        width_in = self.placed_pt[0] / POINTS_PER_INCH
        height_in = self.placed_pt[1] / POINTS_PER_INCH
        return min(self.pixels[0] / width_in, self.pixels[1] / height_in)


@dataclass
class FontUse:
    name: str
    subtype: str
    embedded: bool
    embedding: str  # which FontFile key, or why none
    pages: set[int] = field(default_factory=set)


@dataclass
class _Inventory:
    """What the content streams of all pages draw."""

    colours: Counter[ColourUse] = field(default_factory=Counter)
    images: list[ImagePlacement] = field(default_factory=list)
    image_objects: dict[tuple[int, int], tuple[pikepdf.Object, Space]] = field(default_factory=dict)
    image_pages: dict[tuple[int, int], set[int]] = field(default_factory=lambda: defaultdict(set))
    fonts: dict[tuple[int, int] | int, FontUse] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _take_inventory(document: pikepdf.Pdf) -> _Inventory:
    inventory = _Inventory()
    resolver = _SpaceResolver()
    for number, page in enumerate(document.pages, start=1):
        media = _media_box(page)
        trim = _box(page.obj, "/TrimBox") or media
        user_unit = float(page.obj.get("/UserUnit", 1.0))
        walker = _ContentWalker(inventory, resolver, number, trim, user_unit)
        walker.record_group(page.obj, page.obj.get("/Resources"))
        try:
            walker.walk(page, page.obj.get("/Resources"), IDENTITY, IDENTITY, 0)
        except pikepdf.PdfError as error:
            inventory.problems.append(f"page {number}: content stream unreadable ({error})")
    return inventory


FILL_MODES = {0, 2, 4, 6}  # text render modes that fill (ISO 32000-1 table 106)
STROKE_MODES = {1, 2, 5, 6}
PATH_POINTS = {"m": 1, "l": 1, "c": 3, "v": 2, "y": 2}
FILL_PAINTS = {"f", "F", "f*", "B", "B*", "b", "b*"}
STROKE_PAINTS = {"S", "s", "B", "B*", "b", "b*"}
TEXT_SHOWS = {"Tj", "TJ", "'", '"'}


@dataclass
class _Colour:
    space: Space
    values: tuple[float, ...]
    pattern: str | None = None


def _initial_colour(space: Space) -> _Colour:
    # ISO 32000-1 §8.6.5: the initial colour after cs is black for device spaces
    # (0 0 0 1 in DeviceCMYK) and all-zero components otherwise.
    if space.kind == "cmyk" and space.label == "DeviceCMYK":
        return _Colour(space, (0.0, 0.0, 0.0, 1.0))
    return _Colour(space, tuple(0.0 for _ in range(space.components)))


@dataclass
class _State:
    ctm: Matrix
    fill: _Colour
    stroke: _Colour
    render_mode: int = 0

    def copy(self) -> _State:
        return _State(self.ctm, self.fill, self.stroke, self.render_mode)


class _ContentWalker:
    """Interprets one page's content (and the forms and patterns it uses).

    Only the operators that decide colour, placement and fonts are followed;
    everything else is skipped, which is safe because none of it changes them.
    """

    def __init__(self, inventory: _Inventory, resolver: _SpaceResolver, page: int, trim: Rect,
                 user_unit: float) -> None:
        self.inventory = inventory
        self.resolver = resolver
        self.page = page
        self.trim = trim
        self.user_unit = user_unit
        self.active: list[tuple[int, int]] = []  # forms being walked: breaks reference cycles
        self.walked_patterns: set[tuple[int, int]] = set()

    # -- recording

    def record_colour(self, usage: str, colour: _Colour, bounds: Rect | None) -> None:
        outside = bounds is not None and not _overlaps(bounds, self.trim)
        self.inventory.colours[ColourUse(self.page, usage, colour.space, colour.values, outside)] += 1

    def record_group(self, owner: pikepdf.Object, resources: pikepdf.Object | None) -> None:
        """A transparency group's blending colour space (ISO 32000-1 §11.6.6)."""
        group = owner.get("/Group")
        if group is not None and group.get("/CS") is not None:
            space = self.resolver.resolve(group.CS, resources)
            self.inventory.colours[ColourUse(self.page, "blend", space, (), False)] += 1

    # -- walking

    def walk(self, source: pikepdf.Object | pikepdf.Page, resources: pikepdf.Object | None,
             ctm: Matrix, base: Matrix, depth: int) -> None:
        """Interpret ``source``; ``base`` maps its default space to the page (for patterns)."""
        black = _initial_colour(DEVICE_SPACES["/DeviceGray"])
        state = _State(ctm, black, black)
        stack: list[_State] = []
        path: list[tuple[float, float]] = []
        for instruction in pikepdf.parse_content_stream(source):
            operator = str(instruction.operator)
            operands = instruction.operands
            if operator == "q":
                stack.append(state.copy())
            elif operator == "Q":
                if stack:
                    state = stack.pop()
            elif operator == "cm" and len(operands) == 6:
                state.ctm = _multiply(tuple(float(v) for v in operands), state.ctm)
            elif operator in PATH_POINTS or operator == "re":
                path.extend(self._path_points(operator, operands, state.ctm))
            elif operator in FILL_PAINTS or operator in STROKE_PAINTS or operator == "n":
                self._paint(operator, path, state, resources, base, depth)
                path = []
            elif operator in {"cs", "CS", "sc", "scn", "SC", "SCN", "g", "G", "rg", "RG", "k", "K"}:
                self._set_colour(operator, operands, state, resources)
            elif operator == "Tr" and operands:
                state.render_mode = int(operands[0])
            elif operator == "Tf" and operands:
                self._use_font(str(operands[0]), resources)
            elif operator in TEXT_SHOWS:
                self._show_text(state, resources, base, depth)
            elif operator == "Do" and operands:
                self._do(str(operands[0]), state, resources, depth)
            elif operator == "sh" and operands:
                self._shading(_resource(resources, "/Shading", str(operands[0])), resources)
            elif operator == "INLINE IMAGE":
                self._inline_image(operands[0], state, resources)

    def _path_points(self, operator: str, operands: list, ctm: Matrix) -> list[tuple[float, float]]:
        numbers = [float(v) for v in operands]
        if operator == "re" and len(numbers) == 4:
            x, y, width, height = numbers
            corners = [(x, y), (x + width, y), (x, y + height), (x + width, y + height)]
            return [_transform(ctm, px, py) for px, py in corners]
        pairs = zip(numbers[0::2], numbers[1::2])
        return [_transform(ctm, px, py) for px, py in pairs]

    def _paint(self, operator: str, path: list[tuple[float, float]], state: _State,
               resources: pikepdf.Object | None, base: Matrix, depth: int) -> None:
        bounds = _bounds(path)
        if operator in FILL_PAINTS:
            self.record_colour("fill", state.fill, bounds)
            self._pattern(state.fill, resources, base, depth)
        if operator in STROKE_PAINTS:
            self.record_colour("stroke", state.stroke, bounds)
            self._pattern(state.stroke, resources, base, depth)

    def _set_colour(self, operator: str, operands: list, state: _State,
                    resources: pikepdf.Object | None) -> None:
        stroke = operator.isupper()
        lowered = operator.lower()
        if lowered == "cs":
            space = self.resolver.resolve(operands[0] if operands else None, resources)
            colour = _initial_colour(space)
        elif lowered in ("g", "rg", "k"):
            space = DEVICE_SPACES[{"g": "/DeviceGray", "rg": "/DeviceRGB", "k": "/DeviceCMYK"}[lowered]]
            colour = _Colour(space, tuple(float(v) for v in operands))
        else:  # sc / scn: new values in the current space, maybe a pattern name last
            current = state.stroke if stroke else state.fill
            pattern = str(operands[-1]) if operands and isinstance(operands[-1], pikepdf.Name) else None
            values = tuple(float(v) for v in operands if not isinstance(v, pikepdf.Name))
            colour = _Colour(current.space, values, pattern)
        if stroke:
            state.stroke = colour
        else:
            state.fill = colour

    def _show_text(self, state: _State, resources: pikepdf.Object | None, base: Matrix,
                   depth: int) -> None:
        # Text position is not tracked: text counts as inside the trim, the strict choice.
        if state.render_mode in FILL_MODES:
            self.record_colour("text", state.fill, None)
            self._pattern(state.fill, resources, base, depth)
        if state.render_mode in STROKE_MODES:
            self.record_colour("text", state.stroke, None)
            self._pattern(state.stroke, resources, base, depth)

    def _use_font(self, name: str, resources: pikepdf.Object | None) -> None:
        font = _resource(resources, "/Font", name)
        if font is None:
            self.inventory.problems.append(f"page {self.page}: font {name} is used but not defined")
            return
        key = font.objgen if font.objgen != (0, 0) else id(font)
        use = self.inventory.fonts.get(key)
        if use is None:
            use = self.inventory.fonts[key] = _describe_font(font)
        use.pages.add(self.page)

    def _do(self, name: str, state: _State, resources: pikepdf.Object | None, depth: int) -> None:
        xobject = _resource(resources, "/XObject", name)
        if xobject is None:
            self.inventory.problems.append(f"page {self.page}: XObject {name} is used but not defined")
            return
        subtype = xobject.get("/Subtype")
        if subtype == "/Image":
            self._image(name, xobject, state, resources)
        elif subtype == "/Form":
            self._form(xobject, state, resources, depth)

    def _form(self, form: pikepdf.Object, state: _State, resources: pikepdf.Object | None,
              depth: int) -> None:
        key = form.objgen
        if depth >= MAX_NESTING or key in self.active:
            self.inventory.problems.append(f"page {self.page}: form XObjects nest too deep or in a cycle")
            return
        matrix = tuple(float(v) for v in form.get("/Matrix", IDENTITY))
        ctm = _multiply(matrix, state.ctm)
        # A form without its own resources uses its parent's (ISO 32000-1 §7.8.3).
        form_resources = form.get("/Resources", resources)
        self.record_group(form, form_resources)
        self.active.append(key)
        try:
            self.walk(form, form_resources, ctm, ctm, depth + 1)
        finally:
            self.active.pop()

    def _image(self, name: str, image: pikepdf.Object, state: _State,
               resources: pikepdf.Object | None) -> None:
        corners = [_transform(state.ctm, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]
        bounds = _bounds(corners)
        if image.get("/ImageMask", False):
            # A stencil mask paints the current fill colour through its 1-bit shape.
            self.record_colour("fill", state.fill, bounds)
            return
        space = self._image_space(image, resources)
        self.record_colour("image", _Colour(space, ()), bounds)
        self.inventory.image_objects.setdefault(image.objgen, (image, space))
        self.inventory.image_pages[image.objgen].add(self.page)
        self._placement(name, int(image.get("/Width", 0)), int(image.get("/Height", 0)), space,
                        state.ctm)

    def _image_space(self, image: pikepdf.Object, resources: pikepdf.Object | None) -> Space:
        if image.get("/ColorSpace") is None:
            # JPEG 2000 may carry its colour space inside the codestream.
            return Space("embedded in JPXDecode", "other", 0)
        return self.resolver.resolve(image.ColorSpace, resources)

    def _inline_image(self, inline: pikepdf.PdfInlineImage, state: _State,
                      resources: pikepdf.Object | None) -> None:
        corners = [_transform(state.ctm, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]
        bounds = _bounds(corners)
        dictionary = inline.obj
        if dictionary.get("/ImageMask", False):
            self.record_colour("fill", state.fill, bounds)
            return
        space = self.resolver.resolve(dictionary.get("/ColorSpace"), resources)
        self.record_colour("image", _Colour(space, ()), bounds)
        self._placement("inline image", int(dictionary.get("/Width", 0)),
                        int(dictionary.get("/Height", 0)), space, state.ctm)

    def _placement(self, name: str, width: int, height: int, space: Space, ctm: Matrix) -> None:
        # The image fills the unit square, so the CTM's column vectors are its
        # placed edges (ISO 32000-1 §8.9.4); UserUnit scales user space units.
        a, b, c, d, _, _ = ctm
        placed = (math.hypot(a, b) * self.user_unit, math.hypot(c, d) * self.user_unit)
        if width <= 0 or height <= 0 or min(placed) < 1e-6:
            return
        self.inventory.images.append(ImagePlacement(self.page, name, (width, height), placed, space))

    def _pattern(self, colour: _Colour, resources: pikepdf.Object | None, base: Matrix,
                 depth: int) -> None:
        if colour.space.kind != "pattern" or colour.pattern is None:
            return
        pattern = _resource(resources, "/Pattern", colour.pattern)
        if pattern is None or pattern.objgen in self.walked_patterns:
            return
        self.walked_patterns.add(pattern.objgen)
        # Pattern space is the pattern matrix applied to the default space of
        # the stream that paints with it, not to the current CTM (§8.7.2).
        matrix = _multiply(tuple(float(v) for v in pattern.get("/Matrix", IDENTITY)), base)
        if int(pattern.get("/PatternType", 0)) == 2:
            self._shading(pattern.get("/Shading"), resources)
        elif depth < MAX_NESTING:
            pattern_resources = pattern.get("/Resources", resources)
            self.walk(pattern, pattern_resources, matrix, matrix, depth + 1)

    def _shading(self, shading: pikepdf.Object | None, resources: pikepdf.Object | None) -> None:
        # Its extent is the clip, which is not tracked: counted as inside the trim.
        if shading is None:
            return
        space = self.resolver.resolve(shading.get("/ColorSpace"), resources)
        self.record_colour("shading", _Colour(space, ()), None)


def _describe_font(font: pikepdf.Object) -> FontUse:
    subtype = str(font.get("/Subtype", "/?")).lstrip("/")
    name = str(font.get("/BaseFont", font.get("/Name", "(unnamed)"))).lstrip("/")
    if subtype == "Type3":
        return FontUse(name, subtype, True, "glyphs drawn by content streams")
    holder = font
    if subtype == "Type0":
        descendants = font.get("/DescendantFonts")
        if not descendants:
            return FontUse(name, subtype, False, "no descendant font")
        holder = descendants[0]
        subtype = f"Type0/{str(holder.get('/Subtype', '/?')).lstrip('/')}"
    descriptor = holder.get("/FontDescriptor")
    if descriptor is None:
        return FontUse(name, subtype, False, "no font descriptor (referenced by name only)")
    for key in ("/FontFile", "/FontFile2", "/FontFile3"):
        if descriptor.get(key) is not None:
            return FontUse(name, subtype, True, key.lstrip("/"))
    return FontUse(name, subtype, False, "descriptor has no FontFile/FontFile2/FontFile3")


# ------------------------------------------------------------------ PDF/X identification


def _xmp_values(document: pikepdf.Pdf, local_name: str) -> list[str]:
    """Every value of an XMP property with this local name, element or attribute form."""
    metadata = document.Root.get("/Metadata")
    if metadata is None:
        return []
    from lxml import etree  # a pikepdf dependency

    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    try:
        root = etree.fromstring(metadata.read_bytes(), parser)
    except (etree.XMLSyntaxError, pikepdf.PdfError, ValueError):
        return []
    if root is None:
        return []
    values = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if etree.QName(element).localname == local_name and element.text:
            values.append(element.text.strip())
        for attribute, value in element.attrib.items():
            if etree.QName(attribute).localname == local_name:
                values.append(value.strip())
    return values


def _check_pdfx_version(document: pikepdf.Pdf) -> Check:
    found = [f"XMP: {value}" for value in _xmp_values(document, "GTS_PDFXVersion")]
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
        signature = _icc_colour_space(profile)
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
    found.extend(("XMP", _trapped_value(value)) for value in _xmp_values(document, "Trapped"))
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
    width, height = _size(_box(first.obj, "/TrimBox"))
    return Check("page-boxes", "pass",
                 f"{_count(len(document.pages), 'page')}: TrimBox {_number(width)} x {_number(height)} pt; "
                 f"BleedBox = TrimBox + {_number(bleed_pt)} pt ({_number(bleed_mm)} mm) each side; "
                 "MediaBox contains BleedBox")


def _page_box_problems(page: pikepdf.Page, bleed_pt: float) -> list[str]:
    trim = _box(page.obj, "/TrimBox")
    bleed = _box(page.obj, "/BleedBox")
    media = _media_box(page)
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
        trim = _box(page.obj, "/TrimBox") or _media_box(page)
        width, height = _size(trim)
        sizes[(round(width, 2), round(height, 2))].append(number)
    measured = [f"{_page_ranges(pages)}: {_number(w)} x {_number(h)} pt"
                for (w, h), pages in sizes.items()]
    if page_size is None:
        return Check("page-size", "info", "no expected size given; trim sizes:\n" + _limit(measured))
    expected = PAGE_SIZES_PT[page_size.upper()]
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


def _check_fonts_embedded(inventory: _Inventory) -> Check:
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


def _check_no_type3(inventory: _Inventory, edition: str) -> Check:
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


def _check_colour_spaces(inventory: _Inventory) -> Check:
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


def _check_printer_marks(inventory: _Inventory) -> Check:
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


def _check_text_colour(inventory: _Inventory) -> Check:
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


def _check_ink_coverage(inventory: _Inventory, ink_limit: int) -> Check:
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


def _image_coverage_lines(inventory: _Inventory, ink_limit: int) -> list[str]:
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

    try:
        picture = pikepdf.PdfImage(image).as_pil_image()
    except (pikepdf.PdfError, NotImplementedError, ValueError, OSError):
        return None
    if picture.mode != "CMYK":
        return None
    while picture.width * picture.height > MAX_TAC_PIXELS:
        picture = picture.reduce(2)
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


def _check_content_streams(inventory: _Inventory) -> Check:
    if inventory.problems:
        return Check("content-streams", "warn",
                     "parts of the content could not be checked:\n" + _limit(inventory.problems))
    return Check("content-streams", "pass", "every page's content, forms and patterns were read")


# ------------------------------------------------------------------ images


def _placement_text(image: ImagePlacement) -> str:
    width, height = image.placed_pt
    return (f"page {image.page}: {image.name.lstrip('/')} {image.pixels[0]}x{image.pixels[1]} px "
            f"placed at {_number(width)}x{_number(height)} pt -> {round(image.ppi)} ppi")


def _check_image_resolution(inventory: _Inventory, edition: str) -> Check:
    images = sorted(inventory.images, key=lambda image: image.ppi)
    if not images:
        return Check("image-resolution", "pass" if edition == "print" else "info", "no images")
    # Rounded so that 150 px at exactly half an inch counts as the 300 ppi it is.
    errors = [image for image in images if round(image.ppi, 1) < MIN_PPI]
    warnings = [image for image in images if MIN_PPI <= round(image.ppi, 1) < GOOD_PPI]
    lowest = images[0]
    summary = f"{len(images)} image placement(s), lowest {round(lowest.ppi)} ppi"
    if edition != "print":
        return Check("image-resolution", "info",
                     summary + " (screen edition: for information)\n"
                     + _limit([_placement_text(image) for image in images]))
    if errors:
        return Check("image-resolution", "fail",
                     f"{summary}; below {MIN_PPI} ppi at placed size:\n"
                     + _limit([_placement_text(image) for image in errors]))
    if warnings:
        return Check("image-resolution", "warn",
                     f"{summary}; below {GOOD_PPI} ppi at placed size:\n"
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
