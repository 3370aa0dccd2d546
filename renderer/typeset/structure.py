"""The email edition's structure tree rewritten to follow meaning, not layout (ISO 14289-1, 7.1, 7.2, 7.18.5; Matterhorn 01-001, 01-005, 01-006, 09-001, 09-004, 11-001, 11-005, 13-004, 15-003, 28-010).

What WeasyPrint 70 writes (with the patch of ``weasyprint70.tags``) is the HTML box tree
page by page: an article over three pages is three ``/Art``s, a paragraph over a page
break two ``/P``s, each line a ``/Span``, and the paired columns a table. This pass, on
the written file with pikepdf:

1. joins the pieces of one HTML element split over pages (``/PressNode``);
2. folds each line's ``/Span`` (no attributes, marked content only) into its parent, and
   keeps a link's annotation (``/OBJR``) on its ``/Link`` alone;
3. drops ``/NonStruct`` groups (layout tables made presentational in the template),
   lifting their children into place;
4. regroups every ``/Art`` into one ``/Sect`` per language, in the order the languages
   first appear, splitting mixed elements (a caption of two columns) in two: a screen
   reader reads the English straight through, then the Chinese;
5. writes ``/K``, ``/P``, ``/Pg``, ``/Lang`` (only where it changes) and a new
   ``/ParentTree`` in which every marked-content ID maps to its new parent;
6. marks what the tree no longer holds (running heads and folios: WeasyPrint leaves their
   text out of the tree) as ``/Artifact /Pagination`` in the content streams, and sets
   ``/Tabs /S`` on every page with annotations.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

GROUPING = {"/NonStruct"}  # flattened: layout, anonymous boxes
BDC = re.compile(rb"/(\w+)\n<</MCID (\d+)>>\nBDC")


@dataclass
class Content:
    """A marked-content sequence (``page``, ``mcid``) or an annotation (``objr``)."""

    page: object = None
    mcid: int | None = None
    objr: object = None
    lang: str | None = None  # the language of the element that held it as written


@dataclass
class Node:
    obj: object
    kids: list = field(default_factory=list)

    @property
    def s(self) -> str:
        return str(self.obj.S)

    @property
    def lang(self) -> str | None:
        return str(self.obj.Lang) if "/Lang" in self.obj else None

    @property
    def key(self):
        node = self.obj.get("/PressNode")
        return None if node is None else (int(node), self.s)

    def pages(self):
        for kid in self.kids:
            if isinstance(kid, Node):
                yield from kid.pages()
            elif kid.page is not None:
                yield kid.page

    def first_page(self):
        return next(self.pages(), None)


def restructure(document) -> None:
    """Rewrite the tagged email edition ``document`` (a ``pikepdf.Pdf``) in place."""
    import pikepdf

    root = document.Root.StructTreeRoot
    top = root.K[0] if isinstance(root.K, pikepdf.Array) else root.K
    document_lang = str(document.Root.Lang) if "/Lang" in document.Root else None
    tree = _read(top, document_lang)
    _join(tree)
    _fold(tree, inside_link=False)
    tree.kids = _flatten(tree.kids)
    _regroup(document, tree)
    parents: dict = {}
    annotations: dict = {}
    _write(document, tree, root, document_lang, parents, annotations)
    root.K = pikepdf.Array([tree.obj])
    _parent_tree(document, root, parents, annotations)
    _artifacts(document, parents)
    for page in document.pages:
        if page.get("/Annots"):
            page.Tabs = pikepdf.Name.S


def _read(obj, inherited: str | None) -> Node:
    import pikepdf

    node = Node(obj)
    lang = node.lang or inherited
    kids = obj.get("/K")
    if kids is None:
        kids = []
    elif not isinstance(kids, pikepdf.Array):
        kids = [kids]
    for kid in kids:
        if isinstance(kid, int):
            node.kids.append(Content(page=obj.Pg, mcid=int(kid), lang=lang))
        elif isinstance(kid, pikepdf.Dictionary):
            kind = kid.get("/Type")
            if kind == "/MCR":
                node.kids.append(Content(page=kid.get("/Pg", obj.get("/Pg")),
                                         mcid=int(kid.MCID), lang=lang))
            elif kind == "/OBJR":
                node.kids.append(Content(objr=kid))  # a link: no language of its own
            elif "/S" in kid:
                node.kids.append(_read(kid, lang))
    return node


def _join(node: Node) -> None:
    """One element per HTML element: the piece on the next page continues the last piece
    on the page before (the same element, the same structure type)."""
    kids: list = []
    for kid in node.kids:
        if isinstance(kid, Node) and kids and isinstance(kids[-1], Node):
            last = kids[-1]
            if kid.key is not None and kid.key == last.key and _page_index(kid) != _page_index(last):
                last.kids.extend(kid.kids)
                continue
        kids.append(kid)
    node.kids = kids
    for kid in node.kids:
        if isinstance(kid, Node):
            _join(kid)


def _page_index(node: Node):
    page = node.obj.get("/Pg")
    return None if page is None else page.objgen


def _fold(node: Node, *, inside_link: bool) -> list:
    """Lines' ``/Span``s into their parent. WeasyPrint gives every box of a link its own
    annotation and ``/OBJR``: they all go to the ``/Link`` (returned to it, in order)."""
    kids: list = []
    hoisted: list = []
    for kid in node.kids:
        if isinstance(kid, Node):
            hoisted.extend(_fold(kid, inside_link=inside_link or node.s == "/Link"))
            if kid.s == "/Span" and _plain(kid.obj) and all(
                    isinstance(k, Content) and k.objr is None for k in kid.kids):
                kids.extend(kid.kids)
                continue
        elif kid.objr is not None and inside_link and node.s != "/Link":
            hoisted.append(kid)
            continue
        kids.append(kid)
    if node.s == "/Link":
        seen = {k.objr.Obj.objgen for k in kids if isinstance(k, Content) and k.objr}
        for objr in hoisted:
            if objr.objr.Obj.objgen not in seen:
                seen.add(objr.objr.Obj.objgen)
                kids.insert(len(seen) - 1, objr)
        hoisted = []
    node.kids = kids
    return hoisted


def _plain(obj) -> bool:
    return set(obj.keys()) <= {"/Type", "/S", "/K", "/P", "/Pg"}


def _flatten(kids: list) -> list:
    flat: list = []
    for kid in kids:
        if isinstance(kid, Node):
            kid.kids = _flatten(kid.kids)
            if kid.s in GROUPING:
                flat.extend(kid.kids)
                continue
            if not kid.kids and "/Alt" not in kid.obj:
                continue  # nothing drawn, nothing said
        flat.append(kid)
    return flat


def _regroup(document, node: Node) -> None:
    import pikepdf

    for kid in node.kids:
        if not isinstance(kid, Node):
            continue
        if kid.s != "/Art":
            _regroup(document, kid)
            continue
        sections: dict[str, list] = {}
        for part in kid.kids:
            for lang, piece in _split(document, part, kid.lang):
                sections.setdefault(lang, []).append(piece)
        kid.kids = [Node(document.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.StructElem, S=pikepdf.Name.Sect, Lang=pikepdf.String(lang))),
            pieces) for lang, pieces in sections.items()]


def _languages(node, inherited: str | None) -> list[str]:
    """The languages of what ``node`` holds, in order."""
    if isinstance(node, Content):
        return [node.lang or inherited]
    lang = node.lang or inherited
    found = [lang] if node.s == "/Figure" else []
    for kid in node.kids:
        for language in _languages(kid, lang):
            if language not in found:
                found.append(language)
    return found


def _split(document, node, inherited: str | None) -> list[tuple[str, object]]:
    """``node`` as (language, piece) pairs: itself when it holds one language, else a
    copy of it per language holding that language's part."""
    languages = _languages(node, inherited)
    if len(languages) <= 1:
        return [(languages[0] if languages else inherited, node)]
    import pikepdf

    lang = node.lang or inherited
    parts: dict[str, list] = {}
    for kid in node.kids:
        for language, piece in ([(kid.lang or lang, kid)] if isinstance(kid, Content)
                                else _split(document, kid, lang)):
            parts.setdefault(language, []).append(piece)
    pieces = []
    for index, (language, kids) in enumerate(parts.items()):
        if index == 0:
            obj = node.obj
        else:
            obj = document.make_indirect(pikepdf.Dictionary(
                {k: v for k, v in node.obj.items() if k not in {"/K", "/P", "/PressNode"}}))
        obj.Lang = pikepdf.String(language)
        pieces.append((language, Node(obj, kids)))
    return pieces


def _write(document, node: Node, parent, inherited: str | None, parents: dict,
           annotations: dict) -> None:
    import pikepdf

    obj = node.obj
    obj.P = parent
    if "/PressNode" in obj:
        del obj.PressNode
    lang = node.lang
    if lang is not None and lang == inherited and node.s != "/Sect":
        del obj.Lang
    lang = lang or inherited
    page = node.first_page()
    if page is not None and ("/Pg" not in obj or not any(
            p.objgen == obj.Pg.objgen for p in node.pages())):
        obj.Pg = page
    kids = pikepdf.Array()
    for kid in node.kids:
        if isinstance(kid, Node):
            _write(document, kid, obj, lang, parents, annotations)
            kids.append(kid.obj)
        elif kid.lang is not None and kid.lang != lang:  # its holder was flattened away
            span = Node(document.make_indirect(pikepdf.Dictionary(
                Type=pikepdf.Name.StructElem, S=pikepdf.Name.Span,
                Lang=pikepdf.String(kid.lang))), [kid])
            _write(document, span, obj, lang, parents, annotations)
            kids.append(span.obj)
        elif kid.objr is not None:
            kids.append(kid.objr)
            annotations[int(kid.objr.Obj.StructParent)] = obj
        else:
            parents.setdefault(kid.page.objgen, {})[kid.mcid] = obj
            if "/Pg" in obj and kid.page.objgen == obj.Pg.objgen:
                kids.append(kid.mcid)
            else:
                kids.append(pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=kid.page,
                                               MCID=kid.mcid))
    obj.K = kids


def _parent_tree(document, root, parents: dict, annotations: dict) -> None:
    """A new ``/ParentTree``: per page, its marked-content IDs to their elements; per
    link annotation, its ``/Link`` (keys as WeasyPrint numbered them)."""
    import pikepdf

    nums = pikepdf.Array()
    for index, page in enumerate(document.pages):
        mapping = parents.get(page.obj.objgen, {})
        page.obj.StructParents = index
        size = max(mapping, default=-1) + 1
        nums.extend([index, document.make_indirect(pikepdf.Array(
            [mapping.get(mcid, None) for mcid in range(size)]))])
    for key in sorted(annotations):
        nums.extend([key, annotations[key]])
    root.ParentTree = document.make_indirect(pikepdf.Dictionary(Nums=nums))
    root.ParentTreeNextKey = max([*annotations, len(document.pages) - 1]) + 1


def _artifacts(document, parents: dict) -> None:
    """Marked content the tree does not hold (running heads, folios) becomes an
    artifact; the drawing stays byte for byte the same."""
    import pikepdf

    for page in document.pages:
        held = parents.get(page.obj.objgen, {})
        contents = page.obj.Contents
        streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
        for stream in streams:
            data = stream.read_bytes()

            def artifact(match, held=held):
                if int(match.group(2)) in held:
                    return match.group(0)
                return b"/Artifact\n<</Type /Pagination>>\nBDC"

            rewritten = BDC.sub(artifact, data)
            if rewritten != data:
                stream.write(zlib.compress(rewritten, 9), filter=pikepdf.Name.FlateDecode)
