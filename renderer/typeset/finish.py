"""What WeasyPrint 70 leaves undone for the press, done on the written file with pikepdf.

Both editions get a file identifier derived from the issue (ISO 32000-1, 14.4), so that
two builds of the same issue are byte-identical. The print edition also gets:
- crop marks in 100 % K (WeasyPrint strokes them in DeviceRGB black);
- a BleedBox of exactly the manifest's bleed (WeasyPrint's is "at most 10 pt" outside
  the trim; the CSS bleed is wider, see compose.MARKS_OFFSET_MM, so the marks sit
  outside the bleed, where the guillotine throws them away);
- an XMP DocumentID derived from the issue instead of a random one;
- 100 % K text and rules set to overprint (``add_overprint``, below);
- crop marks without transparency (``opaque_marks``): WeasyPrint draws them as an SVG
  of open paths filled at alpha 0 and stroked, inside a transparency group, which made
  every page a transparent one for a RIP or Ghostscript to composite.
The email edition's structure tree is rewritten to follow meaning, not layout
(``structure``: PDF/UA-1, one ``/Sect`` per language in every ``/Art``).
"""

from __future__ import annotations

import io
import re
import uuid

from renderer.pdfmatrix import multiply, transform
from renderer.typeset import structure


def finish(pdf: bytes, edition: str, *, bleed_mm: float, document_id: str) -> bytes:
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        if edition == "print":
            _finish_print(document, bleed_mm, document_id)
        elif "/StructTreeRoot" in document.Root:
            structure.restructure(document)
        out = io.BytesIO()
        document.save(out, deterministic_id=True)
    return out.getvalue()


def _finish_print(document, bleed_mm: float, document_id: str) -> None:
    import pikepdf

    bleed = bleed_mm * 72 / 25.4
    for page in document.pages:
        left, bottom, right, top = (float(v) for v in page.TrimBox)
        page.BleedBox = pikepdf.Array([left - bleed, bottom - bleed,
                                       right + bleed, top + bleed])
    forms = list(_forms(document))
    for form in forms:
        _rgb_black_to_k(form)
    add_overprint(document)
    for form in forms:
        opaque_marks(form)
    xmp = document.Root.Metadata.read_bytes()
    document.Root.Metadata.write(re.sub(
        rb"xmp\.did:[0-9a-fA-F-]{36}", f"xmp.did:{uuid.UUID(document_id)}".encode(), xmp))


def _forms(document):
    """The form XObjects the pages draw, each once."""
    seen: set = set()
    for page in document.pages:
        yield from _new_forms(page, seen)


def _new_forms(page, seen: set):
    """The page's form XObjects not in ``seen`` (which gets them). WeasyPrint gives every
    page one resource dictionary naming all the document's forms: it is read once, or
    the finish of 1,700 pages would look at 2.9 million forms."""
    resources = page.Resources
    if resources.is_indirect:
        if resources.objgen in seen:
            return
        seen.add(resources.objgen)
    for xobject in resources.get("/XObject", {}).values():
        if xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
            seen.add(xobject.objgen)
            yield xobject


# What a form of lines may hold to be made opaque: paths, their paint, colour and line
# state (ISO 32000-1 §8.4, §8.5, §8.6.8): no text, image, shading, pattern or form.
_LINE_ART = {"q", "Q", "cm", "w", "J", "j", "M", "d", "gs", "k", "K", "g", "G", "rg", "RG",
             "cs", "CS", "sc", "SC", "m", "l", "c", "v", "y", "h", "re", "W", "W*", "n",
             "S", "s", "f", "F", "f*", "B", "B*", "b", "b*"}
# A paint whose fill is at alpha 0 shows only its stroke, or nothing (§11.3.7.2).
_WITHOUT_FILL = {"B": "S", "B*": "S", "b": "s", "b*": "s", "f": "n", "F": "n", "f*": "n"}


def opaque_marks(form) -> None:
    """A form of line art whose only transparency is a fill at alpha 0, rewritten to
    stroke without the fill and without its transparency group: the same marks, opaque."""
    import pikepdf

    resources = form.get("/Resources", pikepdf.Dictionary())
    states = resources.get("/ExtGState", pikepdf.Dictionary())
    operations = pikepdf.parse_content_stream(form)
    if not operations or any(str(op) not in _LINE_ART for _, op in operations):
        return
    used = {str(operands[0]) for operands, op in operations if str(op) == "gs" and operands}
    unfilled = {name for name in used if _fill_alpha_zero(states.get(name))}
    others = used - unfilled
    if not unfilled or any(_state_not_opaque(states.get(name)) for name in others):
        return
    out, stack, invisible = [], [], False
    for operands, operator in operations:
        name = str(operator)
        if name == "q":
            stack.append(invisible)
        elif name == "Q" and stack:
            invisible = stack.pop()
        elif name == "gs" and operands and str(operands[0]) in unfilled:
            invisible = True
            continue
        elif name == "gs" and operands and "/ca" in states[str(operands[0])]:
            invisible = False
        elif invisible and name in _WITHOUT_FILL:
            operator = pikepdf.Operator(_WITHOUT_FILL[name])
        out.append(pikepdf.ContentStreamInstruction(operands, operator))
    form.write(pikepdf.unparse_content_stream(out))
    form.Resources = pikepdf.Dictionary({**resources, "/ExtGState": pikepdf.Dictionary(
        {key: value for key, value in states.items() if key not in unfilled})})
    if "/Group" in form and not any(states[name].get("/OP") is True or
                                    states[name].get("/op") is True for name in others):
        del form["/Group"]


def _fill_alpha_zero(state) -> bool:
    return (state is not None and set(state.keys()) - {"/Type"} == {"/ca"}
            and _number(state.ca) == 0)


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")  # equal to nothing: neither alpha 0 nor opaque


def _state_not_opaque(state) -> bool:
    """A graphics state that is missing, or sets alpha below 1, a soft mask or a blend."""
    import pikepdf

    if state is None:
        return True
    return (any(_number(state.get(key, 1)) != 1 for key in ("/CA", "/ca"))
            or state.get("/SMask", pikepdf.Name("/None")) != pikepdf.Name("/None")
            or state.get("/BM", pikepdf.Name.Normal) not in (pikepdf.Name.Normal,
                                                              pikepdf.Name.Compatible))


def _rgb_black_to_k(form) -> None:
    import pikepdf

    operations = pikepdf.parse_content_stream(form)
    changed = False
    for index, (operands, operator) in enumerate(operations):
        if str(operator) in {"rg", "RG"} and [float(v) for v in operands] == [0, 0, 0]:
            cmyk = "k" if str(operator) == "rg" else "K"
            operations[index] = pikepdf.ContentStreamInstruction(
                [0, 0, 0, 1], pikepdf.Operator(cmyk))
            changed = True
    if changed:
        form.write(pikepdf.unparse_content_stream(operations))


# ------------------------------------------------------------------ overprint
#
# 100 % K text and 100 % K rules overprint in the print edition (/OP true /op true /OPM 1,
# one ExtGState), so that a misregistered black plate leaves no white halo on a tint.
# Large K areas (a black panel), white (no ink) and anything in colour knock out, as do
# images, shadings and forms. The content stream is rewritten in place: an ExtGState is
# switched on before a text show or a path that overprints and off again before the next
# paint that must not; q/Q keep the state as PDF does (ISO 32000-1 §8.6.7, §11.7.4).

OVERPRINT_GS = "/PressOP"  # /OP true /op true /OPM 1
KNOCKOUT_GS = "/PressKO"  # /OP false /op false
RULE_MAX_PT = 3.0  # a K fill no wider than this (or a stroke no thicker) is a rule
K_TOLERANCE = 0.005
_TEXT_SHOWS = {"Tj", "TJ", "'", '"'}
_FILLS = {"f", "F", "f*"}
_STROKES = {"S", "s"}
_FILL_STROKES = {"B", "B*", "b", "b*"}
_PATH_START = {"m", "re"}
_PATH_BUILD = {"m", "l", "c", "v", "y", "h", "re", "W", "W*"}


def _is_solid_k(values) -> bool:
    return values is not None and len(values) == 4 and all(
        abs(got - want) <= K_TOLERANCE for got, want in zip(values, (0, 0, 0, 1)))


class _PaintState:
    __slots__ = ("fill", "stroke", "fill_space", "stroke_space", "overprint", "ctm",
                 "line_width")

    def __init__(self, overprint):
        self.fill = (0.0,)  # DeviceGray black, ISO 32000-1 §8.4 initial state
        self.stroke = (0.0,)
        self.fill_space = self.stroke_space = "/DeviceGray"
        self.overprint = overprint  # True, False or None (inherited, unknown)
        self.ctm = (1, 0, 0, 1, 0, 0)
        self.line_width = 1.0

    def copy(self):
        other = _PaintState(self.overprint)
        for name in self.__slots__:
            setattr(other, name, getattr(self, name))
        return other


def _colour(space: str, operands) -> tuple[float, ...] | None:
    import pikepdf

    if space != "/DeviceCMYK":
        return None
    return tuple(float(v) for v in operands if not isinstance(v, pikepdf.Name))


def add_overprint(document) -> int:
    """Make 100 % K text and rules overprint on every page (and in every form drawn on
    it); returns how many paints were switched to overprint."""
    switched = 0
    seen: set = set()
    for page in document.pages:
        switched += _overprint_stream(document, page.obj, initial=False)
        for form in _new_forms(page, seen):
            switched += _overprint_stream(document, form, initial=None)
    return switched


def _ensure_states(document, holder) -> None:
    import pikepdf

    if "/Resources" not in holder:
        holder.Resources = pikepdf.Dictionary()
    resources = holder.Resources
    if "/ExtGState" not in resources:
        resources.ExtGState = pikepdf.Dictionary()
    states = resources.ExtGState
    states[OVERPRINT_GS] = pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, OP=True, op=True,
                                              OPM=1)
    states[KNOCKOUT_GS] = pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, OP=False, op=False)


def _overprint_stream(document, holder, *, initial) -> int:
    import pikepdf

    operations = pikepdf.parse_content_stream(holder)
    states = holder.get("/Resources", {}).get("/ExtGState", {})
    out: list = []
    stack: list[_PaintState] = []
    state = _PaintState(initial)
    path_start: int | None = None  # index in `out` where the current path began
    path_box: list[float] | None = None
    switched = 0

    def switch(at: int, on: bool) -> None:
        name = OVERPRINT_GS if on else KNOCKOUT_GS
        out.insert(at, pikepdf.ContentStreamInstruction([pikepdf.Name(name)],
                                                         pikepdf.Operator("gs")))
        state.overprint = on

    def want(at: int, on: bool) -> None:
        nonlocal switched
        if on and state.overprint is not True:
            switch(at, True)
            switched += 1
        elif not on and state.overprint is not False:
            switch(at, False)

    def extend_box(points) -> None:
        nonlocal path_box
        for x, y in points:
            px, py = transform(state.ctm, x, y)
            if path_box is None:
                path_box = [px, py, px, py]
            else:
                path_box = [min(path_box[0], px), min(path_box[1], py),
                            max(path_box[2], px), max(path_box[3], py)]

    for operands, operator in operations:
        op = str(operator)
        if op == "q":
            stack.append(state.copy())
        elif op == "Q" and stack:
            state = stack.pop()
        elif op == "cm":
            state.ctm = multiply(tuple(float(v) for v in operands), state.ctm)
        elif op == "w":
            state.line_width = float(operands[0])
        elif op == "gs":
            extgstate = states.get(str(operands[0])) if operands else None
            if extgstate is not None and ("/op" in extgstate or "/OP" in extgstate):
                state.overprint = bool(extgstate.get("/op", extgstate.get("/OP")))
        elif op == "cs":
            state.fill_space, state.fill = str(operands[0]), None
        elif op == "CS":
            state.stroke_space, state.stroke = str(operands[0]), None
        elif op in ("sc", "scn"):
            state.fill = _colour(state.fill_space, operands)
        elif op in ("SC", "SCN"):
            state.stroke = _colour(state.stroke_space, operands)
        elif op in ("k", "K"):
            values = tuple(float(v) for v in operands)
            if op == "k":
                state.fill_space, state.fill = "/DeviceCMYK", values
            else:
                state.stroke_space, state.stroke = "/DeviceCMYK", values
        elif op in ("g", "rg", "G", "RG"):
            if op in ("g", "rg"):
                state.fill_space, state.fill = "/Device" + ("Gray" if op == "g" else "RGB"), None
            else:
                state.stroke_space, state.stroke = "/Device" + ("Gray" if op == "G" else "RGB"), None
        elif op in _TEXT_SHOWS:
            want(len(out), _is_solid_k(state.fill))
        elif op in _PATH_BUILD:
            if path_start is None and op in _PATH_START:
                path_start, path_box = len(out), None
            if op == "re":
                x, y, w, h = (float(v) for v in operands)
                extend_box([(x, y), (x + w, y), (x, y + h), (x + w, y + h)])
            elif op in ("m", "l"):
                extend_box([(float(operands[0]), float(operands[1]))])
            elif op in ("c", "v", "y"):
                values = [float(v) for v in operands]
                extend_box(list(zip(values[::2], values[1::2])))
        elif op in _FILLS | _STROKES | _FILL_STROKES | {"n"}:
            if op != "n" and path_start is not None:
                want(path_start, _path_overprints(op, state, path_box))
            path_start, path_box = None, None
        elif op in ("Do", "sh", "BI"):
            want(len(out), False)
        out.append(pikepdf.ContentStreamInstruction(operands, operator))
    if switched or any(str(i.operator) == "gs" and i.operands
                       and str(i.operands[0]) == KNOCKOUT_GS for i in out):
        _ensure_states(document, holder)
        data = pikepdf.unparse_content_stream(out)
        if isinstance(holder, pikepdf.Stream):
            holder.write(data)
        else:  # a page: its /Contents (a stream or an array of them) becomes one stream
            holder.Contents = pikepdf.Stream(document, data)
    return switched


def _path_overprints(op: str, state: _PaintState, box) -> bool:
    a, b, c, d = state.ctm[:4]
    scale = max(abs(a * d - b * c), 1e-9) ** 0.5
    stroke_is_rule = _is_solid_k(state.stroke) and state.line_width * scale <= RULE_MAX_PT
    fill_is_rule = _is_solid_k(state.fill) and box is not None and min(
        box[2] - box[0], box[3] - box[1]) <= RULE_MAX_PT
    if op in _STROKES:
        return stroke_is_rule
    if op in _FILLS:
        return fill_is_rule
    return stroke_is_rule and fill_is_rule
