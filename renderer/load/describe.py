"""The JSON Schemas of issue.yaml and of an article's front matter (JSON Schema 2020-12),
from the loader's own field reading (renderer.load.schema's describe mode), so that the
schema an editor's YAML extension checks against can never disagree with the loader."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from renderer.load import MANIFEST, load_issue
from renderer.load.article import load_article
from renderer.load.schema import describing
from renderer.load.source import Described

DIALECT = "https://json-schema.org/draft/2020-12/schema"
ARTICLE_PROBE = "---\n{}\n---\n\n## English\n\nx\n\n## 中文\n\n字\n"


def manifest_schema() -> dict:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / MANIFEST).write_text("{}\n", encoding="utf-8")
        return _described(lambda: load_issue(Path(folder)), "issue.yaml",
                          "The manifest of one issue of a bilingual newsletter.")


def article_schema() -> dict:
    with tempfile.TemporaryDirectory() as folder:
        article = Path(folder) / "articles" / "01-article.md"
        article.parent.mkdir()
        article.write_text(ARTICLE_PROBE, encoding="utf-8")
        return _described(lambda: load_article(article, Path(folder)), "article front matter",
                          "The YAML front matter of an article file (between the '---' lines).")


def _described(load, title: str, description: str) -> dict:
    with describing():
        try:
            load()
        except Described as described:
            return {"$schema": DIALECT, "title": title, "description": description,
                    **described.schema}
    raise RuntimeError(f"the loader of the {title} did not describe itself")


def modeline(kind: str) -> str:
    """The first line of a YAML document the press writes (kind "issue" or "article"):
    editors' YAML extensions (yaml-language-server) use it to autocomplete and check."""
    from renderer.assets import STYLES

    schema = STYLES / "schema" / f"{kind}.schema.json"
    return f"# yaml-language-server: $schema={schema.as_uri()}\n" if schema.is_file() else ""


def schema_texts() -> dict[str, str]:
    """{file name: JSON text} of the schemas shipped in styles/schema/."""
    return {name: json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
            for name, schema in (("issue.schema.json", manifest_schema()),
                                 ("article.schema.json", article_schema()))}


if __name__ == "__main__":  # python -m renderer.load.describe: write styles/schema/
    from renderer.assets import STYLES

    folder = STYLES / "schema"
    folder.mkdir(exist_ok=True)
    for name, text in schema_texts().items():
        (folder / name).write_text(text, encoding="utf-8")
        print(f"wrote {folder / name}")
