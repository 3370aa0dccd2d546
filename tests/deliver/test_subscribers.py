"""Subscriber CSV reading: valid rows kept, bad rows reported with line numbers, bad files refused."""

from __future__ import annotations

import csv
import io
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from renderer.deliver.subscribers import (
    clean_display_name,
    has_control_characters,
    normalize_address,
    read_subscribers,
)
from renderer.errors import PressError


def write(tmp_path: Path, text: str, name: str = "subscribers.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_valid_rows_are_kept_with_their_language_and_line(tmp_path):
    path = write(
        tmp_path,
        "email,name,language\n"
        "ann@example.org,Ann Lee,en\n"
        "wang@example.cn,王小明,zh\n"
        'li@example.com,"Li, Wei",BOTH\n',
    )
    result = read_subscribers(path)
    assert [(s.email, s.name, s.language, s.line) for s in result.valid] == [
        ("ann@example.org", "Ann Lee", "en", 2),
        ("wang@example.cn", "王小明", "zh", 3),
        ("li@example.com", "Li, Wei", "both", 4),
    ]
    assert result.valid[2].languages == ("en", "zh")
    assert result.rejected == ()


def test_invalid_rows_are_listed_with_line_numbers_and_skipped(tmp_path):
    path = write(
        tmp_path,
        "email,name,language\n"
        "ok@example.org,Ok,en\n"
        "not-an-address,Bad,en\n"
        "two@@example.org,Bad,en\n"
        "nodomain@localhost,Bad,en\n"
        "fr@example.org,French,fr\n"
        "\n"  # blank lines are ignored, but still counted
        "OK@Example.org,Duplicate,zh\n"
        "short@example.org,Short\n"
        "empty-lang@example.org,Empty,\n",
    )
    result = read_subscribers(path)
    assert [s.email for s in result.valid] == ["ok@example.org"]
    rejected = {row.line: row.reason for row in result.rejected}
    assert sorted(rejected) == [3, 4, 5, 6, 8, 9, 10]
    assert "not a usable e-mail address" in rejected[3]
    assert "not a usable e-mail address" in rejected[4]
    assert "not a usable e-mail address" in rejected[5]
    assert "unknown language 'fr'" in rejected[6]
    assert rejected[8].startswith("duplicate of line 2")
    assert "expected 3 fields" in rejected[9]
    assert "unknown language ''" in rejected[10]
    report = result.report()
    assert f"{path}:8: duplicate of line 2" in report


def test_cr_lf_or_other_control_characters_in_a_name_reject_the_row(tmp_path):
    path = write(
        tmp_path,
        "email,name,language\n"
        '"evil@example.org","Eve\r\nBcc: victim@example.org",en\n'
        "tab@example.org,Tab\tName,en\n"
        "sep@example.org,Line\u2028Separator,zh\n"
        "after@example.org,After,en\n",
    )
    result = read_subscribers(path)
    assert [s.email for s in result.valid] == ["after@example.org"]
    # The quoted field spans lines 2-3; the row is reported where it starts and
    # the following rows keep their real line numbers.
    assert [row.line for row in result.rejected] == [2, 4, 5]
    assert all("control character" in row.reason for row in result.rejected)
    assert "\\r\\n" in result.rejected[0].text  # shown escaped, never raw, in the report
    assert result.valid[0].line == 6


def test_byte_order_mark_header_order_and_idn_domains(tmp_path):
    path = write(tmp_path, "\ufeffLanguage,Email,Name\nzh,user@例子.中国,用户\n")
    (subscriber,) = read_subscribers(path).valid
    assert subscriber.email == "user@xn--fsqu00a.xn--fiqs8s"
    assert subscriber.language == "zh"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("mail,name,language\n", "missing column(s) email"),
        ("email,name,language,city\n", "unknown column(s) 'city'"),
    ],
)
def test_a_bad_header_is_a_press_error(tmp_path, text, message):
    with pytest.raises(PressError) as error:
        read_subscribers(write(tmp_path, text))
    assert message in str(error.value)
    assert str(tmp_path) in str(error.value)


def test_a_file_that_is_not_utf8_names_the_line(tmp_path):
    path = write(tmp_path, "email,name,language\na@example.org,Zoë,en\nb@example.org,王,zh\n", encoding="gb18030")
    with pytest.raises(PressError) as error:
        read_subscribers(path)
    assert error.value.line == 2
    assert "UTF-8" in str(error.value)


def test_a_missing_file_is_a_press_error(tmp_path):
    with pytest.raises(PressError, match="does not exist"):
        read_subscribers(tmp_path / "nope.csv")


@given(st.text(min_size=1, max_size=20))
def test_any_name_with_a_control_character_is_rejected(name):
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([["email", "name", "language"], ["a@example.org", name, "en"]])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
        result = read_subscribers(path)
    folded = " ".join(name.split())
    invisible = folded and all(unicodedata.category(c) == "Cf" for c in folded.replace(" ", ""))
    bidi = any("\u202a" <= c <= "\u202e" or "\u2066" <= c <= "\u2069" for c in name)
    if has_control_characters(name) or invisible or bidi or "=?" in name:
        # a control, a bidi override, a name of invisible characters only: refused (an
        # encoded word is decoded first, and judged as that)
        assert result.valid == () or "=?" in name
        assert len(result.rejected) == 1 or "=?" in name
    else:
        assert [s.name for s in result.valid] == [folded]


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("a.b+tag@sub.example.org", "a.b+tag@sub.example.org"),
        (" padded@example.org ", "padded@example.org"),
        ("a..b@example.org", None),
        (".a@example.org", None),
        ("a@-example.org", None),
        ("a@example", None),
        ("a@192.168.0.1", None),
        ("\"quoted\"@example.org", None),
        ("ü@example.org", None),
        ("a@" + "x" * 64 + ".org", None),
    ],
)
def test_normalize_address(address, expected):
    assert normalize_address(address) == expected


@pytest.mark.parametrize(
    ("raw", "expected", "reason"),
    [
        ("Ann Lee", "Ann Lee", None),
        ("=?utf-8?b?546L5bCP5piO?=", "王小明", None),
        ("=?utf-8?q?Ann_=0D=0ABcc:_x@evil.example?=", "", "control character"),
        ("=?utf-8?q?A=00B?=", "", "control character"),
        ("=?utf-8?q?=E2=80=AEevil?=", "", "bidirectional"),
        ("a\u2067b", "", "bidirectional"),
        ("\u200b\u200c \u2060", "", "invisible"),
        ("=?utf-8?q?=3D=3Futf-8=3Fq=3F=3D0D=3F=3D?=", "", "inside encoded words"),
        ("=?x-unknown?q?abc?=", "", "undecodable"),
        ("A" * 201, "", "201 characters long"),
        ("A" * 200, "A" * 200, None),
    ],
)
def test_display_names_are_checked_after_decoding_encoded_words(raw, expected, reason):
    name, problem = clean_display_name(raw)
    assert name == expected
    assert (problem is None) if reason is None else (reason in problem)


@pytest.mark.parametrize("bad", ['"Unterminated,en', '"Closed"junk,en'])
def test_a_row_with_broken_quotes_is_rejected_and_the_rest_is_read(tmp_path, bad):
    path = write(tmp_path, f"email,name,language\na@example.org,A,en\nb@example.org,{bad}\n"
                           'c@example.org,"C, with comma",zh\r\nd@example.org,D,both')
    result = read_subscribers(path)
    assert [(row.line, row.reason.split(" (")[0]) for row in result.rejected] == [(3, "not valid CSV")]
    assert [(s.email, s.line) for s in result.valid] == [("a@example.org", 2), ("c@example.org", 4),
                                                         ("d@example.org", 5)]
