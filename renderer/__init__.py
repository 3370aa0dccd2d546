"""Bilingual newsletter press.

The package is a pipeline, one stage per module, plain data between stages:

    load      manifest and article files  -> model.Issue            (renderer.load)
    prepare   clean text, typography, pairs -> model.PreparedIssue  (renderer.prepare)
    compose   Jinja2 templates             -> HTML per edition      (renderer.compose)
    typeset   WeasyPrint                   -> PDF bytes             (renderer.typeset)
    verify    preflight and audit          -> findings              (renderer.verify)
    deliver   atomic files, mail, ledger                            (renderer.deliver)

The importer (raw pasted text -> issue folder) is a separate tool beside the
pipeline, like Pelican's importer: renderer.editorial.importer.
"""

__version__ = "0.1.0"
