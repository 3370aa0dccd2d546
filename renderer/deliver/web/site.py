"""The archive: `make-issue site issues/` -> OUT/site/, every issue of one newsletter.

    site/index.html               the issues, newest first (styles/web/site.html.j2)
    site/feed.atom                Atom feed (RFC 4287), one entry per issue
    site/web.css, site/fonts/     the stylesheet and the fonts subset for the index
    site/<yyyy-mm>/web/...        each issue's web edition, as the build wrote it
    site/<yyyy-mm>/*.pdf          and its two PDFs (the web edition links ../<name>.pdf)

The issues are built first (renderer.build: an unchanged issue is not built again); the
site copies what the build wrote, so its pages are byte for byte the web editions. An
entry's id is a name-based UUID (RFC 4122 version 5) of the newsletter and the month:
the same for ever, wherever the site is hosted. Dates are the issues' publication dates,
so building the site twice gives the same files. The folder is staged whole and swapped
in (renderer.deliver.files).
"""

from __future__ import annotations

import shutil
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from renderer.deliver import files
from renderer.deliver import web as web_edition
from renderer.errors import PressError

ATOM = "http://www.w3.org/2005/Atom"
FOLDER = "site"
FEED = "feed.atom"
_NAMESPACE = uuid.UUID("6f1d4c1e-1d3b-5e0a-9d65-2f1b8e5b7a10")  # this press's UUID namespace


@dataclass(frozen=True)
class SiteIssue:
    issue: object  # model.Issue
    month: object  # model.Bilingual
    titles: tuple  # (Bilingual plain text, ...)
    pdfs: dict  # edition -> Path of the built PDF
    web: Path  # the built web edition's folder


def issue_folders(paths: list[Path]) -> list[Path]:
    """Issue folders among `paths`: each one is an issue (it has issue.yaml) or a folder
    of issues (its subfolders that have one)."""
    found = []
    for path in paths:
        if (path / "issue.yaml").is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if (p / "issue.yaml").is_file()))
        else:
            raise PressError("the folder does not exist.", file=path,
                             fix="Pass issue folders, or a folder that holds them.")
    if not found:
        raise PressError("no issue folder (a folder with an issue.yaml) was found in "
                         + ", ".join(str(p) for p in paths) + ".",
                         fix="Pass issue folders, or a folder that holds them (issues/).")
    return found


def collect(folders: list[Path], out_root: Path, pdf_path) -> list[SiteIssue]:
    """The built issues, newest first; one newsletter, one issue a month."""
    from renderer.load import load_issue
    from renderer.prepare import month_names, plain_text

    issues = []
    for folder in folders:
        issue = load_issue(folder)
        issues.append(SiteIssue(
            issue=issue, month=month_names(issue.year, issue.month),
            titles=tuple((plain_text(a.title.en), plain_text(a.title.zh))
                         for a in issue.articles),
            pdfs={e: pdf_path(issue, out_root, e) for e in ("email", "print")},
            web=web_edition.folder_for(out_root / issue.key)))
    slugs = sorted({i.issue.slug for i in issues})
    if len(slugs) > 1:
        raise PressError("a site is the archive of one newsletter, and these issues belong to "
                         f"{len(slugs)}: {', '.join(slugs)}.",
                         fix="Pass the issues of one newsletter (the same slug).")
    seen: dict[str, Path] = {}
    for item in issues:
        if item.issue.key in seen:
            raise PressError(f"two issues are for {item.issue.key}: {seen[item.issue.key]} and "
                             f"{item.issue.folder}.", file=item.issue.manifest, field="month",
                             fix="Give each issue its own month.")
        seen[item.issue.key] = item.issue.folder
    return sorted(issues, key=lambda i: (i.issue.year, i.issue.month), reverse=True)


def render(issues: list[SiteIssue], base_url: str | None = None) -> dict[str, bytes]:
    """The site's own files (index, feed, stylesheet, fonts): relative path -> bytes."""
    newest = issues[0].issue
    page = web_edition.environment().get_template("site.html.j2").render(
        name=newest.name, publisher=newest.publisher, issues=issues, feed=FEED,
        stylesheet=web_edition.STYLESHEET)
    return {"index.html": page.encode(), FEED: feed(issues, base_url),
            **web_edition.assets(page)}


def write_site(issues: list[SiteIssue], target: Path, base_url: str | None = None) -> int:
    """Stage the whole site, copy every issue in, swap it in place; returns its size."""
    contents = render(issues, base_url)
    staged = files.stage_folder(target, contents)
    try:
        for item in issues:
            missing = files.missing_files(item.web) if item.web.is_dir() else ["index.html"]
            if missing:
                raise PressError(f"the web edition of {item.issue.key} is incomplete "
                                 f"({', '.join(missing[:3])}).", file=item.web,
                                 fix=f"Build it again: make-issue build {item.issue.folder} "
                                     "--force")
            shutil.copytree(item.web, staged / item.issue.key / web_edition.FOLDER)
            for pdf in item.pdfs.values():
                shutil.copy2(pdf, staged / item.issue.key / pdf.name)
        files.replace_folder(staged, target)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return sum(p.stat().st_size for p in target.rglob("*") if p.is_file())


def entry_id(slug: str, key: str) -> str:
    return uuid.uuid5(_NAMESPACE, f"{slug}/{key}").urn


def feed(issues: list[SiteIssue], base_url: str | None = None) -> bytes:
    """The Atom feed: feed and entries with the elements RFC 4287 requires (id, title,
    updated; an author; a link rel="alternate"), newest entry first."""
    base = (base_url.rstrip("/") + "/") if base_url else ""
    newest = issues[0].issue
    ET.register_namespace("", ATOM)

    def add(parent, tag, text=None, **attributes):
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
        element.text = text
        return element

    root = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "en"})
    add(root, "id", uuid.uuid5(_NAMESPACE, newest.slug).urn)
    add(root, "title", f"{newest.name.en} · {newest.name.zh}")
    add(root, "updated", max(_date(i.issue) for i in issues))
    author = add(root, "author")
    add(author, "name", newest.publisher)
    add(root, "link", rel="self", type="application/atom+xml", href=base + FEED)
    add(root, "link", rel="alternate", type="text/html", href=base or "./")
    add(root, "generator", "bilingual-press")
    for item in issues:
        issue = item.issue
        entry = add(root, "entry")
        add(entry, "id", entry_id(issue.slug, issue.key))
        add(entry, "title", f"{issue.name.en} · {item.month.en} · Vol. {issue.volume}, "
                            f"No. {issue.number}")
        add(entry, "updated", _date(issue))
        add(entry, "published", _date(issue))
        add(entry, "link", rel="alternate", type="text/html",
            href=f"{base}{issue.key}/{web_edition.FOLDER}/")
        for edition, pdf in item.pdfs.items():
            add(entry, "link", rel="enclosure" if edition == "email" else "related",
                type="application/pdf", title=f"{edition} PDF",
                href=f"{base}{issue.key}/{pdf.name}", length=str(pdf.stat().st_size))
        summary = add(entry, "summary", "\n".join(f"{en} / {zh}" for en, zh in item.titles))
        summary.set("type", "text")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _date(issue) -> str:
    """RFC 3339, UTC (the loader gives every issue a publication time in UTC)."""
    import datetime as dt

    when = issue.published or dt.datetime(issue.year, issue.month, 1, tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
