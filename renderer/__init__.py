"""Bilingual newsletter press: an issue folder -> print and email PDFs, and the mail.

The package is a pipeline, one package per stage, plain data between stages
(renderer.model); no stage imports a later one:

    load      manifest and article files     -> model.Issue          (renderer.load)
    prepare   typography, pairing, figures,  -> model.PreparedIssue  (renderer.prepare)
              fonts, page geometry, theme
    compose   Jinja2 templates in styles/    -> HTML per edition     (renderer.compose)
    typeset   WeasyPrint 70, through one     -> PDF bytes            (renderer.typeset)
              version-checked seam                                   (renderer.typeset.weasyprint70)
    verify    preflight and typography audit -> diagnostics          (renderer.verify)
    deliver   atomic files, mail, ledger                             (renderer.deliver)

Shared by every stage: renderer.text (Han, punctuation and script classes),
renderer.policy (editions, page sizes, bleed, ink, ppi), renderer.diagnostics (what is
reported to a human), renderer.assets (styles/ and fonts/), renderer.errors.
Beside the pipeline, not inside a stage: the editorial tools (renderer.editorial:
import, clean, align, lint). renderer.build runs the stages, renderer.cli is make-issue.
"""


def __getattr__(name: str) -> str:
    """``renderer.__version__``, read from the installed metadata when first asked for:
    importlib.metadata takes 17 ms to import, on the path of every command."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import metadata

    try:
        return metadata.version("bilingual-press")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0.0.0+unknown"
