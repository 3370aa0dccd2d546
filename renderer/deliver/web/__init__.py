"""The web edition: a static HTML page of the issue, OUT/<yyyy-mm>/web/, beside the PDFs.

Made from the same prepared content as the PDFs (model.PreparedIssue) with the Jinja2
templates in styles/web/: English and Chinese side by side on a wide screen, stacked
on a phone, with a language switch (English / 中文 / both: radio buttons and CSS, no
script), real headings, `lang` on every block, figures resized for `srcset`, the
bundled fonts subset to the page's characters, and links to both PDFs. Everything the
page loads is inside its folder:

    web/index.html
    web/web.css                 styles/web/web.css, after the theme's screen colours
    web/fonts/*.otf, *.ttf      subsets of fonts/, with their OFL licences
    web/images/<name>-<w>.jpg   each figure at the widths of its srcset

The folder is staged whole and swapped in with one rename (renderer.deliver.files).
No WeasyPrint: a web edition costs a few tens of milliseconds more than the prepare.
renderer.deliver.web.site builds the archive of many issues (index and Atom feed).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from renderer.assets import FONTS, STYLES
from renderer.deliver import files
from renderer.deliver.web import figures, fonts
from renderer.model import PreparedIssue
from renderer.text import has_han

FOLDER = "web"
TEMPLATES = STYLES / "web"
STYLESHEET = "web.css"


@dataclass(frozen=True)
class WebEdition:
    contents: dict[str, bytes]  # relative path -> bytes

    @property
    def size(self) -> int:
        return sum(len(data) for data in self.contents.values())


def folder_for(pdf_folder: Path) -> Path:
    """The web edition's folder beside an issue's PDFs."""
    return pdf_folder / FOLDER


def render(prepared: PreparedIssue, pdf_names: dict[str, str]) -> WebEdition:
    """The whole web edition in memory. `pdf_names`: edition -> file name of the PDF in
    the folder above web/ (linked as ../<name>)."""
    issue = prepared.issue
    page_figures = {}
    images: dict[str, bytes] = {}
    for article, prepared_article in zip(issue.articles, prepared.articles):
        placed = figures.placed_figures(prepared_article)
        for source, figure in zip(figures.sources(article, prepared_article), placed):
            web_figure = figures.web_figure(source, figure, article)
            page_figures[id(figure)] = web_figure
            images.update({f"images/{i.name}": i.data for i in web_figure.images})
    page = _environment().get_template("edition.html.j2").render(
        issue=issue, articles=prepared.articles, month=prepared.month,
        issue_line=prepared.issue_line, figure=lambda f: page_figures[id(f)],
        pdfs={edition: f"../{name}" for edition, name in pdf_names.items()},
        published=issue.published.date().isoformat() if issue.published else "",
        stylesheet=STYLESHEET)
    return WebEdition({"index.html": page.encode(), **assets(page), **images})


def assets(*pages: str) -> dict[str, bytes]:
    """The stylesheet and the fonts (subset to the pages' characters, with licences)."""
    text = "".join(page_text(page) for page in pages)
    contents = {STYLESHEET: stylesheet().encode()}
    contents.update({f"fonts/{name}": data for name, data in fonts.subset_faces(text).items()})
    contents.update({f"fonts/{name}": (FONTS / name).read_bytes() for name in fonts.LICENCES})
    return contents


def page_text(page: str) -> str:
    """The characters a page shows (its text and attribute values, markup removed)."""
    attributes = " ".join(re.findall(r'(?:alt|aria-label|title)="([^"]*)"', page))
    return html.unescape(re.sub(r"<[^>]*>", " ", page) + " " + attributes)


def write(edition: WebEdition, target: Path) -> None:
    """Write the web edition to `target` (a folder) at once: staged, then swapped in."""
    files.replace_folder(files.stage_folder(target, edition.contents), target)


@cache
def stylesheet() -> str:
    from renderer.compose import theme_colors  # the email edition's screen colours

    colours = "\n".join(f"  --{name}: {value};" for name, value in theme_colors("email").items())
    return (f"/* web edition: theme colours (styles/theme.yaml), fonts, then styles/web/web.css */\n"
            f":root {{\n{colours}\n}}\n{fonts.font_face_css('fonts/')}\n\n"
            + (TEMPLATES / STYLESHEET).read_text(encoding="utf-8"))


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "html.j2", "xml"]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["lang"] = lambda text: "zh-Hans" if has_han(text) else "en"
    env.filters["html"] = Markup  # prepared fragments are already escaped (prepare stage)
    return env


def environment() -> jinja2.Environment:
    return _environment()
