"""HTML semantics WeasyPrint 70 does not carry into the PDF structure tree (ISO 14289-1, 7.1, 7.2, 7.3, 7.18.5; Matterhorn 09-004, 11-001..11-005, 13-004, 15-003).

Upstream-ready description: WeasyPrint 70 (``pdf/tags.py``) maps an HTML element to a
structure type by its tag name only, writes only the document's ``/Lang``, and takes a
figure's ``/Alt`` from ``alt`` alone. This patch of ``_build_box_tree``, on each element
it creates:

- sets ``/Lang`` from ``box.style['lang']`` (PDF/UA-1 7.2: a screen reader switches voice
  between the English and the Chinese column);
- honours ARIA ``role``: ``presentation``/``none`` make an element ``/NonStruct`` and, on a
  table, its rows, row groups and cells too (as ARIA propagates it), so a layout table is
  no ``/Table`` (Matterhorn 15-003 would ask it for headers); ``doc-toc`` is ``/TOC`` and a
  ``listitem`` inside it ``/TOCI`` (PDF/UA-1 7.18.5);
- gives a data table's header cells ``/Scope`` (``/Row`` for ``scope="row"``, else
  ``/Column``; Matterhorn 15-003);
- gives an ``img`` with ``data-alt`` and ``data-alt-lang`` a second ``/Figure`` beside it,
  with that ``/Alt`` and ``/Lang`` and no content, so that each language's reading of the
  page describes the one picture in its own language (Matterhorn 13-004, 11-005);
- records which HTML element it came from as ``/PressNode`` (an integer; boxes of one
  element split over pages share it), which ``renderer.typeset.structure`` uses to join
  the pieces and then removes.
"""

from __future__ import annotations

_original: list = []
_open: list = []  # the HTML elements whose structure is being built, outermost first

PRESENTATIONAL = {"presentation", "none"}
TABLE_PARTS = {"thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup", "col"}
ROLES = {"doc-toc": "TOC", "list": "L", "listitem": "LI"}


def _role(html_element) -> str:
    return (html_element.get("role") or "").strip().lower()


def structure_type(html_element, ancestors: list, default: str) -> str:
    """The structure type for an HTML element (its ``ancestors`` nearest last), given
    its tag's default (``/P``...)."""
    role = _role(html_element)
    if role in PRESENTATIONAL:
        return "/NonStruct"
    in_toc = any(_role(a) == "doc-toc" for a in ancestors)
    if role == "listitem" and in_toc:
        return "/TOCI"
    if role == "list" and in_toc:
        return "/NonStruct"  # the /TOC is the list
    if role in ROLES:
        return "/" + ROLES[role]
    if html_element.tag in TABLE_PARTS:
        for ancestor in reversed(ancestors):
            if ancestor.tag == "table":
                if _role(ancestor) in PRESENTATIONAL:
                    return "/NonStruct"
                break
    return default


def install() -> None:
    if _original:
        return  # installed already
    import pydyf
    from weasyprint.pdf import tags

    build = tags._build_box_tree
    _original.append(build)

    def build_with_semantics(box, parent, pdf, page_number, *args):
        html = getattr(box, "_box", box).element  # AbsolutePlaceholder wraps its box
        if html is not None and not isinstance(html.tag, str):
            html = None  # a comment or processing instruction
        ancestors = [e for e in _open if e is not None and e is not html]
        # Children are built (depth first, each consumed whole) while this box's are.
        _open.append(html)
        try:
            elements = list(build(box, parent, pdf, page_number, *args))
        finally:
            _open.pop()
        for element in elements:
            lang = box.style["lang"]
            if lang and "Lang" not in element:
                element["Lang"] = pydyf.String(lang)
            own = html is not None and "PressNode" not in element  # not a descendant's
            if own:  # (html and body pass their descendants' elements through)
                element["PressNode"] = id(html)
                element["S"] = structure_type(html, ancestors, element["S"])  # "/P"...
                if element["S"] == "/TH" and "A" in element:  # Matterhorn 15-003
                    scope = (html.get("scope") or "col").lower()
                    element["A"]["Scope"] = {"row": "/Row", "rowgroup": "/Row"}.get(
                        scope, "/Column")
            yield element
            if own and element["S"] == "/Figure" and html.get("data-alt"):
                other = pydyf.Dictionary({
                    "Type": "/StructElem", "S": "/Figure",
                    "Alt": pydyf.String(html.get("data-alt")),
                    "Lang": pydyf.String(html.get("data-alt-lang") or ""),
                    "Pg": pdf.page_references[page_number], "P": parent.reference,
                })
                if "A" in element:
                    other["A"] = element["A"]
                pdf.add_object(other)
                yield other

    build_with_semantics.__wrapped__ = build
    tags._build_box_tree = build_with_semantics


def uninstall() -> None:
    if not _original:
        return
    from weasyprint.pdf import tags

    tags._build_box_tree = _original.pop()
