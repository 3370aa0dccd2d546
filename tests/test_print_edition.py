"""Acceptance tests of project issue 4: a print edition that a print shop accepts.

The sample issue is built by the real `make-issue build` (the session's `sample_build`,
plus at most three more builds: a second build of the sample for reproducibility, a
saddle-stitched variant and a US Letter variant) and every claim is read back from
the written PDF with pikepdf, poppler (pdffonts, qpdf) and pypdfium2.

What the print shop asks for, and where the rule comes from:

* PDF/X-4 identification and output intent: ISO 15930-7:2010 §6.2 (GTS_PDFXVersion
  in the XMP metadata, /Trapped True or False), §6.2.4 (/OutputIntents with
  /S /GTS_PDFX, an embedded CMYK output profile and an OutputConditionIdentifier);
  the profile's class and colour space are read from its header (ICC.1:2010 §7.2.5,
  §7.2.6).
* Page boxes: ISO 32000-1 §14.11.2 (MediaBox ⊇ BleedBox ⊇ TrimBox); trim A4
  (ISO 216) or US Letter, 3 mm bleed, crop marks outside the bleed in 100 % K.
* Colour: body text 100 % K (DeviceCMYK 0 0 0 1), no DeviceRGB anywhere, figures
  CMYK at 300 ppi or more at placed size.
* Fonts all embedded, none Type 3 (ISO 32000-1 §9.6.5, §9.9); no annotations.

The text-colour, crop-mark and image-resolution tests do not trust the press's own
preflight (renderer/verify/preflight.py): this file interprets the content streams
itself (ISO 32000-1 §8.4 graphics state and q/Q, §8.3.4 cm, §8.5 paths, §8.6.8
colour operators, §8.8/§8.9 images placed by the CTM, §8.10 form XObjects, §9.3.6
text rendering mode, §9.4.3 text-showing operators) and only then compares its
count with the preflight's.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
import yaml

from renderer.typeset.finish import opaque_marks
from renderer.verify import ghostscript
from renderer.verify.preflight import preflight
from tests.conftest import SAMPLE, run_in_process

Matrix = tuple[float, float, float, float, float, float]
Rect = tuple[float, float, float, float]

POINTS_PER_MM = 72 / 25.4
A4_PT = (210 * POINTS_PER_MM, 297 * POINTS_PER_MM)
LETTER_PT = (612.0, 792.0)
BLEED_MM = 3.0
BOX_TOLERANCE_PT = 0.01  # the boxes are written to 6 decimals; 0.01 pt is 3.5 µm
COLOUR_TOLERANCE = 0.001
MIN_PPI = 300
PDFX_ID_NS = "http://www.npes.org/pdfx/ns/id/"
PDF_NS = "http://ns.adobe.com/pdf/1.3/"
XMP_NS = "http://ns.adobe.com/xap/1.0/"
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
TEXT_SHOWING = {"Tj", "TJ", "'", '"'}
# Text rendering modes (ISO 32000-1 Table 106) that fill or stroke the glyphs.
FILLING_MODES = {0, 2, 4, 6}
STROKING_MODES = {1, 2, 5, 6}
CMYK_BLACK = (0.0, 0.0, 0.0, 1.0)
# 1700000000 s is 2023-11-14 22:13:20 UTC: far from the sample's month, so it shows.
EPOCH = 1_700_000_000
MAX_FORM_NESTING = 12


# ------------------------------------------------------------------ builds


@pytest.fixture(scope="module")
def print_pdf(sample_build) -> Path:
    return sample_build["print"]


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((SAMPLE / "issue.yaml").read_text(encoding="utf-8"))


def built_pdfs(out: Path, editions: Iterable[str]) -> dict[str, Path]:
    """The PDFs a build wrote under OUT/<yyyy-mm>/, by edition (exactly one each)."""
    found = {}
    for edition in editions:
        matches = sorted(out.glob(f"*/*-{edition}.pdf"))
        assert len(matches) == 1, f"expected one {edition} PDF under {out}, found {matches}"
        found[edition] = matches[0]
    return found


def build(folder: Path, out: Path, *extra: str, source_date_epoch: int | None) -> None:
    """`make-issue build --force` with SOURCE_DATE_EPOCH set to a value, or unset."""
    with pytest.MonkeyPatch.context() as patch:  # the build runs in this process
        patch.delenv("SOURCE_DATE_EPOCH", raising=False)
        if source_date_epoch is not None:
            patch.setenv("SOURCE_DATE_EPOCH", str(source_date_epoch))
        result = run_in_process("build", folder, "--out", out, "--force", *extra)
    assert result.returncode == 0, result.stderr


def variant_of_sample(tmp_path_factory, name: str, change: Callable[[dict], None]) -> Path:
    """A copy of the sample issue whose manifest `change` has edited."""
    folder = tmp_path_factory.mktemp(name) / "issue"
    shutil.copytree(SAMPLE, folder)
    manifest_path = folder / "issue.yaml"
    data = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
    change(data)
    manifest_path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                             encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def rebuilt_sample(tmp_path_factory) -> dict[str, Path]:
    """The sample built a second time, into another folder, with SOURCE_DATE_EPOCH set.

    The sample's manifest gives `published`, which the loader prefers to
    SOURCE_DATE_EPOCH, so this build must come out byte for byte like the first.
    """
    out = tmp_path_factory.mktemp("rebuilt")
    build(SAMPLE, out, "--edition", "print", "--edition", "email", source_date_epoch=EPOCH)
    return built_pdfs(out, ("print", "email"))


@pytest.fixture(scope="module")
def saddle_stitched(tmp_path_factory) -> Path:
    """The sample with `print: {binding: saddle-stitch}` and no `published` date,
    built with SOURCE_DATE_EPOCH set: its dates must then be that epoch."""
    def change(data: dict) -> None:
        data["print"] = {**(data.get("print") or {}), "binding": "saddle-stitch"}
        data.pop("published", None)

    folder = variant_of_sample(tmp_path_factory, "saddle", change)
    out = folder.parent / "dist"
    build(folder, out, "--edition", "print", source_date_epoch=EPOCH)
    return built_pdfs(out, ("print",))["print"]


@pytest.fixture(scope="module")
def letter(tmp_path_factory) -> Path:
    """The sample on US Letter paper, with no `published` date and SOURCE_DATE_EPOCH
    unset: its dates must then be the first day of the issue's month."""
    def change(data: dict) -> None:
        data["page_size"] = "Letter"
        data.pop("published", None)

    folder = variant_of_sample(tmp_path_factory, "letter", change)
    out = folder.parent / "dist"
    build(folder, out, "--edition", "print", source_date_epoch=None)
    return built_pdfs(out, ("print",))["print"]


# ------------------------------------------------------------------ reading the PDF back


def box(page: pikepdf.Page, name: str) -> Rect:
    x0, y0, x1, y1 = (float(v) for v in page.obj[name])
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def size_of(rect: Rect) -> tuple[float, float]:
    return (rect[2] - rect[0], rect[3] - rect[1])


def overlaps(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and a[2] > b[0] and a[1] < b[3] and a[3] > b[1]


def page_texts(pdf: Path) -> list[str]:
    """Each page's text (pdfium), whitespace runs collapsed to one space."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [re.sub(r"\s+", " ", page.get_textpage().get_text_range()) for page in document]
    finally:
        document.close()


def xmp_values(pdf: pikepdf.Pdf, namespace: str, name: str) -> list[str]:
    """Every value of one XMP property, written as an element or as an attribute."""
    root = ET.fromstring(pdf.Root.Metadata.read_bytes())
    tag = f"{{{namespace}}}{name}"
    values = [element.text or "" for element in root.iter(tag)]
    values += [element.attrib[tag] for element in root.iter() if tag in element.attrib]
    return [value.strip() for value in values]


def pdf_date(moment: dt.datetime) -> str:
    """ISO 32000-1 §7.9.4 date, to the second (the offset is written differently by tools)."""
    return moment.astimezone(dt.UTC).strftime("D:%Y%m%d%H%M%S")


def cli_check(pdf: Path, *options: str) -> tuple[int, dict]:
    result = run_in_process("check", pdf, "--json", *options)
    return result.returncode, json.loads(result.stdout)


# ------------------------------------------------------------------ content stream walk
#
# A small interpreter of its own: the graphics state with q/Q, the CTM, the fill and
# stroke colour and space, the text rendering mode; paths, text-showing operators and
# images are recorded with the state in force when they were painted.


@dataclass(frozen=True)
class Colour:
    space: str  # "DeviceCMYK", "DeviceRGB", "DeviceGray", "ICCBased N=4", "Pattern", ...
    values: tuple[float, ...]

    def is_cmyk_black(self) -> bool:
        return self.space == "DeviceCMYK" and len(self.values) == 4 and all(
            abs(got - want) <= COLOUR_TOLERANCE for got, want in zip(self.values, CMYK_BLACK))


@dataclass(frozen=True)
class State:
    ctm: Matrix = IDENTITY
    fill: Colour = Colour("DeviceGray", (0.0,))
    stroke: Colour = Colour("DeviceGray", (0.0,))
    line_width: float = 1.0
    render_mode: int = 0


@dataclass(frozen=True)
class TextShow:
    page: int
    operator: str
    fill: Colour
    stroke: Colour
    render_mode: int


@dataclass(frozen=True)
class PathPaint:
    page: int
    operator: str
    fill: Colour | None  # None when the operator does not fill
    stroke: Colour | None  # None when the operator does not stroke
    bounds: Rect  # default user space, stroke width included


@dataclass(frozen=True)
class ImagePlacement:
    page: int
    space: str
    components: int
    pixels: tuple[int, int]
    placed_pt: tuple[float, float]

    @property
    def ppi(self) -> float:
        """The lower of the two effective resolutions at placed size."""
        return min(self.pixels[0] / (self.placed_pt[0] / 72),
                   self.pixels[1] / (self.placed_pt[1] / 72))


@dataclass
class Walk:
    texts: list[TextShow] = field(default_factory=list)
    paths: list[PathPaint] = field(default_factory=list)
    images: list[ImagePlacement] = field(default_factory=list)
    colours: list[Colour] = field(default_factory=list)  # every colour ever set


def multiply(first: Matrix, then: Matrix) -> Matrix:
    a, b, c, d, e, f = first
    A, B, C, D, E, F = then
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
            e * A + f * C + E, e * B + f * D + F)


def transform(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return (x * a + y * c + e, x * b + y * d + f)


def numbers(operands) -> tuple[float, ...]:
    """The numeric operands as floats (a pattern name given to scn is left out)."""
    return tuple(float(v) for v in operands
                 if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool))


def colour_space(value, resources) -> tuple[str, int]:
    """A colour space object -> (label, number of components)."""
    if isinstance(value, pikepdf.Name):
        device = {"/DeviceCMYK": ("DeviceCMYK", 4), "/CMYK": ("DeviceCMYK", 4),
                  "/DeviceRGB": ("DeviceRGB", 3), "/RGB": ("DeviceRGB", 3),
                  "/DeviceGray": ("DeviceGray", 1), "/G": ("DeviceGray", 1),
                  "/Pattern": ("Pattern", 0)}
        if str(value) in device:
            return device[str(value)]
        named = (resources or {}).get("/ColorSpace", {}).get(str(value))
        assert named is not None, f"colour space {value} is not in the resources"
        return colour_space(named, resources)
    assert isinstance(value, pikepdf.Array), f"unexpected colour space {value!r}"
    family = str(value[0])
    if family == "/ICCBased":
        components = int(value[1].N)
        return (f"ICCBased N={components}", components)
    if family in {"/Indexed", "/I"}:
        return (f"Indexed {colour_space(value[1], resources)[0]}", 1)
    return (family.lstrip("/"), 0)


def initial_colour(space: str, components: int) -> Colour:
    """The colour a `cs`/`CS` selects (ISO 32000-1 §8.6.8): black for the device spaces."""
    if space == "DeviceCMYK":
        return Colour(space, CMYK_BLACK)
    return Colour(space, (0.0,) * components)


def walk_pdf(pdf: pikepdf.Pdf) -> Walk:
    walk = Walk()
    for number, page in enumerate(pdf.pages, start=1):
        run_content(pikepdf.parse_content_stream(page), page.obj.get("/Resources"),
                    State(), walk, number, depth=0)
    return walk


def run_content(instructions, resources, state: State, walk: Walk, page: int,
                depth: int) -> None:
    saved: list[State] = []
    subpaths: list[list[tuple[float, float]]] = []  # in default user space
    for instruction in instructions:
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            image = instruction.iimage
            walk.images.append(placement(page, state.ctm, image.width, image.height,
                                         image.obj.get("/ColorSpace", image.obj.get("/CS")),
                                         resources))
            continue
        operands, operator = instruction.operands, str(instruction.operator)
        if operator == "q":
            saved.append(state)
        elif operator == "Q":
            state = saved.pop()
        elif operator == "cm":
            state = replace(state, ctm=multiply(numbers(operands), state.ctm))
        elif operator == "w":
            state = replace(state, line_width=float(operands[0]))
        elif operator == "Tr":
            state = replace(state, render_mode=int(operands[0]))
        elif operator in {"g", "rg", "k", "G", "RG", "K", "cs", "CS", "sc", "scn", "SC", "SCN"}:
            state = set_colour(state, operator, operands, resources)
            walk.colours.append(state.stroke if operator.isupper() else state.fill)
        elif operator in TEXT_SHOWING:
            walk.texts.append(TextShow(page, operator, state.fill, state.stroke,
                                       state.render_mode))
        elif operator in {"m", "l", "c", "v", "y", "re"}:
            extend_path(subpaths, operator, numbers(operands), state.ctm)
        elif operator in {"S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "n"}:
            # A subpath that is only a moveto paints nothing (ISO 32000-1 §8.5.3.1).
            drawn = [point for subpath in subpaths if len(subpath) > 1 for point in subpath]
            if operator != "n" and drawn:
                walk.paths.append(path_paint(page, operator, state, drawn))
            subpaths = []
        elif operator == "Do":
            draw_xobject(resources["/XObject"][str(operands[0])], resources, state, walk,
                         page, depth)


def extend_path(subpaths: list[list[tuple[float, float]]], operator: str,
                values: tuple[float, ...], ctm: Matrix) -> None:
    if operator == "re":
        x, y, w, h = values
        subpaths.append([transform(ctm, px, py)
                         for px, py in ((x, y), (x + w, y), (x + w, y + h), (x, y + h))])
        return
    points = [transform(ctm, *values[i:i + 2]) for i in range(0, len(values), 2)]
    if operator == "m" or not subpaths:
        subpaths.append(points)
    else:
        subpaths[-1].extend(points)


def set_colour(state: State, operator: str, operands, resources) -> State:
    stroking = operator.isupper()
    current = state.stroke if stroking else state.fill
    if operator.lower() == "g":
        colour = Colour("DeviceGray", numbers(operands))
    elif operator.lower() == "rg":
        colour = Colour("DeviceRGB", numbers(operands))
    elif operator.lower() == "k":
        colour = Colour("DeviceCMYK", numbers(operands))
    elif operator.lower() == "cs":
        colour = initial_colour(*colour_space(operands[0], resources))
    else:  # sc, scn: new components in the current space (a pattern name is dropped)
        colour = Colour(current.space, numbers(operands))
    return replace(state, stroke=colour) if stroking else replace(state, fill=colour)


def path_paint(page: int, operator: str, state: State,
               points: list[tuple[float, float]]) -> PathPaint:
    strokes = operator in {"S", "s", "B", "B*", "b", "b*"}
    fills = operator != "S" and operator != "s"
    # Half the line width, scaled by the CTM, sticks out on each side of a stroke.
    a, b, c, d, _, _ = state.ctm
    half = state.line_width / 2 * math.sqrt(abs(a * d - b * c)) if strokes else 0.0
    xs, ys = [x for x, _ in points], [y for _, y in points]
    bounds = (min(xs) - half, min(ys) - half, max(xs) + half, max(ys) + half)
    return PathPaint(page, operator, state.fill if fills else None,
                     state.stroke if strokes else None, bounds)


def draw_xobject(xobject, resources, state: State, walk: Walk, page: int, depth: int) -> None:
    subtype = str(xobject.get("/Subtype"))
    if subtype == "/Image":
        space = "ImageMask" if xobject.get("/ImageMask") else xobject.get("/ColorSpace")
        walk.images.append(placement(page, state.ctm, int(xobject.Width), int(xobject.Height),
                                     space, resources))
    elif subtype == "/Form":
        assert depth < MAX_FORM_NESTING, "form XObjects nested too deep"
        matrix = numbers(xobject.get("/Matrix", pikepdf.Array(IDENTITY)))
        run_content(pikepdf.parse_content_stream(xobject),
                    xobject.get("/Resources", resources),
                    replace(state, ctm=multiply(matrix, state.ctm)), walk, page, depth + 1)


def placement(page: int, ctm: Matrix, width: int, height: int, space,
              resources) -> ImagePlacement:
    """An image fills the unit square mapped by the CTM (ISO 32000-1 §8.9.4)."""
    a, b, c, d, _, _ = ctm
    if isinstance(space, (pikepdf.Name, pikepdf.Array)):
        label, components = colour_space(space, resources)
    else:
        label, components = str(space), 0
    return ImagePlacement(page, label, components, (width, height),
                          (math.hypot(a, b), math.hypot(c, d)))


@pytest.fixture(scope="module")
def print_walk(print_pdf) -> Walk:
    with pikepdf.open(print_pdf) as pdf:
        return walk_pdf(pdf)


def marks_of(walk: Walk, page: int, trim: Rect) -> list[PathPaint]:
    """What is stroked on `page` without touching the trimmed page: the crop marks."""
    return [path for path in walk.paths if path.page == page and path.stroke is not None
            and not overlaps(path.bounds, trim)]


# ------------------------------------------------------------------ PDF/X identification


def test_output_intent_is_an_embedded_cmyk_output_profile(print_pdf):
    with pikepdf.open(print_pdf) as pdf:
        intents = [intent for intent in pdf.Root.get("/OutputIntents", [])
                   if intent.get("/S") == "/GTS_PDFX"]
        assert len(intents) == 1, "PDF/X needs exactly one /S /GTS_PDFX output intent"
        intent = intents[0]
        assert str(intent.get("/OutputConditionIdentifier", "")).strip()
        profile = intent.DestOutputProfile
        header = profile.read_bytes()[:128]
        assert header[36:40] == b"acsp", "not an ICC profile (no 'acsp' signature)"
        assert header[12:16] == b"prtr", "the output intent needs an output-device profile"
        assert header[16:20] == b"CMYK"
        assert int(profile.get("/N", 0)) == 4


def test_pdfx4_identified_in_xmp_and_trapping_declared(print_pdf):
    with pikepdf.open(print_pdf) as pdf:
        assert xmp_values(pdf, PDFX_ID_NS, "GTS_PDFXVersion") == ["PDF/X-4"]
        trapped = pdf.trailer.Info.get("/Trapped")
        assert str(trapped) in {"/True", "/False"}, \
            f"/Trapped must be /True or /False for PDF/X, not {trapped}"
        # Where the XMP also says it, it must say the same.
        for value in xmp_values(pdf, PDF_NS, "Trapped"):
            assert value == str(trapped).lstrip("/")


# ------------------------------------------------------------------ page boxes and marks


def assert_trim_and_bleed(pdf_path: Path, trim_size_pt: tuple[float, float]) -> int:
    """Every page: TrimBox of the given size, BleedBox 3 mm out on every side, MediaBox
    beyond the bleed. Returns the page count."""
    bleed = BLEED_MM * POINTS_PER_MM
    with pikepdf.open(pdf_path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            trim, bleed_box, media = box(page, "/TrimBox"), box(page, "/BleedBox"), box(
                page, "/MediaBox")
            assert size_of(trim) == pytest.approx(trim_size_pt, abs=BOX_TOLERANCE_PT), number
            expected = (trim[0] - bleed, trim[1] - bleed, trim[2] + bleed, trim[3] + bleed)
            assert bleed_box == pytest.approx(expected, abs=BOX_TOLERANCE_PT), number
            assert media[0] < bleed_box[0] and media[1] < bleed_box[1], number
            assert media[2] > bleed_box[2] and media[3] > bleed_box[3], number
        return len(pdf.pages)


def test_a4_trim_with_exactly_3mm_bleed_and_room_for_marks(print_pdf):
    assert assert_trim_and_bleed(print_pdf, A4_PT) > 1


@pytest.mark.xdist_group("letter")  # one worker builds it, for both tests
def test_letter_page_size_gives_612_by_792_pt(letter):
    assert assert_trim_and_bleed(letter, LETTER_PT) > 1


def test_crop_marks_are_100_k_on_the_trim_lines_outside_the_bleed(print_pdf, print_walk):
    with pikepdf.open(print_pdf) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            trim, bleed, media = (box(page, key) for key in ("/TrimBox", "/BleedBox",
                                                             "/MediaBox"))
            marks = marks_of(print_walk, number, trim)
            # A crop mark at each corner for each of its two trim edges.
            assert len(marks) >= 8, f"page {number}: {len(marks)} crop marks"
            for mark in marks:
                assert mark.stroke.is_cmyk_black(), f"page {number}: mark in {mark.stroke}"
                assert not overlaps(mark.bounds, bleed), \
                    f"page {number}: a mark at {mark.bounds} reaches into the bleed {bleed}"
                    # On the sheet: the bounds add half the line width on every side,
                # also along the line, where a butt cap adds nothing.
                assert (media[0] - 0.5 <= mark.bounds[0] and mark.bounds[2] <= media[2] + 0.5
                        and media[1] - 0.5 <= mark.bounds[1]
                        and mark.bounds[3] <= media[3] + 0.5), mark
            assert_marks_sit_on_the_trim_lines(marks, trim, number)


def test_the_marks_are_opaque_and_print_on_the_black_plate_only(print_pdf):
    """No transparency group and no alpha: nothing for a RIP to composite. WeasyPrint draws
    the marks as an SVG filled at alpha 0 in a group that blends through the output
    profile, which Ghostscript printed as four-colour black (C 69 %, M 67 %, Y 65 %)."""
    with pikepdf.open(print_pdf) as pdf:
        forms = [o for o in pdf.objects if isinstance(o, pikepdf.Stream)
                 and o.stream_dict.get("/Subtype") == "/Form"]
        groups = [form.objgen for form in forms if "/Group" in form]
        alpha = [(holder.objgen, name) for holder in [*(p.obj for p in pdf.pages), *forms]
                 for name, state in holder.get("/Resources", {}).get("/ExtGState", {}).items()
                 if any(float(state.get(key, 1)) != 1 for key in ("/ca", "/CA"))
                 or "/SMask" in state or "/BM" in state]
        bleed_left = float(pdf.pages[0].BleedBox[0]) - float(pdf.pages[0].MediaBox[0])
    assert groups == [] and alpha == [], (groups, alpha)
    [page] = ghostscript.render_cmyk(print_pdf, ppi=72, first=1, last=1, use_trim=False)
    cyan, magenta, yellow, black = page.crop((0, 0, int(bleed_left) - 1, page.height)).split()
    assert black.getextrema()[1] == 255  # the marks beside the bleed
    assert [plate.getextrema()[1] for plate in (cyan, magenta, yellow)] == [0, 0, 0]


def test_only_line_art_filled_at_alpha_0_is_made_opaque():
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(100, 100))
    states = pikepdf.Dictionary({"/a0": pikepdf.Dictionary(ca=0),
                                 "/a5": pikepdf.Dictionary(ca=0.5),
                                 "/ax": pikepdf.Dictionary(ca=pikepdf.Name.Half)})
    def form(content: bytes):
        return pdf.make_indirect(pikepdf.Stream(
            pdf, content, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 9, 9],
            Group=pikepdf.Dictionary(S=pikepdf.Name.Transparency, I=True),
            Resources=pikepdf.Dictionary(ExtGState=states)))
    marks, half, odd, text = (form(b"q /a0 gs 0 0 0 1 K 0 0 m 9 9 l B Q 0 0 9 9 re f"),
                              form(b"/a0 gs 0 0 m 9 9 l B /a5 gs 0 0 9 9 re f"),
                              form(b"/a0 gs 0 0 m 9 9 l B /ax gs 0 0 9 9 re f"),
                              form(b"/a0 gs BT ET 0 0 m 9 9 l B"))
    for xobject in (marks, half, odd, text):
        opaque_marks(xobject)
    assert marks.read_bytes().split() == b"q 0 0 0 1 K 0 0 m 9 9 l S Q 0 0 9 9 re f".split()
    assert "/Group" not in marks and set(marks.Resources.ExtGState.keys()) == {"/a5", "/ax"}
    for untouched in (half, odd, text):  # other alpha (or not a number), or not line art
        assert b"B" in untouched.read_bytes() and "/Group" in untouched


def assert_marks_sit_on_the_trim_lines(marks: list[PathPaint], trim: Rect, page: int) -> None:
    """Each mark is a thin line continuing one trim edge; all four edges are marked."""
    marked_edges = set()
    for mark in marks:
        x0, y0, x1, y1 = mark.bounds
        centre_x, centre_y = (x0 + x1) / 2, (y0 + y1) / 2
        if x1 - x0 < y1 - y0:  # vertical line: it marks a left or right edge
            edges = [name for name, x in (("left", trim[0]), ("right", trim[2]))
                     if abs(centre_x - x) < 0.5]
        else:
            edges = [name for name, y in (("bottom", trim[1]), ("top", trim[3]))
                     if abs(centre_y - y) < 0.5]
        assert edges, f"page {page}: the mark at {mark.bounds} is not on a trim line"
        marked_edges.update(edges)
    assert marked_edges == {"left", "right", "bottom", "top"}, page


def test_no_device_rgb_anywhere_in_the_print_file(print_pdf, print_walk):
    """No DeviceRGB object, image or resource, and no rg/RG in any content stream."""
    named = []
    with pikepdf.open(print_pdf) as pdf:
        for obj in pdf.objects:
            if names_device_rgb(obj):
                named.append(obj.objgen)
    assert not named, f"objects naming /DeviceRGB: {named}"
    used = {colour.space for colour in print_walk.colours}
    assert used, "the walk saw no colour being set"
    assert "DeviceRGB" not in used
    assert used <= {"DeviceCMYK", "ICCBased N=4"}, used


def names_device_rgb(obj, depth: int = 0) -> bool:
    """True when the object (not following indirect references) names DeviceRGB."""
    if depth > 32:
        return False
    if isinstance(obj, pikepdf.Name):
        return str(obj) in {"/DeviceRGB", "/RGB"} and depth > 0
    if isinstance(obj, pikepdf.Stream):
        obj = obj.stream_dict
    if isinstance(obj, (pikepdf.Dictionary, pikepdf.Array)):
        items = obj.values() if isinstance(obj, pikepdf.Dictionary) else obj
        return any(not item.is_indirect and names_device_rgb(item, depth + 1)
                   for item in items if isinstance(item, pikepdf.Object))
    return False


# ------------------------------------------------------------------ text colour


def test_every_text_showing_operator_paints_100_percent_k(print_walk, print_pdf):
    texts = print_walk.texts
    with pikepdf.open(print_pdf) as pdf:
        pages = len(pdf.pages)
    assert {text.page for text in texts} == set(range(1, pages + 1)), "a page without text"
    wrong = [text for text in texts
             if (text.render_mode in FILLING_MODES and not text.fill.is_cmyk_black())
             or (text.render_mode in STROKING_MODES and not text.stroke.is_cmyk_black())
             or text.render_mode not in FILLING_MODES | STROKING_MODES]
    assert not wrong, f"{len(wrong)} of {len(texts)} text operators are not 100% K: {wrong[:5]}"


def test_the_walk_sees_the_email_editions_rgb_text(sample_build):
    """The walk can fail: in the email edition it finds text, none of it in K."""
    with pikepdf.open(sample_build["email"]) as pdf:
        email_texts = walk_pdf(pdf).texts
    assert email_texts
    assert not any(text.fill.is_cmyk_black() for text in email_texts)
    assert {text.fill.space for text in email_texts} == {"DeviceRGB"}


def test_preflight_counts_the_same_text_operators(print_walk, print_pdf):
    """Cross-check: the press's preflight saw as many text-showing operators as this walk."""
    check = preflight(print_pdf, edition="print", page_size="A4").check("text-colour")
    assert check.status == "pass", check.evidence
    counted = re.search(r"(\d+) text-showing ops", check.evidence)
    assert counted, check.evidence
    assert int(counted.group(1)) == len(print_walk.texts)


# ------------------------------------------------------------------ fonts, syntax, annotations


def pdffonts_rows(pdf: Path) -> list[dict[str, str]]:
    """`pdffonts` table as dicts, columns cut where its dashed rule says."""
    lines = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    header, rule, *rows = lines
    spans, start = [], 0
    for dashes in rule.split(" "):
        spans.append((start, start + len(dashes)))
        start += len(dashes) + 1
    names = [header[a:b].strip() for a, b in spans]
    return [{name: row[a:b].strip() for name, (a, b) in zip(names, spans)} for row in rows]


def test_pdffonts_every_font_embedded_none_type3(print_pdf):
    rows = pdffonts_rows(print_pdf)
    assert rows, "pdffonts lists no fonts"
    for row in rows:
        assert row["emb"] == "yes", row
        assert "Type 3" not in row["type"], row


def test_qpdf_check_is_clean(print_pdf):
    result = subprocess.run(["qpdf", "--check", str(print_pdf)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def annotated_pages(pdf_path: Path) -> list[int]:
    with pikepdf.open(pdf_path) as pdf:
        return [number for number, page in enumerate(pdf.pages, start=1)
                if "/Annots" in page.obj]


def test_no_annotations_on_any_page(print_pdf, sample_build):
    assert not annotated_pages(print_pdf), "the print edition has annotations"
    # The same issue on screen has its contents linked: the links were really dropped.
    assert annotated_pages(sample_build["email"]), "expected links in the email edition"


# ------------------------------------------------------------------ figures


def declared_figures(issue_folder: Path, manifest: dict) -> int:
    """How many figures the sample's articles declare in their front matter."""
    count = 0
    for article in manifest["articles"]:
        text = (issue_folder / article).read_text(encoding="utf-8")
        front_matter = text.split("---", 2)[1]
        count += len(yaml.safe_load(front_matter).get("figures") or [])
    return count


def test_figures_are_cmyk_at_300_ppi_or_more(print_walk, manifest):
    images = print_walk.images
    figures = declared_figures(SAMPLE, manifest)
    assert figures, "the sample issue declares no figure, so there is nothing to check"
    assert len(images) == figures, f"{figures} figures declared, {len(images)} images drawn"
    for image in images:
        assert image.space in {"DeviceCMYK", "ICCBased N=4"}, image
        assert image.ppi >= MIN_PPI, f"{image}: {image.ppi:.0f} ppi"


# ------------------------------------------------------------------ reproducibility and dates


def first_difference(first: bytes, second: bytes) -> str:
    """Where two files part, with the bytes around it, to tell which object differs."""
    offset = next((i for i, (a, b) in enumerate(zip(first, second)) if a != b),
                  min(len(first), len(second)))
    return (f"first difference at byte {offset}: {first[offset - 60:offset + 40]!r} "
            f"vs {second[offset - 60:offset + 40]!r}")


@pytest.mark.xdist_group("rebuilt")  # one worker builds it for both
def test_two_builds_are_byte_identical(sample_build, rebuilt_sample):
    for edition in ("print", "email"):
        first, second = sample_build[edition].read_bytes(), rebuilt_sample[edition].read_bytes()
        assert first == second, (f"the {edition} edition differs between two builds; "
                                 + first_difference(first, second))


def assert_dates(pdf_path: Path, moment: dt.datetime) -> None:
    expected = pdf_date(moment)
    with pikepdf.open(pdf_path) as pdf:
        info = pdf.trailer.Info
        assert str(info.CreationDate).startswith(expected)
        assert str(info.ModDate).startswith(expected)
        for name in ("CreateDate", "ModifyDate"):
            (value,) = xmp_values(pdf, XMP_NS, name)
            assert dt.datetime.fromisoformat(value) == moment


@pytest.mark.xdist_group("rebuilt")  # one worker builds it for both
def test_published_date_wins_over_source_date_epoch(print_pdf, rebuilt_sample, manifest):
    published = manifest["published"]
    moment = dt.datetime(published.year, published.month, published.day, tzinfo=dt.UTC)
    assert_dates(print_pdf, moment)
    assert_dates(rebuilt_sample["print"], moment)  # built with SOURCE_DATE_EPOCH set


@pytest.mark.xdist_group("saddle-stitched")  # one worker builds it, for both tests
def test_without_published_date_source_date_epoch_is_the_date(saddle_stitched):
    assert_dates(saddle_stitched, dt.datetime.fromtimestamp(EPOCH, tz=dt.UTC))


@pytest.mark.xdist_group("letter")
def test_without_published_date_or_epoch_the_first_of_the_month_is_the_date(letter, manifest):
    year, month = (int(part) for part in str(manifest["month"]).split("-"))
    assert_dates(letter, dt.datetime(year, month, 1, tzinfo=dt.UTC))


# ------------------------------------------------------------------ make-issue check


def test_make_issue_check_passes_the_print_edition(print_pdf):
    code, report = cli_check(print_pdf, "--page-size", "A4")
    statuses = {check["name"]: check["status"] for check in report["checks"]}
    assert code == 0, report
    assert report["ok"] is True
    assert set(statuses.values()) <= {"pass", "info", "warn"}, statuses
    for needed in ("pdfx-version", "output-intent", "trapped", "page-boxes", "page-size",
                   "fonts-embedded", "no-type3-fonts", "colour-spaces", "printer-marks",
                   "text-colour", "image-resolution", "annotations", "qpdf-check"):
        assert statuses.get(needed) == "pass", (needed, report)


def test_make_issue_check_fails_the_email_pdf_as_print_for_its_rgb(sample_build):
    code, report = cli_check(sample_build["email"], "--edition", "print")
    colour = next(check for check in report["checks"] if check["name"] == "colour-spaces")
    assert code == 1
    assert report["ok"] is False
    assert colour["status"] == "fail" and "DeviceRGB" in colour["evidence"], colour


# ------------------------------------------------------------------ saddle stitch


@pytest.mark.xdist_group("saddle-stitched")
def test_saddle_stitch_pads_to_a_multiple_of_4_with_marked_blank_pages(
        saddle_stitched, print_pdf, manifest):
    unpadded = page_texts(print_pdf)
    padded = page_texts(saddle_stitched)
    assert len(unpadded) % 4, "the sample needs no padding, so this test would show nothing"
    # The colophon moves to a back cover of its own (issue 14): the content, then any
    # blank pages, then the back cover, never a blank back.
    assert len(padded) == math.ceil((len(unpadded) + 1) / 4) * 4
    blank_pages = [n for n, text in enumerate(padded, start=1)
                   if "intentionally left blank" in text]
    assert blank_pages == list(range(len(unpadded) + 1, len(padded)))
    colophon = f"Published by {manifest['publisher']}"
    colophon_pages = [n for n, text in enumerate(padded, start=1)
                      if colophon in " ".join(text.split())]
    assert colophon_pages == [len(padded)], "the colophon must be on the back cover"
    with pikepdf.open(saddle_stitched) as pdf:
        assert len(pdf.pages) == len(padded)
