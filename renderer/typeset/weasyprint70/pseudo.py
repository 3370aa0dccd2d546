"""Pseudo-element styles computed when a box asks for one, not for every element up front.

WeasyPrint 70's user-agent sheet (``css/html5_ua.css``) has universal ``::marker``,
``::footnote-call``, ``::footnote-marker``, ``::note-call``, ``::note-marker`` and
``::note-callback`` rules, and ``css.StyleFor.__init__`` computes a style for every
pseudo-element that has declarations: six styles for each element of the document, of
which an issue uses a handful (a list item's marker; a footnote's or note's call and
marker). On the 105-article issue they were 27,000 of the 31,000 styles computed, about
0.5 s of a 4.4 s render and 23 MB.

The patch defers those six kinds: each is computed, from the same cascaded declarations,
the first time ``StyleFor`` is asked for it (``formatting_structure.build`` asks only
where the box exists). Property values were already computed on first access
(``ComputedStyle.__missing__``), so only the moment the style object is made changes;
a pseudo-element that has an ``anchor`` is still computed at once, since computing it
collects a link target. The cascaded declarations kept for later are interned: every
element's come from the same few rules.

Upstream-ready description: ``StyleFor.__call__`` could compute pseudo-element styles on
demand, keeping their cascaded declarations, as ``ComputedStyle`` does property values.
"""

from __future__ import annotations

DEFERRED = frozenset({"marker", "footnote-call", "footnote-marker", "note-call",
                      "note-marker", "note-callback"})

_originals = None  # (StyleFor.set_computed_styles, StyleFor.__call__) while installed


def install() -> None:
    global _originals
    from weasyprint.css import StyleFor

    if _originals is None:
        _originals = (StyleFor.set_computed_styles, StyleFor.__call__)
        StyleFor.set_computed_styles = _set_computed_styles
        StyleFor.__call__ = _style_for


def uninstall() -> None:
    global _originals
    from weasyprint.css import StyleFor

    if _originals is not None:
        StyleFor.set_computed_styles, StyleFor.__call__ = _originals
        _originals = None


class _Deferred:
    """The pseudo-element styles a StyleFor has not computed yet, and what computing one
    needs (the same for all of them: parent is the element itself)."""

    def __init__(self, root, base_url, target_collector):
        self.root, self.base_url, self.target_collector = root, base_url, target_collector
        self.cascaded: dict[tuple, dict] = {}  # (element, pseudo type) -> declarations
        self._interned: dict[tuple, dict] = {}

    def keep(self, key: tuple, cascaded: dict) -> None:
        signature = tuple((name, id(values), weight)
                          for name, (values, weight) in cascaded.items())
        self.cascaded[key] = self._interned.setdefault(signature, cascaded)


def _set_computed_styles(self, element, parent, root=None, pseudo_type=None,
                         base_url=None, target_collector=None):
    if pseudo_type in DEFERRED:
        cascaded = self._cascaded_styles.get((element, pseudo_type), {})
        if "anchor" not in cascaded:
            deferred = self.__dict__.get("_press_deferred")
            if deferred is None:
                deferred = self._press_deferred = _Deferred(root, base_url, target_collector)
            deferred.keep((element, pseudo_type), cascaded)
            return
    _originals[0](self, element, parent, root=root, pseudo_type=pseudo_type,
                  base_url=base_url, target_collector=target_collector)


def _style_for(self, element, pseudo_type=None):
    deferred = self.__dict__.get("_press_deferred")
    if deferred is not None and pseudo_type in DEFERRED:
        cascaded = deferred.cascaded.pop((element, pseudo_type), None)
        if cascaded is not None:
            key = (element, pseudo_type)
            self._cascaded_styles[key] = cascaded  # where set_computed_styles reads them
            try:
                _originals[0](self, element, element, root=deferred.root,
                              pseudo_type=pseudo_type, base_url=deferred.base_url,
                              target_collector=deferred.target_collector)
            finally:
                del self._cascaded_styles[key]
    return _originals[1](self, element, pseudo_type)
