"""The email edition read back: tagged, languages marked, navigable, RGB, small."""

from __future__ import annotations

import pikepdf
import pypdfium2 as pdfium


def struct_elements(pdf: pikepdf.Pdf):
    """Every structure element of the tag tree, depth first."""
    stack = [pdf.Root.StructTreeRoot]
    seen = set()
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Array):
            stack.extend(node)
            continue
        if not isinstance(node, pikepdf.Dictionary) or node.objgen in seen:
            continue
        if node.objgen != (0, 0):
            seen.add(node.objgen)
        if "/S" in node:
            yield node
        if "/K" in node:
            stack.append(node.K)


def test_email_pdf_is_tagged_with_both_languages(sample_build):
    with pikepdf.open(sample_build["email"]) as pdf:
        assert "/StructTreeRoot" in pdf.Root
        assert bool(pdf.Root.MarkInfo.Marked) is True
        assert str(pdf.Root.Lang) == "en"
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) is True
        languages = {str(e.Lang) for e in struct_elements(pdf) if "/Lang" in e}
        assert {"en", "zh-Hans"} <= languages
        roles = {str(e.S) for e in struct_elements(pdf)}
        assert {"/Art", "/Sect", "/TOC", "/TOCI", "/Link", "/P", "/H1"} <= roles
        assert not {"/Table", "/TR", "/TD"} & roles, "layout tables are presentational"


def test_email_figures_have_alt_text(sample_build):
    with pikepdf.open(sample_build["email"]) as pdf:
        figures = [e for e in struct_elements(pdf) if str(e.S) == "/Figure"]
        assert figures, "the sample has a figure"
        assert len(figures) % 2 == 0, "each picture described once per language"
        for figure in figures:
            alt = str(figure.get("/Alt", ""))
            assert " / " not in alt and len(alt) > 5


def test_email_contents_entries_link_to_their_articles(sample_build):
    document = pdfium.PdfDocument(sample_build["email"])
    with pikepdf.open(sample_build["email"]) as pdf:
        links = [a for a in pdf.pages[0].get("/Annots", []) if a.Subtype == "/Link"]
        assert len(links) >= 7
        # Each link goes to a named destination or page beyond the cover.
        for link in links:
            assert "/Dest" in link or "/A" in link
    assert len(document) > 1


def test_email_edition_has_no_cmyk_and_no_bleed(sample_build):
    with pikepdf.open(sample_build["email"]) as pdf:
        assert "/OutputIntents" not in pdf.Root or all(
            str(i.S) != "/GTS_PDFX" for i in pdf.Root.OutputIntents)
        for page in pdf.pages:
            assert "/TrimBox" not in page or list(page.TrimBox) == list(page.MediaBox)
            for _operands, operator in pikepdf.parse_content_stream(page):
                assert str(operator) not in {"k", "K"}


def test_email_edition_is_small(sample_build):
    # the size target of the sample's email edition: 210 KB (the Chinese running heads
    # use the titles' bold face, whose glyphs are embedded already)
    assert sample_build["email"].stat().st_size <= 210 * 1024
