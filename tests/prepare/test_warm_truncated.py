"""A truncated figure is refused in a warm process too (watch, serve): WeasyPrint, once
imported, tells Pillow to load truncated images, which must not reach the press's own
decoding of figures."""

from __future__ import annotations

import pytest

from renderer.build import build_issue
from renderer.errors import PressError
from renderer.typeset import warm_up
from tests.test_bad_inputs import CORPUS, build_case, load_case


def test_a_truncated_png_is_refused_after_weasyprint_is_loaded(tmp_path):
    warm_up()  # WeasyPrint imported in this process, as in watch and serve
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES  # WeasyPrint's own setting
    issue = build_case(load_case(CORPUS / "image-truncated-png.yaml"), tmp_path)
    with pytest.raises(PressError, match="cannot be read"):
        build_issue(issue, tmp_path / "out", editions=("email",), parallel=False)
