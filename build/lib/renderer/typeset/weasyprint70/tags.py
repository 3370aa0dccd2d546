"""``/Lang`` on every structure element of a tagged PDF, from its HTML element's ``lang``.

Upstream-ready description: WeasyPrint 70 writes only the document's ``/Lang``
(``pdf/tags.py``); PDF/UA-1 (ISO 14289-1, 7.2) wants the natural language of every
passage that differs from it, so that a screen reader switches voice between the
English and the Chinese column. ``_build_box_tree`` could set ``Lang`` from
``box.style['lang']`` on each element it creates when that differs from its parent's.
"""

from __future__ import annotations

_original: list = []


def install() -> None:
    if _original:
        return  # installed already
    import pydyf
    from weasyprint.pdf import tags

    build = tags._build_box_tree
    _original.append(build)

    def build_with_languages(box, *args):
        for element in build(box, *args):
            lang = box.style["lang"]
            if lang and "Lang" not in element:
                element["Lang"] = pydyf.String(lang)
            yield element

    build_with_languages.__wrapped__ = build
    tags._build_box_tree = build_with_languages


def uninstall() -> None:
    if not _original:
        return
    from weasyprint.pdf import tags

    tags._build_box_tree = _original.pop()
