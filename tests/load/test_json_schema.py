"""The JSON Schemas of issue.yaml and of the front matter come from the loader's own field
reading; the shipped files are current, every issue in the repository validates against
them (with jsonschema, reading YAML as editors' YAML extensions do: dates stay text), and
a mistake the loader refuses is refused by the schema too."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from renderer.assets import STYLES
from renderer.load.describe import article_schema, manifest_schema, schema_texts
from tests.conftest import ROOT, run_in_process

ISSUES = sorted(p.parent for p in (ROOT / "issues").glob("*/issue.yaml")) + sorted(
    p.parent for p in (ROOT / "tests" / "corpus" / "issues").glob("*/issue.yaml"))


class EditorLoader(yaml.SafeLoader):
    """YAML as yaml-language-server reads it for a schema: a date is a string."""


EditorLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _front_matter(path: Path):
    text = path.read_text(encoding="utf-8")
    return yaml.load(text.split("\n---\n", 1)[0].removeprefix("---\n"), Loader=EditorLoader)


def test_the_shipped_schemas_are_the_loaders():
    for name, text in schema_texts().items():
        shipped = STYLES / "schema" / name
        assert shipped.read_text(encoding="utf-8") == text, (
            f"{shipped} is stale: run python -m renderer.load.describe")


@pytest.mark.parametrize("issue", ISSUES, ids=lambda p: p.name)
def test_every_issue_validates(issue):
    jsonschema.Draft202012Validator(manifest_schema()).validate(
        yaml.load((issue / "issue.yaml").read_text(encoding="utf-8"), Loader=EditorLoader))
    validator = jsonschema.Draft202012Validator(article_schema())
    for article in (issue / "articles").glob("*.md"):
        errors = list(validator.iter_errors(_front_matter(article)))
        assert not errors, (article, [e.message for e in errors])


def test_the_schema_refuses_what_the_loader_refuses(tmp_path):
    schema = manifest_schema()
    sample = yaml.load((ROOT / "issues" / "2022-02" / "issue.yaml").read_text(encoding="utf-8"),
                       Loader=EditorLoader)
    validator = jsonschema.Draft202012Validator(schema)
    for mistake in ({"volume": "one"}, {"page_size": "A3"}, {"slgu": "x"},
                    {"print": {"binding": "spiral"}}, {"month": "2022-13"}):
        assert list(validator.iter_errors({**sample, **mistake})), mistake
    assert "slug" in schema["required"] and schema["additionalProperties"] is False


def test_written_files_start_with_the_schema_line(tmp_path):
    issues = tmp_path / "issues"
    import shutil

    shutil.copytree(ROOT / "issues" / "2022-02", issues / "2022-02")
    assert run_in_process("new", issues / "2022-03").returncode == 0
    manifest = (issues / "2022-03" / "issue.yaml").read_text(encoding="utf-8")
    first = manifest.splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=file://")
    assert json.loads(Path(first.split("file://", 1)[1]).read_text())["title"] == "issue.yaml"
    article = next((issues / "2022-03" / "articles").glob("*.md")).read_text(encoding="utf-8")
    assert article.splitlines()[1].startswith("# yaml-language-server: $schema=")
    assert "article.schema.json" in article.splitlines()[1]
