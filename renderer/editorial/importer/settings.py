"""The manifest settings of an imported issue: given, copied from the latest issue beside
the new folder, or placeholders that are flagged.

An editor imports the next issue next to the previous ones (`--into issues/2022-03` beside
`issues/2022-02`): the newsletter's names, publisher, slug, page size, colophon and print
and mail settings stay, and so do the names kept in Traditional characters (`names:`); the
volume stays and the number goes up by one.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from renderer.diagnostics import Diagnostic

PLACEHOLDERS = {"name_en": "Newsletter", "name_zh": "简讯", "publisher": "Publisher",
                "slug": None, "volume": 1, "number": 1, "page_size": "A4"}
FIELD_NAMES = {"name_en": "newsletter.en", "name_zh": "newsletter.zh", "publisher": "publisher",
               "slug": "slug", "volume": "volume", "number": "number"}
FLAGGED = ("name_en", "name_zh", "publisher")


def latest_issue(into: Path) -> tuple[Path, dict] | None:
    """The issue folder beside `into` with the latest month (its manifest as data)."""
    parent = Path(into).parent
    if not parent.is_dir():
        return None
    found = []
    for folder in parent.iterdir():
        manifest = folder / "issue.yaml"
        if folder.resolve() == Path(into).resolve() or not manifest.is_file():
            continue
        try:
            data = yaml.safe_load(manifest.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and re.fullmatch(r"\d{4}-\d{2}", str(data.get("month", ""))):
            found.append((str(data["month"]), folder.name, folder, data))
    if not found:
        return None
    _, _, folder, data = max(found)
    return folder, data


def issue_settings(into: Path, given: dict) -> tuple[dict, dict[str, str]]:
    """The manifest's settings, and {field: where it came from} for placeholders."""
    settings = {key: value for key, value in given.items() if value is not None}
    latest = latest_issue(into)
    source: dict[str, str] = {}
    if latest:
        folder, data = latest
        names = data.get("newsletter") if isinstance(data.get("newsletter"), dict) else {}
        copied = {"name_en": names.get("en"), "name_zh": names.get("zh"),
                  "publisher": data.get("publisher"), "slug": data.get("slug"),
                  "volume": data.get("volume"),
                  "number": data["number"] + 1 if isinstance(data.get("number"), int) else None,
                  "page_size": data.get("page_size"), "colophon": data.get("colophon"),
                  "print_settings": data.get("print"), "email": data.get("email"),
                  "names": data.get("names") if isinstance(data.get("names"), list) else None}
        for key, value in copied.items():
            if value is not None and key not in settings:
                settings[key] = value
                source[key] = str(folder)
    placeholders: dict[str, str] = {}
    for key, value in PLACEHOLDERS.items():
        if key not in settings:
            if key == "slug":
                continue
            settings[key] = value
            if key in FLAGGED:
                placeholders[key] = str(value)
    if "slug" not in settings:
        from renderer.text import slugify

        settings["slug"] = slugify(settings["name_en"], limit=40) or "newsletter"
        if "name_en" in placeholders:
            placeholders["slug"] = settings["slug"]
    return settings, placeholders


def placeholder_findings(placeholders: dict[str, str]) -> list[Diagnostic]:
    return [Diagnostic(
        severity="warning", code=f"manifest-{FIELD_NAMES[key].replace('.', '-')}-placeholder",
        file="issue.yaml", field=FIELD_NAMES[key],
        message=f"`{FIELD_NAMES[key]}` is the placeholder {value!r}: there was no earlier issue "
                "beside the new folder to copy it from, and it is printed on the cover, the "
                "running heads, the colophon and the file names.",
        hint=f"Give --{key.replace('_', '-')} (or edit issue.yaml).")
        for key, value in placeholders.items()]
