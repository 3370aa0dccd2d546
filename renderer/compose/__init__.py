"""Compose stage: PreparedIssue -> one HTML document per edition (Jinja2).

The templates and stylesheets live in styles/; this module only chooses them,
fills in the per-edition values (page size, bleed, theme colours as CMYK or
RGB) and hands back the HTML text with every URL it may load relative to the
styles folder, so the typesetter's fetcher can keep to project assets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import jinja2
import yaml
from markupsafe import Markup

from renderer.assets import CMYK_PROFILE, STYLES, THEME
from renderer.model import PreparedIssue
from renderer.policy import BINDING_PAGE_MULTIPLE, EDITIONS, PAGE_SIZES_MM, page_size_mm
from renderer.prepare import fonts, page, theme
from renderer.text import has_han

# Order matters: later sheets refine earlier ones.
STYLESHEETS = {
    "print": ("fonts.css", "base.css", "cjk.css", "print.css"),
    "email": ("fonts.css", "base.css", "cjk.css", "email.css"),
}
# The CSS bleed is the manifest's bleed plus room for the crop marks, which
# WeasyPrint draws in the outer half of the CSS bleed; the typesetter then sets
# the PDF BleedBox to the manifest's bleed alone.
MARKS_OFFSET_MM = 6.0
LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)
TAGS = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Composed:
    edition: str
    html: str
    base_url: str  # URLs in the HTML resolve against the styles folder
    # A bound edition's page count must be a multiple of this: the HTML has this many
    # less one padding pages before the back cover, their ids starting PADDING_ID,
    # and the typesetter keeps only the ones the page count needs.
    page_multiple: int | None = None
    # No @font-face of the document's own (no font supplements): the typesetter may use
    # one font configuration, and the linked sheets parsed with it, for many documents.
    bundled_fonts_only: bool = True
    # The pictures, by the short URL the HTML names them with (IMAGE_SCHEME): the
    # typesetter's fetcher serves them. Inline as data: URLs they were megabytes of base64
    # that WeasyPrint's pure-Python HTML tokenizer read character by character: about
    # 40 ms a megabyte (0.16 s of the 105-article print edition's 5 s), and a copy of
    # every picture in each edition's HTML string (the 2,002-article issue's print HTML
    # was 130 MB).
    images: dict[str, str] = field(default_factory=dict)  # URL -> data: URL

    def standalone_html(self) -> str:
        """The HTML with its pictures inline, for a reader without the press's fetcher
        (plain WeasyPrint in the benchmarks)."""
        return re.sub(rf'src="({IMAGE_SCHEME}:\d+)"',
                      lambda match: f'src="{self.images[match[1]]}"', self.html)


IMAGE_SCHEME = "press-image"


PADDING_ID = "press-padding-"  # then 1, 2, 3


def compose(prepared: PreparedIssue, edition: str) -> Composed:
    if edition not in EDITIONS:
        raise ValueError(f"unknown edition {edition!r}")
    issue = prepared.issue
    back_cover = has_back_cover(issue, edition)
    multiple = BINDING_PAGE_MULTIPLE[issue.print.binding] if back_cover else None
    template = _environment().get_template("issue.html.j2")
    image_urls: dict[str, str] = {}  # data: URL -> the short URL the HTML names it by
    html = template.render(
        issue=issue, articles=prepared.articles, edition=edition, image_urls=image_urls,
        stylesheets=[(sheet.name, Markup(sheet.text)) for sheet in stylesheets(
            edition, issue.page_size, issue.print.bleed_mm, font_css=prepared.font_css)],
        month=prepared.month, issue_line=prepared.issue_line,
        published=issue.published.isoformat() if issue.published else "",
        padding_ids=[f"{PADDING_ID}{n}" for n in range(1, multiple)] if multiple else [],
        back_cover=back_cover,
        qr=qr_modules(issue.web_url) if issue.web_url else None,
        cover=_cover_story(prepared), cover_image=prepared.cover_image, logo=prepared.logo)
    return Composed(edition=edition, html=html, base_url=STYLES.as_uri() + "/",
                    page_multiple=multiple, bundled_fonts_only=not prepared.font_css,
                    images={url: data_url for data_url, url in image_urls.items()})


@dataclass(frozen=True)
class Sheet:
    """One stylesheet of the document: a file of styles/ as it is (``name``, linked, so
    the typesetter can parse it once for many documents) or text made for this issue."""

    name: str | None = None
    text: str = ""


def stylesheets(edition: str, page_size: str, bleed_mm: float, *,
                font_css: str = "") -> list[Sheet]:
    """The edition's stylesheets in cascade order: per-edition values, then the static
    sheets (the build-time font supplements, `font_css`, right after the bundled
    fonts.css; with them, every font stack names them too, so no sheet is linked as is)."""
    values = _environment().get_template("edition.css.j2").render(
        edition=edition, page_size=page_size, bleed_mm=bleed_mm,
        marks_offset_mm=MARKS_OFFSET_MM, side_margin_mm=page.side_margin_mm(page_size),
        page_mm=page_size_mm(page_size), named_size=page_size in PAGE_SIZES_MM,
        zh_body_pt=page.zh_body_pt(page_size), en_body_pt=page.en_body_pt(page_size),
        zh_column_pt=page.chinese_column_pt(page_size),
        cmyk_profile=CMYK_PROFILE.relative_to(STYLES).as_posix(),
        colors=theme_colors(edition), hanging_punctuation=theme.hanging_punctuation(edition))
    if not font_css:
        return [Sheet(text=values), *(Sheet(name=name) for name in STYLESHEETS[edition])]
    families = fonts.supplemented_families(font_css)
    sheets = [Sheet(text=_read_style(name) if name == "fonts.css"
                    else fonts.extend_stacks(_read_style(name), families))
              for name in STYLESHEETS[edition]]
    sheets.insert(STYLESHEETS[edition].index("fonts.css") + 1, Sheet(text=font_css))
    return [Sheet(text=fonts.extend_stacks(values, families)), *sheets]


def stylesheet(edition: str, page_size: str, bleed_mm: float, *, font_css: str = "") -> str:
    """The edition's whole stylesheet as one text (what `stylesheets` gives, in order)."""
    return "\n".join(sheet.text or _read_style(sheet.name) for sheet in stylesheets(
        edition, page_size, bleed_mm, font_css=font_css))


@cache
def theme_colors(edition: str) -> dict[str, str]:
    spec = yaml.safe_load(THEME.read_text(encoding="utf-8"))["colors"]
    if edition == "print":
        return {name: theme.css_cmyk(cmyk) for name, cmyk in spec.items()}
    return {name: theme.css_rgb(theme.cmyk_to_srgb(cmyk, CMYK_PROFILE))
            for name, cmyk in spec.items()}


@cache
def _read_style(name: str) -> str:
    return (STYLES / name).read_text(encoding="utf-8")


@cache
def _environment() -> jinja2.Environment:
    """One environment for both editions: each template is compiled once per process
    (0.08 s for issue.html.j2 and edition.css.j2, which the second edition paid again)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(STYLES),
        autoescape=jinja2.select_autoescape(["html", "html.j2"], default_for_string=False),
        undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False)
    env.filters["edition_links"] = _edition_links
    env.filters["lang"] = lambda text: "zh-Hans" if has_han(text) else "en"
    env.filters["head_zh"] = running_head_zh
    env.filters["image_url"] = _image_url
    return env


@jinja2.pass_context
def _image_url(context, data_url: str) -> str:
    """The short URL an image's data: URL is named by in the HTML: one per picture, the
    same for a picture used twice (WeasyPrint then embeds it once, as it did the one
    data: URL), kept in the composition's ``images``."""
    urls = context["image_urls"]
    return urls.setdefault(data_url, f"{IMAGE_SCHEME}:{len(urls) + 1}")


@jinja2.pass_context
def _edition_links(context, fragment: str, language: str = "en") -> Markup:
    """Paragraph HTML (already safe) as the edition being rendered needs it. Email:
    clickable links. Print: no links, and the target written after the text,
    "text (example.org/page)", in full-width brackets in Chinese; the scheme (https://,
    mailto:) is left out, and nothing is added when the text already shows the target."""
    if context["edition"] == "email":
        return Markup(fragment)

    def one(match: re.Match) -> str:
        target, text = match[1], match[2]
        shown = printed_url(target)
        span = f'<span class="link">{text}</span>'
        if shown in TAGS.sub("", text) or not shown:
            return span
        before, after = ("（", "）") if language.startswith("zh") else (" (", ")")
        # invisible break opportunities: after / @ . in English; in Chinese between any
        # two characters but before . and / (a Latin run in a Chinese line may break
        # anywhere, CSS word-break: break-all), so the line before is not spread out
        breakable = re.sub(r"(?<=[/@.])(?=.)" if not language.startswith("zh")
                           else r"(?<=.)(?=[^./])", "\u200b", shown)
        return f'{span}<span class="link-url">{before}{breakable}{after}</span>'
    return Markup(LINK.sub(one, fragment))


def has_back_cover(issue, edition: str) -> bool:
    """A bound print edition (saddle-stitched or perfect-bound) ends on a back cover
    (colophon, contacts, QR code): its padding pages go before it, never on the back."""
    return edition == "print" and BINDING_PAGE_MULTIPLE[issue.print.binding] is not None


QR_MODULE_MM = 0.7  # 25 modules (version 2) make 17.5 mm: phones read it at arm's length


def qr_modules(url: str) -> dict:
    """The web edition's QR code (segno, error correction M) as runs of dark modules per
    row, drawn by the template as boxes in the ink colour: 100 % K on paper, no image."""
    import segno

    code = segno.make(url, error="m", micro=False)
    runs = []
    for y, row in enumerate(code.matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append((start, y, x - start))
            else:
                x += 1
    size = len(code.matrix)
    return {"url": url, "size": size, "module_mm": QR_MODULE_MM, "runs": runs,
            "version": code.version}


def _cover_story(prepared: PreparedIssue):
    cover = prepared.issue.cover
    if cover is None:
        return None
    article = next(a for a in prepared.articles if a.slug == cover.article)
    from renderer.prepare import typography

    return {"article": article,
            "standfirst": {"en": Markup(typography.prepare_en_html(str(Markup.escape(
                               cover.standfirst.en)))),
                           "zh": Markup(typography.prepare_zh_html(str(Markup.escape(
                               cover.standfirst.zh))))}}


def running_head_zh(text: str) -> str:
    """A Chinese running head as plain text (a page margin box has no markup, so the
    typesetter's Han/Latin spacing cannot reach it): a four-per-em space (U+2005, a
    quarter em) between Han and Latin letters or digits (clreq 3.2.1)."""
    from renderer.text import is_han

    out = []
    for before, char in zip(" " + text, text):
        if (is_han(before) and (char.isascii() and char.isalnum())) or (
                before.isascii() and before.isalnum() and is_han(char)):
            out.append("\u2005")
        out.append(char)
    return "".join(out)

def printed_url(target: str) -> str:
    """A link target as printed: without https:// or mailto: and a lone trailing slash."""
    for scheme in ("https://", "mailto:"):
        if target.lower().startswith(scheme):
            target = target[len(scheme):]
    if target.count("/") == 1 and target.endswith("/"):
        target = target[:-1]
    return target
