"""`make-issue`: the editor's one command. Thin: each subcommand calls one stage.

Exit codes: 0 fine, 2 bad input (a PressError, printed as one paragraph),
1 an internal error (the traceback only with --debug), and for lint/check/
audit, 1 when a finding needs a human.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from renderer.errors import PressError

EXIT_FINDINGS = 1


def _guarded(command):
    """Turn expected failures into one short message, and anything else into exit 1."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return command(*args, **kwargs)
        except PressError as error:
            if debug:
                raise
            click.secho(f"error: {error}", fg="red", err=True)
            sys.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted; no partial output was left behind.", err=True)
            sys.exit(130)
        except Exception as error:  # noqa: BLE001 - the last line of defence
            if debug:
                raise
            click.secho(f"internal error: {type(error).__name__}: {error}\n"
                        "This is a bug in the press, not in your files; run again with "
                        "--debug for the traceback and report it.", fg="red", err=True)
            sys.exit(1)
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
def main(debug: bool) -> None:
    """Bilingual newsletter press: issue folder -> print and email PDFs."""


@main.command()
@click.argument("folders", nargs=-1, required=True,
                type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("dist"),
              show_default=True, help="Output root; PDFs go to OUT/<yyyy-mm>/.")
@click.option("--edition", type=click.Choice(["print", "email"]), multiple=True,
              help="Build only this edition (repeatable). Default: both.")
@click.option("--force", is_flag=True, help="Rebuild even when nothing has changed.")
@_guarded
def build(folders: tuple[Path, ...], out: Path, edition: tuple[str, ...], force: bool) -> None:
    """Build the print and email PDFs of one or more issues."""
    from renderer.build import EDITIONS, build_issue
    from renderer.reporting import build_progress, print_build_result

    if len(folders) > 1:
        from renderer.reporting import build_many_with_progress

        if not build_many_with_progress(list(folders), out, edition or EDITIONS, force):
            sys.exit(2)
        return
    with build_progress(folders[0]) as step:
        result = build_issue(folders[0], out, editions=edition or EDITIONS, force=force,
                             step=step)
    print_build_result(result)


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("dist"),
              show_default=True)
@_guarded
def watch(folder: Path, out: Path) -> None:
    """Rebuild an issue whenever an article, the manifest or a style changes."""
    from renderer.reporting import console
    from renderer.watch import watch as watch_folder

    watch_folder(folder, out, report=console.print)


@main.command("import")
@click.argument("raw", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--into", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="The issue folder to create.")
@click.option("--force", is_flag=True, help="Replace an existing issue folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_guarded
def import_(raw: Path, into: Path, force: bool, as_json: bool) -> None:
    """Import raw pasted text into a new issue folder, repairing converter damage."""
    from renderer.importer import import_raw

    report = import_raw(raw, into, force=force)
    _print_report(report, as_json)


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_guarded
def lint(folder: Path, as_json: bool) -> None:
    """Check an issue's content: damage, missing translations, pairing."""
    from renderer.prepare.findings import lint_folder

    _print_report(lint_folder(folder), as_json)


@main.command()
@click.argument("pdf", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--edition", type=click.Choice(["print", "email"]), default=None,
              help="Which checks to apply; guessed from the file name by default.")
@click.option("--page-size", type=click.Choice(["A4", "Letter"]), default=None)
@click.option("--bleed-mm", type=float, default=3.0, show_default=True)
@click.option("--ink-limit", type=int, default=300, show_default=True)
@click.option("--page-multiple", type=int, default=None,
              help="Require the page count to be a multiple of this (4 for saddle stitch).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_guarded
def check(pdf: Path, edition: str | None, page_size: str | None, bleed_mm: float,
          ink_limit: int, page_multiple: int | None, as_json: bool) -> None:
    """Preflight a PDF as a prepress operator would."""
    from renderer.verify.preflight import preflight

    edition = edition or ("email" if pdf.stem.endswith("-email") else "print")
    report = preflight(pdf, edition=edition, page_size=page_size, bleed_mm=bleed_mm,
                       ink_limit=ink_limit, page_multiple=page_multiple)
    click.echo(report.to_json() if as_json else report.to_text())
    if not report.ok:
        sys.exit(EXIT_FINDINGS)


@main.command()
@click.argument("pdf", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_guarded
def audit(pdf: Path, as_json: bool) -> None:
    """Audit the Chinese typography of a PDF (W3C clreq rules)."""
    from renderer.verify.audit import audit as run_audit

    report = run_audit(pdf)
    click.echo(report.to_json() if as_json else report.to_text())
    if not report.ok:
        sys.exit(EXIT_FINDINGS)


def _print_report(report, as_json: bool) -> None:
    click.echo(report.to_json() if as_json else report.to_text())
    if report.needs_human:
        sys.exit(EXIT_FINDINGS)


if __name__ == "__main__":  # pragma: no cover
    main()
