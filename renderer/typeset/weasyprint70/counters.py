"""Page-based target counters: a contents page laid out again once, with its numbers, not
twice (``target-counter()``, CSS Generated Content Module Level 3, cross-references).

The contents prints each article's page with ``target-counter(attr(data-target url), page)``.
WeasyPrint 70 lays such a page out three times where two suffice, through two slips in
``formatting_structure.build.compute_content_list``:

* For ``attr()``, the anchor of a missing target counter is named from the token before
  it is resolved, so it is filed under ``None``: a target's page number, once known, never
  reaches the contents through ``TargetCollector.cache_target_page_counters``.
* The name of the list of the box's own missing counters is rebound to that target's
  list, so each lookup seems to print the counter ``page`` of the contents' own page.
  Only that made the contents be laid out again with the numbers; and when the total
  ``pages`` joins the page's counter values after the first pass, they differ again,
  so the contents was laid out a third time, for the same text.

The patch files the missing target counters under the anchor each ``attr()`` names (as
``lookup_target`` resolves it) and gives a lookup the counters its ``content`` prints of
its own page (``counter()``, ``counters()``), both as ``compute_content_list`` meant to.
Pages laid out: 9 -> 8 for the sample's 7 pages, 108 -> 99 for the 105-article issue's
90; the same PDF.

Upstream-ready description: in ``compute_content_list``, name the anchor from the
resolved token and keep the local ``missing_counters`` list apart from the target's.
"""

from __future__ import annotations

_original = None  # TargetCollector.collect_missing_counters while installed


def install() -> None:
    global _original
    from weasyprint.css.targets import TargetCollector

    if _original is None:
        _original = TargetCollector.collect_missing_counters
        TargetCollector.collect_missing_counters = _collect_missing_counters


def uninstall() -> None:
    global _original
    from weasyprint.css.targets import TargetCollector

    if _original is not None:
        TargetCollector.collect_missing_counters = _original
        _original = None


def _collect_missing_counters(self, parent_box, css_token, parse_again, missing_counters,
                              missing_target_counters):
    if self.collecting and css_token == "content":
        content = parent_box.style["content"]
        if isinstance(content, (list, tuple)):  # not "normal" or "none"
            known = parent_box.cached_counter_values or {}
            missing_counters = _own_missing_counters(content, known)
            missing_target_counters = _by_anchor(content, parent_box, missing_target_counters)
    _original(self, parent_box, css_token, parse_again, missing_counters,
              missing_target_counters)


def _own_missing_counters(content, known) -> list[str]:
    """The counters the content prints of its own page, as ``compute_content_list``
    collects them: named by ``counter()`` or ``counters()``, and not the box's own."""
    names: list[str] = []
    for kind, value in content:
        if kind in ("counter()", "counters()"):
            name, style = value[0], value[-1]
            if style != "none" and name not in known and name not in names:
                names.append(name)
    return names


def _by_anchor(content, box, missing_target_counters: dict) -> dict:
    """The missing target counters filed under ``None`` (an ``attr()`` anchor), filed
    under the anchor each ``attr()`` of the content names instead. Two ``attr()``
    anchors in one content share 70's ``None`` list, so each gets all of its names: at
    worst a lookup is parsed again for a counter it does not print of that target."""
    if None not in missing_target_counters:
        return missing_target_counters
    from weasyprint.css.targets import anchor_name_from_token
    from weasyprint.urls import get_url_tuple

    unnamed = missing_target_counters[None]
    named = {anchor: names for anchor, names in missing_target_counters.items()
             if anchor is not None}
    for kind, value in content:
        if kind not in ("target-counter()", "target-counters()") or value[0][0] != "attr()":
            continue
        attribute, type_, fallback = value[0][1]
        target = box.element.get(attribute, fallback)  # as lookup_target resolves it
        if type_ == "url":
            token = ("url", get_url_tuple(target, box.style.base_url))
        elif type_ == "string":
            token = ("string", target)
        else:
            continue
        anchor = anchor_name_from_token(token)
        if anchor is not None:
            names = named.setdefault(anchor, [])
            names.extend(name for name in unnamed if name not in names)
    return named
