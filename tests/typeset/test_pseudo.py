"""Pseudo-element styles on demand (renderer.typeset.weasyprint70.pseudo): the same PDF as
WeasyPrint computing them all up front, and only the styles a box asks for are made."""

from __future__ import annotations

from renderer.typeset.weasyprint70 import load, pseudo
from tests.conftest import patches_off

# Deferred kinds in use (a list's markers, a footnote's call and marker), styled by the
# author sheet, beside an element with an anchor and many elements that use none of them.
DOCUMENT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="dcterms.created" content="2024-01-01"><meta name="dcterms.modified" content="2024-01-01">
<style>
@page { size: A6; margin: 12mm; @footnote { border-top: 0.5pt solid black; } }
body { font: 9pt "Press Serif"; }
li::marker { color: rgb(200, 0, 0); }
.note { float: footnote; }
.note::footnote-call { color: rgb(0, 0, 200); font-weight: bold; }
.note::footnote-marker { content: "[" counter(footnote) "] "; }
</style></head><body>
<ol><li>first item</li><li id="second">second item</li></ol>
<p>A paragraph with a note<span class="note">The note's text.</span> in it.</p>
PARAGRAPHS
</body></html>""".replace("PARAGRAPHS", "".join(f"<p>Paragraph <b>{n}</b> with <i>inline</i> boxes.</p>"
                            for n in range(40)))


def test_the_same_pdf_as_styles_computed_up_front():
    weasyprint = load()
    on_demand = weasyprint.HTML(string=DOCUMENT).write_pdf(pdf_identifier=False)
    with patches_off(pseudo):
        up_front = weasyprint.HTML(string=DOCUMENT).write_pdf(pdf_identifier=False)
    assert on_demand == up_front


def test_only_the_pseudo_elements_with_boxes_get_a_style(monkeypatch):
    weasyprint = load()
    made = []
    original = weasyprint.document.get_all_computed_styles

    def keep(*args, **kwargs):
        made.append(original(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(weasyprint.document, "get_all_computed_styles", keep)
    weasyprint.HTML(string=DOCUMENT).render()
    computed = made[0].get_computed_styles()
    elements = sum(1 for _, kind in computed if kind is None)
    kinds = sorted(kind for _, kind in computed if kind in pseudo.DEFERRED)
    # two list markers, one footnote call and one footnote marker, out of ~6 per element
    assert kinds == ["footnote-call", "footnote-marker", "marker", "marker"]
    assert elements > 100
