"""The email edition's structure tree read as a screen reader reads it (ISO 14289-1; Matterhorn 01-005, 01-006, 09-001, 11-001, 13-004, 15-003, 28-010): each article's English straight through, then its Chinese; no layout tables; every mark in the tree or an artifact."""

from __future__ import annotations

import ctypes
import io
import re
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as raw
import pytest

from renderer.load import load_issue
from renderer.text import is_han
from tests.conftest import CORPUS_ISSUES, SAMPLE, SECOND_SAMPLE

CORPUS = CORPUS_ISSUES
pytestmark = pytest.mark.xdist_group("corpus")
LAYOUT = {"/Table", "/TR", "/TD", "/TH", "/THead", "/TBody", "/TFoot"}


@pytest.fixture(params=[SAMPLE, SECOND_SAMPLE, *CORPUS], ids=lambda folder: folder.name)
def email(request, sample_build):
    """(issue folder, its email edition): both sample issues and the corpus."""
    if request.param == SAMPLE:
        return SAMPLE, sample_build["email"]
    if request.param == SECOND_SAMPLE:
        return SECOND_SAMPLE, request.getfixturevalue("second_sample_build")["email"]
    return request.param, request.getfixturevalue("corpus_builds")[request.param]["email"]


# --- the page as drawn: every page object, its marks, the text of each marked sequence --

def _utf16(getter) -> str:
    size = getter(_wide(ctypes.create_string_buffer(2)), 0)
    if size <= 2:
        return ""
    buffer = ctypes.create_string_buffer(size)
    getter(_wide(buffer), size)
    return buffer.raw[:size - 2].decode("utf-16-le")


def _wide(buffer):
    return ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort))


def page_objects(path: Path):
    """Per page: (kind, mark names outermost first, MCID or -1, text) for every object."""
    document = pdfium.PdfDocument(path)
    pages = []
    for page in document:
        textpage = page.get_textpage()
        objects = []
        for obj in page.get_objects(max_depth=8):
            names = []
            for index in range(raw.FPDFPageObj_CountMarks(obj.raw)):
                mark = raw.FPDFPageObj_GetMark(obj.raw, index)
                length = ctypes.c_ulong()
                buffer = ctypes.create_string_buffer(256)
                raw.FPDFPageObjMark_GetName(mark, _wide(buffer), 256, ctypes.byref(length))
                names.append(buffer.raw[:max(length.value - 2, 0)].decode("utf-16-le"))
            text = ""
            if obj.type == raw.FPDF_PAGEOBJ_TEXT:
                text = _utf16(lambda buffer, size, obj=obj, textpage=textpage:
                              raw.FPDFTextObj_GetText(obj.raw, textpage.raw, buffer, size))
            objects.append((obj.type, names, raw.FPDFPageObj_GetMarkedContentID(obj.raw), text))
        pages.append(objects)
    return pages


def mcid_texts(pages) -> dict[tuple[int, int], str]:
    texts: dict[tuple[int, int], str] = {}
    for number, objects in enumerate(pages):
        for _kind, _names, mcid, text in objects:
            if mcid >= 0:
                texts[number, mcid] = texts.get((number, mcid), "") + text
    return texts


# --- the tree as a screen reader walks it --------------------------------------------

def walk(pdf: pikepdf.Pdf):
    """Depth first, in /K order: (element, its language, ancestors, kid) for every
    marked-content reference, annotation reference and childless /Figure."""
    pages = {page.objgen: number for number, page in enumerate(pdf.pages)}

    def visit(element, lang, ancestors):
        lang = str(element.Lang) if "/Lang" in element else lang
        kids = element.get("/K", pikepdf.Array())
        kids = kids if isinstance(kids, pikepdf.Array) else [kids]
        if not kids:
            yield element, lang, ancestors, None
        for kid in kids:
            if isinstance(kid, int):
                yield element, lang, ancestors, (pages[element.Pg.objgen], int(kid))
            elif kid.get("/Type") == "/MCR":
                page = kid.get("/Pg", element.get("/Pg"))
                yield element, lang, ancestors, (pages[page.objgen], int(kid.MCID))
            elif kid.get("/Type") == "/OBJR":
                yield element, lang, ancestors, kid
            else:
                yield from visit(kid, lang, [*ancestors, element])

    root = pdf.Root.StructTreeRoot
    for top in (root.K if isinstance(root.K, pikepdf.Array) else [root.K]):
        yield from visit(top, str(pdf.Root.Lang), [])


def elements(pdf: pikepdf.Pdf, below=None):
    """Every structure element of the tree (or below one element)."""
    stack = [pdf.Root.StructTreeRoot.K if below is None else below.K]
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Array):
            stack.extend(node)
        elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
            yield node
            if "/K" in node:
                stack.append(node.K)


def squeeze(text: str) -> str:
    text = re.sub(r"[\u00ad\u2010\x02-]\s*[\r\n]+", "", text)
    return re.sub(r"\s+", "", text)


def runs(items):
    """Consecutive equal items collapsed: the languages a reader hears, in turn."""
    out = []
    for item in items:
        if not out or out[-1][0] != item[0]:
            out.append([item[0], []])
        out[-1][1].append(item[1])
    return out


def in_order(needles: list[str], haystack: str, where: str) -> None:
    position = 0
    for needle in needles:
        found = haystack.find(needle, position)
        assert found >= 0, f"{where}: {needle!r} missing or out of order"
        position = found + len(needle)


def start(text: str) -> str:
    """The first 20 characters the reader hears of a Markdown block: its inline text
    (a list's items, a table's cells, a box's paragraphs), without the marks."""
    from renderer.load.article import block_parser

    tokens = block_parser().parse(text, {})
    # the first inline run (a list's first item, a table's first cell): a list's numbers,
    # which a reader does hear, stand between the items
    text = next((t.content for t in tokens if t.type == "inline" and t.content), text)
    text = re.sub(r"\[\^[^\]]*\]", "", text)  # a footnote reference: only its number
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link: its text
    return squeeze(re.sub(r"[*_`\[\]]", "", text))[:20]


def test_each_article_reads_english_straight_through_then_chinese(email):
    folder, path = email
    issue = load_issue(folder)
    texts = mcid_texts(page_objects(path))
    with pikepdf.open(path) as pdf:
        articles: list[list[tuple[str, str]]] = []
        last = None
        for _element, lang, ancestors, kid in walk(pdf):
            art = next((a for a in ancestors if a.S == "/Art"), None)
            if art is None or not isinstance(kid, tuple):
                continue
            if art.objgen != last:
                articles.append([])
                last = art.objgen
            articles[-1].append((lang, texts.get(kid, "")))
    assert len(articles) == len(issue.articles), "one /Art per article"
    for article, heard in zip(issue.articles, articles):
        where = f"{folder.name}/{article.path.name}"
        languages = runs(heard)
        expected = {None: ["en", "zh-Hans"], "en": ["en"], "zh": ["zh-Hans"]}[article.language]
        assert [lang for lang, _ in languages] == expected, where
        heard_by = {lang: squeeze("\n".join(texts)) for lang, texts in languages}
        if "en" in heard_by:
            english = heard_by["en"]
            assert not any(is_han(c) for c in english), f"{where}: Chinese in the English run"
            in_order([start(article.title.en)] + [start(p.text) for p in article.en],
                     english, where + " (English)")
        if "zh-Hans" in heard_by:
            in_order([start(p.text) for p in article.zh], heard_by["zh-Hans"],
                     where + " (Chinese)")


def test_no_layout_tables_and_articles_are_sections_per_language(email):
    _folder, path = email
    with pikepdf.open(path) as pdf:
        roles = [str(e.S) for e in elements(pdf)]
        assert "/NonStruct" not in roles
        for table in (e for e in elements(pdf) if e.S == "/Table"):
            # only a real data table (a pipe table of an article) stays a table: it has
            # header cells with their scope; a layout table would have none
            headers = [e for e in elements(pdf, table) if e.S == "/TH"]
            assert headers and all("/Scope" in (h.get("/A") or {}) for h in headers), \
                "a layout table is tagged as a table"
        if "/Table" not in roles:
            assert not LAYOUT & set(roles), "a layout table is tagged as a table"
        for art in (e for e in elements(pdf) if e.S == "/Art"):
            sections = list(art.K)
            assert {str(s.S) for s in sections} == {"/Sect"}
            assert [str(s.Lang) for s in sections] in (["en", "zh-Hans"], ["en"], ["zh-Hans"])


def test_every_mark_is_in_the_tree_or_an_artifact(email):
    """Matterhorn 01-005 (content neither tagged nor an artifact), 01-001/01-006 (tree
    and content agree), and the /ParentTree maps each marked-content ID to its element."""
    _folder, path = email
    pages = page_objects(path)
    with pikepdf.open(path) as pdf:
        held = {}
        for element, _lang, _ancestors, kid in walk(pdf):
            if isinstance(kid, tuple):
                assert kid not in held, f"marked content {kid} in the tree twice"
                held[kid] = element
        for number, objects in enumerate(pages):
            for kind, names, mcid, text in objects:
                if kind == raw.FPDF_PAGEOBJ_FORM:
                    continue
                assert "Artifact" in names or (number, mcid) in held, (
                    f"page {number + 1}: object {kind} {text!r} marks {names} is neither "
                    "in the structure tree nor an artifact")
        marked = set()  # every marked-content ID in the content streams, empty ones too
        for number, page in enumerate(pdf.pages):
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) == "BDC" and isinstance(operands[1], pikepdf.Dictionary) \
                        and "/MCID" in operands[1]:
                    assert str(operands[0]) != "/Artifact"
                    marked.add((number, int(operands[1].MCID)))
        assert set(held) == marked, "tree and content streams disagree on marked content"
        nums = pdf.Root.StructTreeRoot.ParentTree.Nums
        tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        for (number, mcid), element in held.items():
            key = int(pdf.pages[number].StructParents)
            assert tree[key][mcid].objgen == element.objgen, (number, mcid)
        for number, page in enumerate(pdf.pages):
            annotations = page.get("/Annots", [])
            if len(annotations):
                assert page.Tabs == "/S", f"page {number + 1}: /Tabs /S"
            for annotation in annotations:
                link = tree[int(annotation.StructParent)]
                assert link.S == "/Link"
                assert any(isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR"
                           and k.Obj.objgen == annotation.objgen for k in link.K)


def test_contents_is_a_toc_of_links_and_figures_speak_their_section(email):
    _folder, path = email
    with pikepdf.open(path) as pdf:
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) is True
        toc = [e for e in elements(pdf) if e.S == "/TOC"]
        assert len(toc) == 1
        entries = [k for k in toc[0].K if k.S == "/TOCI"]
        assert entries and all(any(k.get("/S") == "/Link" for k in e.K if
                                   isinstance(k, pikepdf.Dictionary)) for e in entries)
        for element, lang, ancestors, _kid in walk(pdf):
            if element.S != "/Figure":
                continue
            section = next(a for a in reversed(ancestors) if a.S == "/Sect")
            alt = str(element.Alt)
            assert lang == str(section.Lang) and alt, "a /Figure speaks its section's language"
            assert any(is_han(c) for c in alt) == (lang == "zh-Hans"), alt


def test_data_tables_keep_their_headers_and_presentation_tables_go():
    from renderer.typeset import finish
    from renderer.typeset.weasyprint70 import load

    weasyprint = load()
    html = """<html lang="en"><body><article>
      <table role="presentation"><tr><td lang="en"><p>Left</p></td>
        <td lang="zh-Hans"><p>右边</p></td></tr></table>
      <table><tr><th>Port</th><th scope="col">Tonnes</th></tr>
        <tr><th scope="row">Chongqing</th><td>12</td></tr></table>
    </article></body></html>"""
    pdf = weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
    pdf = finish.finish(pdf, "email", bleed_mm=0, document_id="0" * 32)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        roles = [str(e.S) for e in elements(document)]
        assert roles.count("/Table") == 1 and roles.count("/TH") == 3
        scopes = sorted(str(e.A.Scope) for e in elements(document) if e.S == "/TH")
        assert scopes == ["/Column", "/Column", "/Row"]
        art = next(e for e in elements(document) if e.S == "/Art")
        assert [str(s.Lang) for s in art.K] == ["en", "zh-Hans"]
