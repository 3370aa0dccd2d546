"""Whatever the files hold, `load_issue` returns a model.Issue or raises PressError.

Hypothesis writes manifests and articles made of YAML-ish fragments, random bytes,
random data structures dumped as YAML, and valid files with one field replaced by
something random; the loader may accept or refuse each, but any other exception
(a crash that the CLI would report as an internal error) fails the test.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from renderer.errors import PressError
from renderer.load import load_issue
from renderer.model import Issue
from tests.tiny_issue import MANIFEST, write_tiny_issue

ARTICLE = "articles/01-one.md"
# The number of examples comes from the Hypothesis profile (tests/conftest.py).
PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

MANIFEST_KEYS = ["newsletter", "slug", "publisher", "volume", "number", "month", "page_size",
                 "published", "colophon", "print", "email", "articles", "en", "zh",
                 "binding", "bleed_mm", "ink_limit", "size_budget", "from", "reply_to"]
ARTICLE_KEYS = ["title", "date", "section", "byline", "figures", "align", "reviewed", "en",
                "zh", "image", "caption", "credit", "alt", "after"]
YAML_FRAGMENTS = [
    ": ", "- ", "\n", "\n  ", "\n    ", "  ", "'", '"', "[", "]", "{", "}", ",", "#", "&a ",
    "*a", "&b ", "*b", "<<: ", "!!python/object:os.system ", "!!binary ", "!!set ", "? ",
    "|\n", ">\n", "---\n", "...\n", "%YAML 1.1\n", "~", "null", "yes", "0x1F", "1e999",
    ".nan", "2022-13", "2022-02", "2022-02-30", "A5", "articles/01-one.md", "../../etc/passwd",
    "/etc/hostname", "file:///etc/hostname", "images/x.png", "\\0", "\\ud800", "\t", "\x00",
    "\ufeff", "\r\n", "中文", "é", "\U0001F600", "1:1", "3:3,4", "9" * 40,
    # shapes that broke loaders: cycles, deep nesting, huge numbers, odd file names
    "&c [x, *c]", "&d {k: *d}", "[" * 400, "{a: " * 200, "9" * 5000 + ":1", "1" * 5000,
    "articles/\x00.md", "a" * 300, "articles/" + "b" * 300 + ".md", "images/", ".", "..",
]


def yaml_ish(keys: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(YAML_FRAGMENTS + [k + ": " for k in keys]),
                    max_size=40).map("".join)


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
    st.just(10**400),  # too large for float()
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30), st.sampled_from(YAML_FRAGMENTS), st.dates().map(str))


def structures(keys: list[str]) -> st.SearchStrategy:
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.one_of(st.sampled_from(keys), st.text(max_size=8)), children,
                            max_size=5)),
        max_leaves=12)


def _dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True)


@pytest.fixture(scope="module")
def issue_folder():
    folder = Path(tempfile.mkdtemp(prefix="loader-properties-"))
    write_tiny_issue(folder)
    (folder / "images" / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    yield folder
    shutil.rmtree(folder)


def load_with(folder: Path, name: str, content: bytes | str) -> None:
    """Write `content` as `name` in the issue, load it, put the original back."""
    path = folder / name
    original = path.read_bytes()
    path.write_bytes(content.encode("utf-8", "surrogatepass") if isinstance(content, str)
                     else content)
    try:
        issue = load_issue(folder)
    except PressError as error:
        assert str(error)  # a message an editor can read
        assert error.exit_code == 2
    else:
        assert isinstance(issue, Issue)
    finally:
        path.write_bytes(original)


VALID_MANIFEST = yaml.safe_load(MANIFEST)
VALID_FRONT_MATTER = {"title": {"en": "A Short Article", "zh": "一篇短文"}}
BODY = "## English\n\nOne.\n\nTwo.\n\n## 中文\n\n一。\n\n二。\n"


@PROPERTY
@given(text=yaml_ish(MANIFEST_KEYS))
def test_yaml_ish_manifests(issue_folder, text):
    load_with(issue_folder, "issue.yaml", text)


@PROPERTY
@given(data=st.one_of(structures(MANIFEST_KEYS), st.binary(max_size=300)))
def test_random_structures_or_bytes_as_manifest(issue_folder, data):
    load_with(issue_folder, "issue.yaml", data if isinstance(data, bytes) else _dump(data))


@PROPERTY
@given(key=st.sampled_from(sorted(VALID_MANIFEST) + ["print", "email", "published"]),
       value=structures(MANIFEST_KEYS))
def test_valid_manifest_with_one_field_replaced(issue_folder, key, value):
    load_with(issue_folder, "issue.yaml", _dump({**VALID_MANIFEST, key: value}))


@PROPERTY
@given(front=st.one_of(yaml_ish(ARTICLE_KEYS), structures(ARTICLE_KEYS).map(_dump),
                       st.dictionaries(st.sampled_from(ARTICLE_KEYS), structures(ARTICLE_KEYS),
                                       max_size=4).map(
                                           lambda d: _dump({**VALID_FRONT_MATTER, **d}))),
       body=st.one_of(st.just(BODY),
                      st.lists(st.sampled_from(["## English", "## 中文", "## Français", "",
                                                "text", "文字", "---", "# x", "##", "\t",
                                                "<script>", "\r"]),
                               max_size=12).map("\n".join)))
def test_random_articles(issue_folder, front, body):
    load_with(issue_folder, ARTICLE, f"---\n{front}\n---\n\n{body}")


@PROPERTY
@given(data=st.binary(max_size=400))
def test_random_bytes_as_article(issue_folder, data):
    load_with(issue_folder, ARTICLE, data)


def test_the_property_harness_accepts_the_valid_issue(issue_folder):
    """The unchanged tiny issue loads, so the properties above exercise both outcomes."""
    assert isinstance(load_issue(issue_folder), Issue)
