"""`make-issue`: the editor's one command. Thin: each subcommand calls one stage.

Exit codes: 0 fine, 2 bad input (a PressError, printed as one paragraph per mistake),
1 an internal error (the traceback only with --debug), and for lint/check/audit, 1 when
a finding needs a human. With --json, a bad-input error is a JSON report on stdout too.
"""

from __future__ import annotations

import os
import signal
import sys


def _interrupted_while_starting(signum, frame):
    """Ctrl-C before a command runs (while Python imports): exit quietly, no traceback.

    os._exit, not SystemExit: an exception raised here surfaces wherever the import
    happens to be, and some places (a class body's __set_name__) wrap it in a
    RuntimeError with a traceback. Nothing is open or written yet, so there is nothing
    to clean up."""
    print("interrupted; nothing was written.", file=sys.stderr, flush=True)
    os._exit(130)


if __name__ == "__main__":  # run as a program: the first thing it does
    signal.signal(signal.SIGINT, _interrupted_while_starting)


def _stop_on_sigterm() -> None:
    """A long-running command (watch, serve) ends on SIGTERM as on Ctrl-C, through
    Python's exit, so what it keeps in the temporary folder (the typesetter's shared font
    files) is removed; SIGTERM's default action would end the process on the spot."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

import functools  # noqa: E402
from pathlib import Path  # noqa: E402

import click  # noqa: E402

from renderer import interrupt  # noqa: E402
from renderer.errors import PressError  # noqa: E402
from renderer.policy import EDITIONS, LOOSE_EM, OUTPUTS, PAGE_SIZES_MM  # noqa: E402

EXIT_FINDINGS = 1


def _verbosity(command):
    """-v/-q, on the group and on every command (counted together)."""
    def count(ctx, param, value):
        meta = ctx.find_root().meta
        meta[param.name] = meta.get(param.name, 0) + value

    for flags, name, text in ((("-q", "--quiet"), "quiet", "Only warnings and errors."),
                              (("-v", "--verbose"), "verbose", "Say more (debug records).")):
        command = click.option(*flags, name, count=True, expose_value=False, callback=count,
                               help=text)(command)
    return command


def _guarded(command):
    """Turn expected failures into one short message, and anything else into exit 1."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        root = click.get_current_context().find_root()
        debug = root.params.get("debug", False)
        from renderer import console

        console.configure(root.meta.get("verbose", 0) - root.meta.get("quiet", 0))
        try:
            interrupt.install()  # Ctrl-C: see below, and renderer.interrupt
            return command(*args, **kwargs)
        except PressError as error:
            if debug:
                raise
            if kwargs.get("as_json"):
                from renderer.diagnostics import Report

                click.echo(Report(title=f"make-issue {command.__name__.rstrip('_')}: error",
                                  diagnostics=error.diagnostics()).to_json())
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


def _show_version(context: click.Context, _option, asked: bool) -> None:
    """--version, as click's version_option prints it, with the version looked up only
    when asked for (renderer.__version__)."""
    if asked and not context.resilient_parsing:
        import renderer

        click.echo(f"make-issue, version {renderer.__version__}")
        context.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_show_version, help="Show the version and exit.")
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@_verbosity
def main(debug: bool) -> None:
    """Bilingual newsletter press: issue folder -> print and email PDFs."""


@main.command()
@click.argument("folders", nargs=-1, required=True,
                type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("dist"),
              show_default=True, help="Output root; PDFs go to OUT/<yyyy-mm>/.")
@click.option("--edition", type=click.Choice(OUTPUTS), multiple=True,
              help="Build only this edition (repeatable): the print or email PDF, or the "
                   "web edition (OUT/<yyyy-mm>/web/). Default: all three.")
@click.option("--force", is_flag=True, help="Rebuild even when nothing has changed.")
@click.option("--strict", is_flag=True,
              help="Fail (writing nothing) on findings that need a human and on WeasyPrint's "
                   "warnings.")
@_verbosity
@_guarded
def build(folders: tuple[Path, ...], out: Path, edition: tuple[str, ...], force: bool,
          strict: bool) -> None:
    """Build the print and email PDFs and the web edition of one or more issues."""
    try:
        _build(folders, out, edition, force, strict)
    except KeyboardInterrupt:
        # The build has cleaned up (workers stopped, staged files removed). Exit here:
        # a Ctrl-C that lands in code an extension runs through PyRun_* (cffi does, on
        # import) makes Python's own exit end by SIGINT instead of with 130.
        from renderer.typeset import release

        release()  # os._exit runs no atexit: the shared font files go now
        click.echo("interrupted; no partial output was left behind.", err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)


def _build(folders: tuple[Path, ...], out: Path, edition: tuple[str, ...], force: bool,
           strict: bool) -> None:
    from renderer.build import build_issue
    from renderer.console import build_progress, print_build_result

    if len(folders) > 1:
        from renderer.console import build_many_with_progress

        if not build_many_with_progress(list(folders), out, edition or OUTPUTS, force,
                                        strict=strict):
            sys.exit(2)
        return
    with build_progress(folders[0]) as shown:
        result = build_issue(folders[0], out, editions=edition or OUTPUTS, force=force,
                             strict=strict, step=shown.step, pages=shown.pages)
    print_build_result(result)


@main.command()
@click.argument("folders", nargs=-1, required=True,
                type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("dist"),
              show_default=True, help="Output root: the issues are built into OUT/<yyyy-mm>/, "
                                      "the site into OUT/site/.")
@click.option("--base-url", default=None,
              help="Where the site will be hosted (https://example.org/newsletter/): the "
                   "feed's links are made absolute with it. Default: relative links.")
@_verbosity
@_guarded
def site(folders: tuple[Path, ...], out: Path, base_url: str | None) -> None:
    """Build the archive of a newsletter (index of issues and Atom feed) into OUT/site/."""
    from renderer.build import build_issue, output_path
    from renderer.console import build_progress, print_build_result, say
    from renderer.deliver.web import site as archive

    if base_url is not None and not base_url.startswith(("https://", "http://")):
        raise PressError(f"--base-url {base_url} is not an http(s) URL.",
                         fix="Give the address the site will have, e.g. "
                             "https://example.org/newsletter/.")
    found = archive.issue_folders(list(folders))
    issues = archive.collect(found, out, output_path)  # one newsletter, one issue a month
    for folder in found:
        with build_progress(folder) as shown:
            result = build_issue(folder, out, step=shown.step, pages=shown.pages)
        print_build_result(result)
    target = out / archive.FOLDER
    size = archive.write_site(issues, target, base_url)
    say(f"site: {target}/index.html, {len(issues)} issues, {size / 1e6:.1f} MB")


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("dist"),
              show_default=True)
@_verbosity
@_guarded
def watch(folder: Path, out: Path) -> None:
    """Rebuild an issue whenever an article, the manifest or a style changes."""
    from renderer.console import console
    from renderer.watch import watch as watch_folder

    _stop_on_sigterm()  # while it waits for changes, watchfiles turns SIGTERM into a Ctrl-C
    watch_folder(folder, out, report=console.print)


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=Path("dist"),
              show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; the default is this machine only.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--edition", type=click.Choice(EDITIONS), default="email", show_default=True,
              help="The edition rebuilt and shown first.")
@_verbosity
@_guarded
def serve(folder: Path, out: Path, host: str, port: int, edition: str) -> None:
    """Preview an issue in the browser, rebuilt on every save."""
    from renderer.console import say
    from renderer.load import load_issue
    from renderer.workbench.serve import serve as run_server

    load_issue(folder)  # a folder that is no issue is an error before the server starts
    _stop_on_sigterm()  # uvicorn hands a SIGTERM on to this handler once it has stopped
    run_server(folder, out, host=host, port=port, first=edition, report=say)


@main.command("new")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--month", default=None, help="YYYY-MM; default: from the folder's name, else "
              "the month after the latest issue's.")
@_verbosity
@_guarded
def new(folder: Path, month: str | None) -> None:
    """Start a new issue folder from the latest issue beside it."""
    from renderer.console import say
    from renderer.workbench.scaffold import new_issue

    manifest, article, previous = new_issue(folder, month=month)
    say(f"new issue {folder} from {previous}: wrote {manifest} and {article}")
    say(f"next: make-issue add-article {folder} \"Title\" --zh 标题, then "
        f"make-issue serve {folder}")


@main.command("add-article")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.argument("title")
@click.option("--zh", "title_zh", default=None, help="The Chinese title.")
@_verbosity
@_guarded
def add_article_(folder: Path, title: str, title_zh: str | None) -> None:
    """Add an article skeleton to an issue and list it in the manifest."""
    from renderer.console import say
    from renderer.workbench.scaffold import add_article

    path = add_article(folder, title, title_zh=title_zh)
    say(f"wrote {path} and listed it in {folder / 'issue.yaml'}")


@main.command("import")
@click.argument("raw", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--into", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="The issue folder to create.")
@click.option("--name-en", default=None,
              help="Newsletter name, English (default: the latest issue beside --into).")
@click.option("--name-zh", default=None, help="Newsletter name, Chinese (likewise).")
@click.option("--slug", default=None, help="File-name base of the PDFs (likewise, or --name-en).")
@click.option("--publisher", default=None, help="Publisher (likewise).")
@click.option("--volume", type=click.IntRange(min=1), default=None,
              help="Default: the latest issue's volume.")
@click.option("--number", type=click.IntRange(min=1), default=None,
              help="Default: the latest issue's number + 1.")
@click.option("--month", default=None,
              help="YYYY-MM; default: the --into folder's name when it is YYYY-MM, else --year "
                   "and the datelines' month.")
@click.option("--year", type=int, default=None, help="Year of the datelines (\"On February 22nd\").")
@click.option("--published", default=None, help="YYYY-MM-DD written into the PDFs.")
@click.option("--page-size", type=click.Choice(list(PAGE_SIZES_MM)), default=None,
              help="Default: the latest issue's, else A4.")
@click.option("--script", type=click.Choice(["hans", "hant"]), default="hans", show_default=True,
              help="hans: Simplified Chinese (converter damage is converted); hant: left alone.")
@click.option("--hant-name", "hant_names", multiple=True, metavar="NAME",
              help="A name kept in Traditional characters (repeatable; written to the "
                   "manifest's names:, with the latest issue's).")
@click.option("--force", is_flag=True, help="Replace an existing issue folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_verbosity
@_guarded
def import_(raw: Path, into: Path, name_en: str | None, name_zh: str | None, slug: str | None,
            publisher: str | None, volume: int | None, number: int | None, month: str | None,
            year: int | None, published: str | None, page_size: str | None, script: str,
            hant_names: tuple[str, ...], force: bool,
            as_json: bool) -> None:
    """Import raw pasted text into a new issue folder, repairing converter damage."""
    from renderer.editorial.importer import import_raw

    report = import_raw(raw, into, name_en=name_en, name_zh=name_zh, slug=slug,
                        publisher=publisher, volume=volume, number=number, month=month,
                        year=year, published=published, page_size=page_size, script=script,
                        hant_names=hant_names, force=force)
    _print_report(report, as_json)


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_verbosity
@_guarded
def lint(folder: Path, as_json: bool) -> None:
    """Check an issue's content: damage, missing translations, pairing."""
    from renderer.editorial.lint import lint_folder

    _print_report(lint_folder(folder), as_json)


@main.command()
@click.argument("pdf", metavar="PDF_OR_FOLDER", type=click.Path(path_type=Path))
@click.option("--edition", type=click.Choice(EDITIONS), default=None,
              help="Which checks to apply; guessed from the file name by default (a folder: "
                   "every edition built).")
@click.option("--page-size", type=click.Choice(list(PAGE_SIZES_MM)), default=None)
@click.option("--bleed-mm", type=float, default=None, help="Default 3 (a folder: its manifest's).")
@click.option("--ink-limit", type=int, default=None,
              help="Default 300 (a folder: its manifest's).")
@click.option("--page-multiple", type=int, default=None,
              help="Require the page count to be a multiple of this (4 for saddle stitch; "
                   "a folder: its binding's).")
@click.option("--dist", type=click.Path(path_type=Path, file_okay=False), default=Path("dist"),
              show_default=True, help="Where a folder's built PDFs are.")
@click.option("--measure", is_flag=True,
              help="Also measure with Ghostscript (ink per plate, rendered total area "
                   "coverage, a render with warnings as failures) and run qpdf --check.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_verbosity
@_guarded
def check(pdf: Path, edition: str | None, page_size: str | None, bleed_mm: float | None,
          ink_limit: int | None, page_multiple: int | None, dist: Path, measure: bool,
          as_json: bool) -> None:
    """Preflight a PDF as a prepress operator would; given an issue folder, its built
    editions with the page size, binding and limits of its manifest (as the build does)."""
    from renderer.verify.preflight import issue_options, preflight

    if pdf.is_dir():
        from renderer.build import output_path
        from renderer.load import load_issue

        issue = load_issue(pdf)
        jobs = []
        for name in (edition,) if edition else EDITIONS:
            path = output_path(issue, dist, name)
            if path.is_file():
                options = issue_options(issue, name)
                options.update({key: value for key, value in (
                    ("page_size", page_size), ("bleed_mm", bleed_mm), ("ink_limit", ink_limit),
                    ("page_multiple", page_multiple)) if value is not None})
                jobs.append((path, options))
        if not jobs:
            raise PressError("no built edition of this issue was found.",
                             file=output_path(issue, dist, edition or "print"),
                             fix=f"Run `make-issue build {pdf}` first (or pass --dist).")
    else:
        name = edition or ("email" if pdf.stem.endswith("-email") else "print")
        jobs = [(pdf, {"edition": name, "page_size": page_size,
                       "bleed_mm": 3.0 if bleed_mm is None else bleed_mm,
                       "ink_limit": 300 if ink_limit is None else ink_limit,
                       "page_multiple": page_multiple})]
    reports = [preflight(path, **options, measure=measure) for path, options in jobs]
    click.echo("\n".join(r.to_json() if as_json else r.to_text() for r in reports))
    if not all(report.ok for report in reports):
        sys.exit(EXIT_FINDINGS)


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--dist", type=click.Path(path_type=Path, file_okay=False), default=Path("dist"),
              show_default=True, help="Where the built PDFs are.")
@click.option("--sheet", type=click.Choice(["A3", "SRA3", "A4", "Tabloid"]), default=None,
              help="Press sheet (default: A3 for A4 pages, Tabloid for Letter). SRA3 has room "
                   "for bleed and crop marks.")
@click.option("--creep-mm", type=float, default=0.0, show_default=True,
              help="Creep of the innermost sheet; the pages move towards the spine.")
@_verbosity
@_guarded
def impose(folder: Path, dist: Path, sheet: str | None, creep_mm: float) -> None:
    """Printer spreads (saddle stitch) and a reader-spreads proof of the print edition."""
    from renderer.build import output_path
    from renderer.deliver.prepress import impose_issue, require_print_pdf
    from renderer.load import load_issue

    issue = load_issue(folder)
    pdf = require_print_pdf(output_path(issue, dist, "print"), folder)
    for output in impose_issue(issue, pdf, sheet=sheet, creep_mm=creep_mm):
        click.echo(f"{output.path}: {len(output.report.measurements.get('plates', []))} "
                   f"pages, preflight passed ({len(output.report.checks)} checks)")


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--dist", type=click.Path(path_type=Path, file_okay=False), default=Path("dist"),
              show_default=True, help="Where the built PDFs are.")
@click.option("--ppi", type=click.IntRange(30, 300), default=None,
              help="Resolution of the proof images (default 100).")
@_verbosity
@_guarded
def proof(folder: Path, dist: Path, ppi: int | None) -> None:
    """Soft proof: the print edition's pages as PNGs, as the FOGRA39 press prints them."""
    from renderer.build import output_path
    from renderer.deliver.prepress import proof_issue, require_print_pdf
    from renderer.load import load_issue

    issue = load_issue(folder)
    pdf = require_print_pdf(output_path(issue, dist, "print"), folder)
    paths = proof_issue(pdf, ppi=ppi)
    click.echo(f"wrote {len(paths)} soft-proof pages to {paths[0].parent if paths else '-'}")


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--dist", type=click.Path(path_type=Path, file_okay=False), default=Path("dist"),
              show_default=True, help="Where the built PDFs are.")
@_verbosity
@_guarded
def ticket(folder: Path, dist: Path) -> None:
    """Job ticket (JSON and a one-page job sheet) and the preflight report PDF."""
    from renderer.build import output_path
    from renderer.deliver.prepress import require_print_pdf, ticket_issue
    from renderer.load import load_issue

    issue = load_issue(folder)
    pdf = require_print_pdf(output_path(issue, dist, "print"), folder)
    outputs = ticket_issue(issue, pdf)
    for output in outputs:
        click.echo(str(output.path))
    report = outputs[-1].report
    if not report.ok:
        click.echo(report.to_text())
        sys.exit(EXIT_FINDINGS)


@main.command()
@click.argument("pdf", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--loose-em", type=click.FloatRange(min=0), default=LOOSE_EM, show_default=True,
              help="Report lines whose widest added gap between Han characters exceeds this (em).")
@_verbosity
@_guarded
def audit(pdf: Path, as_json: bool, loose_em: float) -> None:
    """Audit the Chinese typography of a PDF (W3C clreq rules)."""
    from renderer.verify.audit import audit as run_audit

    report = run_audit(pdf, loose_em=loose_em)
    click.echo(report.to_json() if as_json else report.to_text())
    if not report.ok:
        sys.exit(EXIT_FINDINGS)


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--subscribers", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="CSV with the columns email, name, language (en, zh or both).")
@click.option("--out", "outbox", type=click.Path(path_type=Path, file_okay=False),
              help="Write one .eml file per subscriber into this folder.")
@click.option("--send", "send_now", is_flag=True,
              help="Send through SMTP (settings from PRESS_SMTP_* environment variables).")
@click.option("--test", "test_addresses", multiple=True, metavar="ADDRESS",
              help="Send one [TEST] message to this address only (repeatable, or comma-separated); "
                   "the ledger is not touched.")
@click.option("--dry-run", is_flag=True, help="Print what --send would send, and send nothing.")
@click.option("--status", is_flag=True, help="Print the send ledger's summary and the suppression list.")
@click.option("--yes", is_flag=True, help="With --send: do not ask before sending.")
@click.option("--new-edition", is_flag=True,
              help="With --send: the PDF changed since this issue's mailing started; start a new "
                   "mailing of the new file to every subscriber.")
@click.option("--connections", type=int, default=4, show_default=True,
              help="SMTP sessions used in parallel (1 to 32).")
@click.option("--rate", type=float, default=None,
              help="At most this many messages a minute (0.1 to 60000; default: no limit).")
@click.option("--dist", type=click.Path(path_type=Path, file_okay=False), default=Path("dist"),
              show_default=True, help="Where the built PDFs are.")
@_verbosity
@_guarded
def mail(folder: Path, subscribers: Path, outbox: Path | None, send_now: bool,
         test_addresses: tuple[str, ...], dry_run: bool, status: bool, yes: bool, new_edition: bool,
         connections: int, rate: float | None, dist: Path) -> None:
    """Mail the email edition to subscribers: as .eml files, a test, or through SMTP.

    The suppression list (unsubscribes, hard bounces) is SLUG-suppressed.csv beside the
    subscriber list; every mode leaves its addresses out.
    """
    from renderer.build import output_path
    from renderer.deliver.ledger import ledger_path_for, ledger_status
    from renderer.deliver.mail import (
        ConsoleProgress,
        SmtpSettings,
        check_connections,
        check_postal_address,
        check_rate,
        plan_mail,
        send,
        send_test,
        write_outbox,
    )
    from renderer.deliver.suppression import SuppressionList, suppression_path
    from renderer.load import load_issue

    modes = (outbox is not None, send_now, bool(test_addresses), dry_run, status)
    if sum(modes) != 1:
        raise PressError("choose exactly one of --out FOLDER, --send, --test ADDRESS, --dry-run "
                         "and --status.")
    if (yes or new_edition) and not (send_now or dry_run):
        raise PressError("--yes and --new-edition go with --send.")
    rate = check_rate(rate)
    connections = check_connections(connections)
    issue = load_issue(folder)
    pdf = output_path(issue, dist, "email")
    ledger = ledger_path_for(pdf.parent)
    if status:
        from renderer.deliver.subscribers import read_subscribers

        listed = [s.key for s in read_subscribers(subscribers).valid] if subscribers.is_file() else None
        click.echo(SuppressionList.read(suppression_path(subscribers, issue.slug)).summary(listed))
        click.echo(ledger_status(ledger, issue.slug, issue.key))
        return
    if not pdf.is_file():
        raise PressError("the email edition has not been built yet.", file=pdf,
                         fix=f"Run `make-issue build {folder}` first (or pass --dist).")
    plan = plan_mail(issue, pdf, subscribers, out_root=dist)
    if outbox is not None:
        click.echo(plan.report())
        paths = write_outbox(plan, outbox)
        click.echo(f"wrote {len(paths)} messages to {outbox}")
        return
    from rich.console import Console

    if test_addresses:
        addresses = [a.strip() for item in test_addresses for a in item.split(",") if a.strip()]
        summary = send_test(plan, SmtpSettings.from_env(), addresses,
                            progress=ConsoleProgress(Console(stderr=True), bar=False))
        if summary.failed:
            sys.exit(EXIT_FINDINGS)
        return
    if dry_run:
        click.echo(_dry_run_report(plan, ledger))
        return
    check_postal_address(issue)
    settings = SmtpSettings.from_env()
    click.echo(plan.report(), err=True)
    click.echo(f"About to send {len(plan.subscribers)} message(s) of {issue.slug} {issue.key} through "
               f"{settings.host}:{settings.port} ({connections} connection(s)):\n"
               f"  {plan.describe_attachment()}", err=True)
    if not yes:
        try:
            answer = click.confirm(f"Send to {len(plan.subscribers)} subscriber(s)?", default=False,
                                   err=True)
        except click.Abort:
            raise PressError(
                "--send asks before sending, and no answer came (standard input is closed or not "
                "a terminal); nothing was sent.",
                fix="Run it in a terminal and answer y, or add --yes (in a script, after "
                "--dry-run has shown what would be sent).") from None
        if not answer:
            click.echo("Nothing sent.", err=True)
            return
    summary = send(plan, ledger, settings, rate_per_minute=rate, connections=connections,
                   new_edition=new_edition, progress=ConsoleProgress(Console(stderr=True)))
    if summary.failed or summary.deferred:
        sys.exit(EXIT_FINDINGS)


@main.command()
@click.argument("mailbox_path", metavar="MAILDIR_OR_MBOX",
                type=click.Path(path_type=Path, exists=True))
@click.option("--issue", "folder", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="An issue folder of the newsletter (its slug, bounce address and month).")
@click.option("--subscribers", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The subscriber CSV (the suppression list is beside it).")
@click.option("--dry-run", is_flag=True, help="Classify and report; do not change the suppression list.")
@_verbosity
@_guarded
def bounces(mailbox_path: Path, folder: Path, subscribers: Path, dry_run: bool) -> None:
    """Read delivery reports (and unsubscribe mails): suppress hard bounces, count soft ones."""
    from renderer.deliver.bounces import bounce_context, process_bounces
    from renderer.deliver.suppression import SuppressionList, suppression_path
    from renderer.load import load_issue

    issue = load_issue(folder)
    suppression = SuppressionList.read(suppression_path(subscribers, issue.slug))
    report = process_bounces(mailbox_path, bounce_context(issue, subscribers), suppression,
                             write=not dry_run)
    click.echo(report.render())
    click.echo(("Dry run: not written to " if dry_run else "Suppression list: ") + str(suppression.path))


def _dry_run_report(plan, ledger_path: Path) -> str:
    """--dry-run: the plan, the file, the subjects, and who would get a message now."""
    from collections import Counter

    from renderer.deliver.ledger import Ledger
    from renderer.deliver.mail import check_postal_address, preheader_for, subject_for

    issue = plan.issue
    rows, edition = {}, (1, None, None)
    if ledger_path.exists():
        with Ledger.open(ledger_path, create=False) as ledger:
            rows = ledger.states(issue.slug, issue.key)
            edition = ledger.edition(issue.slug, issue.key)
    waiting = [s for s in plan.subscribers if rows.get(s.key) is None or rows[s.key].state in ("queued", "sending")]
    lines = [plan.report(), f"File: {plan.describe_attachment()}"]
    if edition[1] and edition[1] != plan.attachment_sha256:
        lines.append(f"The ledger's mailing (edition {edition[0]}) used another file, SHA-256 {edition[1]}: "
                     "--send refuses to go on without --new-edition.")
    try:
        check_postal_address(issue)
    except PressError as error:
        lines.append(f"--send would refuse: {error}")
    by_language = Counter(s.language for s in waiting)
    for language in ("en", "zh", "both"):
        languages = ("en", "zh") if language == "both" else (language,)
        lines.append(f"{language:<4} {by_language[language]:>7} message(s)  Subject: {subject_for(plan, languages)}")
        lines.append(f"{'':<4} {'':>7}             Preview: {preheader_for(plan, languages)}")
    lines.append(f"Dry run: --send would send {len(waiting)} message(s) now "
                 f"({len(plan.subscribers) - len(waiting)} already sent or failed); nothing was sent:")
    lines += [f"  {s.email} ({s.language})" for s in waiting]
    return "\n".join(lines)


def _print_report(report, as_json: bool) -> None:
    click.echo(report.to_json() if as_json else report.to_text())
    if report.needs_human:
        sys.exit(EXIT_FINDINGS)


if __name__ == "__main__":  # pragma: no cover
    main()
