"""An article's blocks in one language -> HTML, with footnotes numbered per article.

The loader (renderer.load.article) found the blocks: paragraphs, subheads, lists,
quotes, tables and `:::` containers, each one "paragraph" for pairing, and the
footnote definitions. Here one language's blocks and notes are parsed again as one
Markdown document (`block_source`, so a footnote's number is its order of first
reference in the article), every run of inline text gets the language's typography
(renderer.prepare.typography, which works on one leaf's inline HTML: a paragraph, a
list item, a table cell), and each block is rendered to HTML on its own.

Footnote references print as superscript numbers (`<sup class="fn-ref">`), and the
notes as `<p class="footnote">` paragraphs, each starting with its number: in the
article's last row, English notes in the English column, Chinese in the Chinese one.
"""

from __future__ import annotations

from dataclasses import dataclass

from markdown_it.token import Token

from renderer.load.article import block_groups, block_kind, block_parser, block_source
from renderer.model import Paragraph
from renderer.prepare import typography

# A footnote reference stands as one private-use character while typography runs (so
# no mark or joiner lands inside it), then becomes its superscript number.
REFERENCE_BASE = 0xF0000
NOTE_LABEL = {"en": "Editor’s note", "zh": "编者按"}
CONTAINER_CLASS = {"box": "box", "note": "editors-note", "pullquote": "pullquote",
                   "wide": "wide"}


@dataclass(frozen=True)
class Rendered:
    blocks: tuple[str, ...]  # one HTML fragment per block
    kinds: tuple[str, ...]   # the block's kind (model.Paragraph.kind)
    notes: str | None        # the footnotes' HTML, or None


def render(blocks: tuple[Paragraph, ...], notes: tuple[Paragraph, ...], language: str
           ) -> Rendered:
    md = block_parser()
    env: dict = {"language": language}
    tokens = md.parse(block_source(blocks, notes), env)
    prepare = typography.prepare_en_html if language == "en" else typography.prepare_zh_html
    for token in tokens:
        if token.type == "inline":
            _typeset_inline(md, token, env, prepare)
    groups, note_group = block_groups(tokens)
    if len(groups) != len(blocks):  # the loader checked this; a mismatch is a bug
        raise AssertionError(f"{len(blocks)} blocks parsed as {len(groups)}")
    html = tuple(_finish(_render_group(md, group, env, language)) for group in groups)
    return Rendered(blocks=html, kinds=tuple(block_kind(g) for g in groups),
                    notes=_render_notes(note_group, language))


def _typeset_inline(md, token: Token, env: dict, prepare) -> None:
    """The token's inline HTML with the language's typography, as one raw child."""
    children = []
    for child in token.children or ():
        if child.type == "footnote_ref":
            child = Token("html_inline", "", 0, content=chr(REFERENCE_BASE + child.meta["id"]))
        children.append(child)
    inner = prepare(md.renderer.renderInline(children, md.options, env).strip())
    token.children = [Token("html_inline", "", 0, content=inner)]


def _finish(fragment: str) -> str:
    """Footnote placeholders -> superscript numbers."""
    out = []
    for char in fragment:
        code = ord(char)
        if REFERENCE_BASE <= code < REFERENCE_BASE + 0x10000:
            out.append(f'<sup class="fn-ref">{code - REFERENCE_BASE + 1}</sup>')
        else:
            out.append(char)
    return "".join(out)


def _render_group(md, group: list[Token], env: dict, language: str) -> str:
    tokens = []
    for token in group:
        if token.type == "heading_open" or token.type == "heading_close":
            token.tag = "h3" if int(token.tag[1]) <= 3 else "h4"
            if token.nesting == 1:
                token.attrSet("class", "subhead")
        if token.type == "container_block_open":
            name = CONTAINER_CLASS.get(token.info.strip().split()[0].lower(), "box")
            tokens.append(Token("html_block", "", 0,
                                content=f'<div class="{name}">\n'))
            if name == "editors-note":
                tokens.append(Token("html_block", "", 0, content=(
                    f'<p class="note-label">{NOTE_LABEL[language]}</p>\n')))
            continue
        if token.type == "container_block_close":
            tokens.append(Token("html_block", "", 0, content="</div>\n"))
            continue
        tokens.append(token)
    return md.renderer.render(tokens, md.options, env).strip()


def _render_notes(group: list[Token], language: str) -> str | None:
    notes: list[tuple[int, list[str]]] = []
    for token in group:
        if token.type == "footnote_open":
            notes.append((token.meta["id"] + 1, []))
        elif token.type == "inline" and notes:
            notes[-1][1].append(token.children[0].content if token.children else "")
    if not notes:
        return None
    separator = " " if language == "en" else ""
    return "\n".join(
        f'<p class="footnote"><span class="fn-num">{number}</span> '
        f'{_finish(separator.join(parts))}</p>' for number, parts in notes)
