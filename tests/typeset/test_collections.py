"""The cyclic collector runs rarely while an edition is laid out and written
(renderer.typeset._fewer_collections), and the process's own thresholds come back after,
also when the typesetting fails."""

from __future__ import annotations

import gc
from dataclasses import replace

import pytest

from renderer.compose import compose
from renderer.errors import PressError
from renderer.load import load_issue
from renderer.prepare import prepare_issue
from renderer.typeset import LAYOUT_GC_THRESHOLDS, typeset
from tests.tiny_issue import write_tiny_issue


def test_layout_collects_rarely_and_the_thresholds_come_back(tmp_path):
    prepared = prepare_issue(load_issue(write_tiny_issue(tmp_path / "issue")))
    composed = compose(prepared, "email")
    before = gc.get_threshold()
    assert before != LAYOUT_GC_THRESHOLDS
    during = set()
    done = typeset(composed, prepared.issue,
                   progress=lambda stage, pages: during.add(gc.get_threshold()))
    assert done.pages >= 1
    assert during == {LAYOUT_GC_THRESHOLDS}
    assert gc.get_threshold() == before

    # a document the sandbox refuses fails inside the layout: thresholds restored all the same
    hostile = replace(composed, html=composed.html.replace(
        "</body>", '<img src="file:///etc/hostname"></body>'))
    with pytest.raises(PressError):
        typeset(hostile, prepared.issue)
    assert gc.get_threshold() == before
