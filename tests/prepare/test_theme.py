"""The theme's typography option (styles/theme.yaml, renderer.prepare.theme): hanging
punctuation per edition, carried to the typesetter by the edition's stylesheet."""

from __future__ import annotations

import pytest

from renderer.compose import stylesheet
from renderer.errors import PressError
from renderer.prepare import theme

PROPERTY = "--press-hanging-punctuation: allow-end"


def test_the_press_hangs_stops_and_commas_in_both_editions():
    assert theme.hanging_punctuation("print") and theme.hanging_punctuation("email")
    for edition in ("print", "email"):
        assert PROPERTY in stylesheet(edition, "A4", 3.0)


@pytest.mark.parametrize(("value", "expected"), [
    ("true", (True, True)), ("false", (False, False)),
    ("{print: true, email: false}", (True, False)), ("{email: false}", (True, False))])
def test_one_value_or_one_per_edition(tmp_path, value, expected):
    path = tmp_path / "theme.yaml"
    path.write_text(f"colors: {{}}\ntypography:\n  hanging_punctuation: {value}\n")
    assert (theme.hanging_punctuation("print", path),
            theme.hanging_punctuation("email", path)) == expected


def test_a_theme_without_typography_hangs(tmp_path):
    path = tmp_path / "theme.yaml"
    path.write_text("colors: {}\n")
    assert theme.hanging_punctuation("print", path)


@pytest.mark.parametrize("value", ["yes please", "{web: true}", "{print: 1}", "[true]"])
def test_a_bad_value_names_the_field_and_the_fix(tmp_path, value):
    path = tmp_path / "theme.yaml"
    path.write_text(f"typography:\n  hanging_punctuation: {value}\n")
    with pytest.raises(PressError) as raised:
        theme.hanging_punctuation("print", path)
    assert raised.value.field == "typography.hanging_punctuation"
    assert raised.value.file == path and "print: true" in raised.value.fix
