"""Load stage: an issue folder (issue.yaml + article files) -> model.Issue.

Every path is resolved and checked to stay inside the issue folder here. Later stages
read only what the model names: the figures (prepare) and, to name the article in an
error, the article files again (the typesetter's refusal of a URL).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from renderer.errors import PressError
from renderer.load import schema
from renderer.load.article import load_article
from renderer.load.schema import Fields
from renderer.load.source import parse_yaml, read_text
from renderer.model import Bilingual, Cover, EmailSettings, Issue, PrintSettings
from renderer.policy import (
    BINDING_ALIASES,
    BINDINGS,
    CUSTOM_PAGE_MM,
    DEFAULT_PAGE_SIZE,
    PAGE_SIZES_MM,
    custom_page_size,
)
from renderer.text import has_han

MANIFEST = "issue.yaml"
MAX_MANIFEST_BYTES = 200_000
MAX_BLEED_MM = 10.0


def check_issue_folder(folder: Path) -> None:
    """The folder exists and is a folder (the first check of load_issue, also used by
    commands such as watch that must refuse a wrong folder before anything else)."""
    if not Path(folder).is_dir():
        raise PressError("is not an issue folder (it does not exist or is not a folder).",
                         file=folder, fix=f"Give the folder that holds {MANIFEST}.")


def load_issue(folder: Path) -> Issue:
    folder = Path(folder)
    check_issue_folder(folder)
    manifest = folder / MANIFEST
    if not manifest.exists():
        raise PressError(f"has no {MANIFEST}.", file=folder,
                         fix="Create one (see docs/formats.md) or import raw text with "
                             "`make-issue import`.")
    doc = parse_yaml(read_text(manifest, limit=MAX_MANIFEST_BYTES, what="manifest"), manifest)
    if doc.data is None:
        raise PressError("the manifest is empty.", file=manifest,
                         fix="See docs/formats.md for the fields it needs.")
    f = Fields(doc)
    name = f.take("newsletter", schema.bilingual, required=True)
    slug = f.take("slug", schema.slug, required=True)
    publisher, publisher_zh = f.take("publisher", _publisher, required=True,
                                     default=(None, None))
    volume = f.take("volume", schema.positive_int, required=True)
    number = f.take("number", schema.positive_int, required=True)
    year, month = f.take("month", schema.month, required=True, default=(None, None))
    page_size = f.take("page_size", _page_size, default=DEFAULT_PAGE_SIZE)
    web_url = f.take("web_url", _web_url)
    logo = f.take("logo", _logo(folder))
    cover = f.take("cover", _cover(folder))
    published = f.take("published", schema.date)
    colophon = f.take("colophon", schema.text_list, default=())
    print_settings = f.take("print", _print_settings, default=PrintSettings())
    email = f.take("email", _email_settings, default=EmailSettings())
    hant_names = f.take("names", _names, default=())
    article_paths = f.take("articles", _article_paths(folder), required=True)
    f.finish()
    doc.raise_collected()

    articles = _load_articles(article_paths, folder)
    _check_unique_slugs(articles, doc)
    if cover is not None and cover.article not in {a.slug for a in articles}:
        raise PressError(f"the cover's article '{cover.article}' is not one of the issue's "
                         "articles.", file=manifest, line=doc.line(("cover", "article")),
                         field="cover.article",
                         fix="Give the file name of a listed article, without .md.")
    return Issue(
        folder=folder, manifest=manifest, name=name, slug=slug, publisher=publisher,
        volume=volume, number=number, year=year, month=month, page_size=page_size,
        articles=articles, colophon=colophon,
        published=_publication_time(published, year, month),
        email=email, print=print_settings, publisher_zh=publisher_zh, web_url=web_url,
        logo=logo, cover=cover, hant_names=hant_names)


def _names(f: Fields, value, path) -> tuple[str, ...]:
    """`names:`, each `{zh: 梁愛詩, script: hant}`: a person's name printed in the
    characters its owner writes it in, kept when the rest of a Simplified issue is converted
    (renderer.editorial: import and lint)."""
    if not isinstance(value, list):
        raise f.error("must be a list of names (lines starting with '- zh:')", path)
    names = []
    for i, item in enumerate(value):
        sub = f.sub(item, path + (i,))
        name = sub.take("zh", schema.text, required=True)
        sub.take("script", schema.one_of("hant"), required=True)
        sub.finish()
        if name and not has_han(name):
            f.doc.errors.append(f.error("must be a name in Chinese characters",
                                        path + (i, "zh")))
        elif name:
            names.append(name)
    return tuple(names)


def _load_articles(paths, folder: Path) -> tuple:
    """Every article, or every mistake of every article file at once."""
    articles, errors = [], []
    for path in paths:
        try:
            articles.append(load_article(path, folder))
        except PressError as error:
            errors.extend(error.all())
    if errors:
        raise PressError.collected(errors)
    return tuple(articles)


def _article_paths(folder: Path):
    article_file = schema.relative_file(folder)

    def kind(f: Fields, value, path) -> tuple[Path, ...]:
        if not isinstance(value, list) or not value:
            raise f.error("must list the article files, one '- articles/....md' line each",
                          path)
        paths: list[Path] = []
        for i, item in enumerate(value):
            resolved = article_file(f, item, path + (i,))
            if resolved in paths:
                raise f.error(f"lists {item} twice", path + (i,),
                              fix="Remove the repeated line.")
            paths.append(resolved)
        return tuple(paths)
    kind.json = {"type": "array", "minItems": 1, "items": {"type": "string"}}
    return kind


def _check_unique_slugs(articles, doc) -> None:
    """An article's file name (without .md) is its id in the PDF (contents links, bookmarks)."""
    seen: dict[str, Path] = {}
    for article in articles:
        if article.slug in seen:
            raise PressError(
                f"two articles have the file name {article.path.name} "
                f"({seen[article.slug]} and {article.path}); the name identifies the article "
                "in the PDF.", file=doc.file, line=doc.line(("articles",)), field="articles",
                fix="Rename one of them.")
        seen[article.slug] = article.path


def _print_settings(f: Fields, value, path) -> PrintSettings:
    sub = f.sub(value, path)
    binding = sub.take("binding", schema.one_of(*BINDINGS, *BINDING_ALIASES), default="loose")
    settings = PrintSettings(
        binding=BINDING_ALIASES.get(binding, binding),  # `none` (the older word) is loose
        bleed_mm=sub.take("bleed_mm", schema.number, default=3.0),
        ink_limit=sub.take("ink_limit", schema.positive_int, default=300),
        quantity=sub.take("quantity", schema.positive_int),
        stock=sub.take("stock", schema.text),
        finishing=sub.take("finishing", schema.text),
        delivery=sub.take("delivery", schema.text),
        contact=sub.take("contact", schema.text))
    sub.finish()
    if not 200 <= settings.ink_limit <= 400:
        raise f.error(f"must be between 200 and 400 percent, not {settings.ink_limit}",
                      path + ("ink_limit",))
    if settings.bleed_mm > MAX_BLEED_MM:
        raise f.error(f"must be at most {MAX_BLEED_MM:g} mm (print shops ask for 3 to 5), "
                      f"not {settings.bleed_mm:g}", path + ("bleed_mm",))
    return settings


def _email_settings(f: Fields, value, path) -> EmailSettings:
    sub = f.sub(value, path)
    settings = EmailSettings(
        size_budget=sub.take("size_budget", schema.byte_size, default=5_000_000),
        sender=sub.take("from", schema.text),
        reply_to=sub.take("reply_to", schema.text),
        unsubscribe_mailto=sub.take("unsubscribe_mailto", schema.text),
        unsubscribe_url=sub.take("unsubscribe_url", schema.text),
        subject=sub.take("subject", schema.bilingual),
        preheader=sub.take("preheader", schema.bilingual),
        postal_address=sub.take("postal_address", _text_or_bilingual),
        pdf_url=sub.take("pdf_url", schema.text),
        attach=sub.take("attach", _flag, default=True),
        bounce_address=sub.take("bounce_address", schema.text))
    sub.finish()
    return settings


@schema.also_accepts(schema.text.json)
def _text_or_bilingual(f: Fields, value, path):
    return schema.bilingual(f, value, path) if isinstance(value, dict) else schema.text(f, value, path)


@schema.with_json({"type": "boolean"})
def _flag(f: Fields, value, path) -> bool:
    if isinstance(value, bool):
        return value
    raise f.error(f"must be true or false, not {schema.shown(value)}", path)


def _publication_time(published: dt.date | None, year: int, month: int) -> dt.datetime:
    """The date written into the PDFs: fixed, so that two builds are byte-identical."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if published is None and epoch and epoch.isdigit():
        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise PressError(f"SOURCE_DATE_EPOCH={epoch} is not a usable time.",
                             fix="Set it to seconds since 1970 (e.g. from `git log -1 "
                                 "--format=%ct`), or unset it.") from None
    day = published or dt.date(year, month, 1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


@schema.also_accepts(schema.text.json)
def _publisher(f: Fields, value, path) -> tuple[str, str | None]:
    """A plain string, or `{en, zh}`: the colophon and masthead name both."""
    if isinstance(value, dict):
        names = schema.bilingual(f, value, path)
        return names.en, names.zh
    return schema.text(f, value, path), None


@schema.also_accepts({"enum": list(PAGE_SIZES_MM)})
def _page_size(f: Fields, value, path) -> str:
    """A named size, or `{width_mm, height_mm}` (portrait or landscape)."""
    if isinstance(value, dict):
        sub = f.sub(value, path)
        width = sub.take("width_mm", schema.number, required=True)
        height = sub.take("height_mm", schema.number, required=True)
        sub.finish()
        low, high = CUSTOM_PAGE_MM
        for key, size in (("width_mm", width), ("height_mm", height)):
            if size is not None and not low <= size <= high:
                raise f.error(f"must be between {low:g} and {high:g} mm, not {size:g}",
                              path + (key,))
        if width is None or height is None:
            raise f.error("needs width_mm and height_mm", path)
        return custom_page_size(width, height)
    return schema.one_of(*PAGE_SIZES_MM)(f, value, path)


@schema.with_json({"type": "string", "pattern": "^https?://[^\\s]+$"})
def _web_url(f: Fields, value, path) -> str:
    url = schema.text(f, value, path)
    if not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):
        raise f.error(f"must be a web address starting with https://, not {schema.shown(url)}",
                      path)
    return url


def _logo(folder: Path):
    image_file = schema.relative_file(folder)

    def kind(f: Fields, value, path) -> Path:
        logo = image_file(f, value, path)
        if logo.suffix.lower() == ".svg":
            raise f.error("is an SVG file; the logo is printed in the press's CMYK, which an "
                          "SVG's screen colours cannot be converted to here", path,
                          fix="Export the logo as a PNG, 400 px wide or more.")
        if logo.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            raise f.error(f"must be a PNG or JPEG picture, not {logo.name}", path)
        return logo
    kind.json = {"type": "string", "pattern": "\\.(png|jpe?g|PNG|JPE?G)$"}
    return kind


def _cover(folder: Path):
    image_file = schema.relative_file(folder)

    def kind(f: Fields, value, path) -> Cover:
        sub = f.sub(value, path)
        article = sub.take("article", schema.text, required=True)
        standfirst = sub.take("standfirst", schema.bilingual, required=True,
                              default=Bilingual("", ""))
        image = sub.take("image", image_file)
        sub.finish()
        if article is not None:
            article = Path(article).stem  # "articles/01-x.md" or "01-x"
        if image is not None and image.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            raise f.error(f"must be a PNG or JPEG picture, not {image.name}", path + ("image",))
        return Cover(article=article or "", standfirst=standfirst, image=image)
    return kind
