"""Importer: a raw pasted bilingual dump -> an issue folder (docs/formats.md).

    raw text --read_text--> lines --split--> articles --clean (Chinese only)-->
    --align (Gale-Church + anchors)--> article files + issue.yaml --> findings

The folder is built in a temporary directory next to the target and renamed
into place only when everything is written, so an error leaves nothing
half-written under `into`; an existing non-empty folder is replaced only with
`force=True`. What the text itself cannot settle (a corrupted title, a
truncated translation) is reported as a finding, never guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from renderer.diagnostics import Diagnostic, Report
from renderer.editorial import align
from renderer.editorial.clean import clean_chinese
from renderer.editorial.english import repair_ligatures
from renderer.editorial.importer.settings import issue_settings, placeholder_findings
from renderer.editorial.importer.split import RawArticle, split_articles
from renderer.editorial.importer.write import render_article, render_manifest, write_folder
from renderer.editorial.lint import ArticleText, TextLine, check_issue, lint_report
from renderer.errors import PressError
from renderer.load import schema
from renderer.load.schema import Fields
from renderer.load.source import YamlDoc, read_text
from renderer.policy import MONTHS_EN, PAGE_SIZES_MM
from renderer.text import has_han, slugify

__all__ = ["import_raw", "Report"]

MONTHS = [month.lower() for month in MONTHS_EN]
EN_DATE = re.compile(r"\bOn (" + "|".join(m.capitalize() for m in MONTHS)
                     + r") (\d{1,2})(?:st|nd|rd|th)?\b")
MAX_RAW_BYTES = 2_000_000


@dataclass(frozen=True)
class ImportedArticle:
    file: str
    text: str
    checked: ArticleText


def import_raw(raw: Path, into: Path, *,
               name_en: str | None = None, name_zh: str | None = None,
               slug: str | None = None, publisher: str | None = None,
               volume: int | None = None, number: int | None = None,
               month: str | None = None, year: int | None = None,
               published: dt.date | None = None, page_size: str | None = None,
               script: str = "hans", hant_names: tuple[str, ...] = (),
               force: bool = False) -> Report:
    """Import `raw` into the issue folder `into`; returns what was repaired and found.

    The month is `month` ("2022-02"); without it, the folder's name when it is YYYY-MM,
    else `year` plus the month most English "On February 22nd" datelines name. What is
    not given (names, publisher, slug, page size, colophon, mail settings) is taken from
    the latest issue beside `into` (same volume, number + 1); placeholders are written,
    and flagged, only when there is none. Names kept in Traditional characters are the
    latest issue's `names:` and `hant_names`. Raises PressError for input that is not a
    bilingual dump (empty, binary, not UTF-8, one language only).
    """
    raw, into = Path(raw), Path(into)
    published = _checked_options(name_en=name_en, name_zh=name_zh, slug=slug,
                                 publisher=publisher, volume=volume, number=number,
                                 published=published, page_size=page_size)
    _refuse_binary(raw)
    text = read_text(raw, limit=MAX_RAW_BYTES, what="raw text file")
    raw_articles = _split_or_refuse(text, raw)
    if month is None and re.fullmatch(r"\d{4}-\d{2}", into.name) and year is None:
        month = into.name
    year_month = _issue_month(month, year, raw_articles, raw)
    if into.exists() and (not into.is_dir() or any(into.iterdir())) and not force:
        raise PressError("the target folder already exists and is not empty.", file=into,
                         fix="Choose another folder, or pass --force to replace it.")

    settings, placeholders = issue_settings(
        into, {"name_en": name_en, "name_zh": name_zh, "slug": slug, "publisher": publisher,
               "volume": volume, "number": number, "page_size": page_size})
    settings["names"] = names = _kept_names(settings.get("names"), hant_names)
    keep = tuple(entry["zh"] for entry in names)

    # Every Traditional character of a Simplified issue is converted (OpenCC t2s, with its
    # phrase table), whether or not the paragraph shows other converter damage, except in
    # the names the manifest keeps in Traditional characters.
    simplify = script == "hans"
    repairs: Counter = Counter()
    cleaned = [_clean_article(a, script, simplify, repairs, keep) for a in raw_articles]
    model = align.estimate_model(
        [(en.text, zh.text) for a in cleaned for en, zh in zip(a.en, a.zh)],
        [p.text for a in cleaned for p in a.en])

    imported: list[ImportedArticle] = []
    used: set[str] = set()
    for index, article in enumerate(cleaned, start=1):
        aligned = (align.align_with_confidence([p.text for p in article.en],
                                               [p.text for p in article.zh], model)
                   if article.en and article.zh else None)
        if bool(article.en) != bool(article.zh):
            article.language = "en" if article.en else "zh"  # a single-language piece
        rows = aligned.rows if aligned else None
        if rows is not None and align.is_one_to_one(rows) and len(article.en) == len(article.zh):
            rows = None
        article.alignment = rows  # the best guess; lint flags it when it is not confident
        article.aligned = aligned
        article.file = f"articles/{index:02d}-{_unique(_slug(article), used)}.md"
        text_md, checked = render_article(article, _dateline(article, year_month))
        imported.append(ImportedArticle(file=article.file, text=text_md, checked=checked))

    manifest = render_manifest(month=year_month, published=published,
                               articles=[a.file for a in imported], **settings)
    findings = placeholder_findings(placeholders) + _single_language_findings(imported) + (
        check_issue([a.checked for a in imported], script=script, keep=keep))
    files = {"issue.yaml": manifest} | {a.file: a.text for a in imported}
    write_folder(into, files, force=force)
    return lint_report(findings, folder=into, repairs=repairs, written=list(files))


def _single_language_findings(imported: list[ImportedArticle]) -> list[Diagnostic]:
    """An article the pasted text has in one language only is written as a single-language
    piece; import says so once (a translation lost in the paste looks the same)."""
    findings = []
    for article in imported:
        language = article.checked.language
        if not language:
            continue
        name, other = ("English", "Chinese") if language == "en" else ("Chinese", "English")
        findings.append(Diagnostic(
            severity="warning", code="single-language", file=article.file, line=2,
            message=f"the pasted text has this article in {name} only: it is written as a "
                    f"single-language piece (`language: {language}`), printed across the "
                    "full measure.",
            hint=f"If its {other} was lost in the paste, paste it after the {name} and "
                 "import again (or add the part and remove `language:`).",
            evidence={"language": language, "paragraphs": len(
                article.checked.en if language == "en" else article.checked.zh)}))
    return findings


CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _refuse_binary(raw: Path) -> None:
    """Pasted text has no control characters; name the first one a binary file holds."""
    try:
        if not raw.is_file() or raw.stat().st_size > MAX_RAW_BYTES:
            return  # read_text gives the message for these
        data = raw.read_bytes()
    except OSError:
        return
    match = CONTROL_BYTES.search(data)
    if match:
        offset = match.start()
        line = data.count(b"\n", 0, offset) + 1
        raise PressError(
            f"the raw text file holds the control byte 0x{data[offset]:02x} at byte offset "
            f"{offset} (line {line}); it looks like a binary "
            "file, not pasted text.", file=raw,
            fix="Give the plain-text dump (UTF-8), one paragraph per line.")


def _split_or_refuse(text: str, raw: Path) -> list[RawArticle]:
    if not text.strip():
        raise PressError("the raw text file is empty.", file=raw,
                         fix="Paste the English and Chinese articles into it, one paragraph "
                             "per line.")
    articles = split_articles(text)
    languages = {block.language for a in articles for block in (a.en, a.zh) if block}
    for language, name in (("zh", "Chinese"), ("en", "English")):
        if language not in languages:
            other = "English" if language == "zh" else "Chinese"
            raise PressError(
                f"the raw text file has no {name} lines (it is {other} only), so it is not a "
                "bilingual dump.", file=raw,
                fix=f"Paste each article's {name} title and paragraphs after its {other} "
                    "ones.")
    return articles


# Each option as the manifest field it becomes, checked by the loader's own kinds: an
# import never writes a manifest that `make-issue lint` or `build` then refuses.
OPTION_FIELDS = {  # option -> (manifest field, kind)
    "name_en": ("newsletter.en", schema.text), "name_zh": ("newsletter.zh", schema.text),
    "slug": ("slug", schema.slug), "publisher": ("publisher", schema.text),
    "volume": ("volume", schema.positive_int), "number": ("number", schema.positive_int),
    "published": ("published", schema.date),
    "page_size": ("page_size", schema.one_of(*PAGE_SIZES_MM)),
    "month": ("month", schema.month),
    "hant_name": ("names.zh", schema.text),
}


def _check_option(option: str, value):
    """`value` as the loader reads the manifest field the option fills, or PressError
    naming the option."""
    name, kind = OPTION_FIELDS[option]
    key = name.rsplit(".", 1)[-1]
    doc = YamlDoc(data={key: value}, file=Path(f"--{option.replace('_', '-')}"))
    checked = Fields(doc).take(key, kind)
    if not doc.errors:
        return checked
    error = doc.errors[0]
    what = error.what.replace(f"'{key}'", f"'{name}'", 1)
    raise PressError(f"the option --{option.replace('_', '-')} cannot be used: {what}",
                     fix=error.fix or "Give another value; see docs/formats.md.")


def _checked_options(*, published, **options):
    for option, value in options.items():
        if value is not None:
            _check_option(option, value)
    if published is None or isinstance(published, dt.date):
        return published
    return _check_option("published", str(published))


def _issue_month(month: str | None, year: int | None, articles: list[RawArticle],
                 raw: Path) -> tuple[int, int]:
    if month:
        return _check_option("month", month.strip())
    named = Counter(MONTHS.index(m[1].lower()) + 1 for a in articles if a.en
                    for line in a.en.body for m in EN_DATE.finditer(line.text))
    if year is None or not named:
        reason = ("no --year was given" if named
                  else "the English has no 'On February 22nd'-style dateline")
        raise PressError(f"cannot tell which month the issue is for: {reason}.", file=raw,
                         field="month",
                         fix="Pass --month YYYY-MM (or --year YYYY to take the month from "
                             "the datelines).")
    found = named.most_common(1)[0][0]
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise PressError(f"the option --year cannot be used: {year} is not a year of the "
                         "calendar (1 to 9999).", fix="Pass --year YYYY, e.g. 2022.")
    return _check_option("month", f"{year:04d}-{found:02d}")


def _kept_names(copied, given: tuple[str, ...]) -> list[dict]:
    """The `names:` entries to write: the latest issue's (as the loader reads them) and
    the names given, once each."""
    names = [entry["zh"].strip() for entry in copied or ()
             if isinstance(entry, dict) and entry.get("script") == "hant"
             and isinstance(entry.get("zh"), str) and entry["zh"].strip()]
    for name in given:
        _check_option("hant_name", name)
        if not has_han(name):
            raise PressError(f"the option --hant-name cannot be used: {name!r} has no Chinese "
                             "characters.", fix="Give the name as it is written in Chinese, "
                                                "e.g. --hant-name 梁愛詩.")
        names.append(name.strip())
    return [{"zh": name, "script": "hant"} for name in dict.fromkeys(names)]


def _clean_article(raw_article: RawArticle, script: str, simplify: bool,
                   repairs: Counter, keep: tuple[str, ...] = ()) -> ArticleText:
    def chinese(line) -> TextLine:
        result = clean_chinese(line.text, script=script, simplify=simplify, keep=keep)
        repairs.update(result.repairs)
        return TextLine(result.text, source_line=line.number)

    def english(line) -> TextLine:
        text, joined = repair_ligatures(line.text.rstrip())
        if joined:
            repairs["split-ligature"] += joined
        return TextLine(text, source_line=line.number)

    en, zh = raw_article.en, raw_article.zh
    bylines = [line.text for block in (en, zh) if block for line in block.bylines]
    return ArticleText(
        byline=" · ".join(bylines) or None,
        file="",
        title_en=english(en.title) if en and en.title else None,
        title_zh=chinese(zh.title) if zh and zh.title else None,
        en=[english(line) for line in en.body] if en else [],
        zh=[chinese(line) for line in zh.body] if zh else [])


def _dateline(article: ArticleText, year_month: tuple[int, int]) -> dt.date | None:
    """"On February 22nd" in the first English paragraph, in the issue's year."""
    if not article.en:
        return None
    match = EN_DATE.search(article.en[0].text)
    if not match:
        return None
    year, month = year_month
    found = MONTHS.index(match[1].lower()) + 1
    try:
        return dt.date(year - (found > month), found, int(match[2]))
    except ValueError:
        return None


def _slug(article: ArticleText) -> str:
    return slugify(article.title_en.text if article.title_en else "", limit=40) or "article"


def _unique(slug: str, used: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in used:
        candidate, n = f"{slug}-{n}", n + 1
    used.add(candidate)
    return candidate
