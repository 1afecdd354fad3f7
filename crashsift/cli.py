"""The `crashsift` command: a thin layer over `crashsift.pipeline` and `crashsift.correlate`."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crashsift import __version__, render
from crashsift.model import Report

if TYPE_CHECKING:
    from crashsift.correlate.engine import Correlation
    from crashsift.store import Store
from crashsift.pipeline import InputTooLarge, StrictError, parse_file, parse_text

app = typer.Typer(
    help="Read pasted WinDbg / kd / cdb text into structured crash reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    json = "json"
    text = "text"


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"crashsift {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Read pasted WinDbg / kd / cdb text into structured crash reports."""


@app.command()
def parse(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Files with pasted debugger text; '-' or nothing reads standard input."),
    ] = None,
    fmt: FormatOption = Format.json,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Fail on the first thing that cannot be read, instead of a diagnostic."
        ),
    ] = False,
) -> None:
    """Parse pastes into crash reports: a JSON array of reports, or a short text summary.

    Every file is read on its own: one that cannot be read is reported on one line and the
    others are still parsed (the exit status is then 1).
    """
    reports: list[Report] = []
    failed = False
    for name in paths or ["-"]:
        try:
            if name == "-":
                reports.extend(parse_text(sys.stdin.read(), None, strict=strict))
            else:
                reports.extend(parse_file(Path(name), strict=strict))
        except StrictError as err:
            typer.echo(f"crashsift: strict: {err}", err=True)
            raise typer.Exit(2) from err
        except (OSError, InputTooLarge) as err:
            typer.echo(f"crashsift: {_reason(name, err)}", err=True)
            failed = True
    typer.echo(render.to_json(reports) if fmt is Format.json else render.to_text(reports))
    if failed:
        raise typer.Exit(1)


@app.command()
def correlate(
    paths: Annotated[
        list[str],
        typer.Argument(
            metavar="PATH", help="Files with pasted debugger text; all crashes in them are compared."
        ),
    ],
    fmt: FormatOption = Format.json,
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            metavar="DIR",
            help="Also write reports.csv, frames.csv and buckets.csv into DIR (created if missing).",
        ),
    ] = None,
    graphml: Annotated[
        Path | None,
        typer.Option(
            "--graphml", metavar="FILE", help="Also write the cross-crash graph as GraphML to FILE."
        ),
    ] = None,
) -> None:
    """Correlate crashes: buckets with their reasons, recurring code paths, shared attributes.

    Prints JSON (reports, buckets, recurring_paths, same_area, shared, contrasts) or a text summary.

    A file that cannot be read is reported on one line and the others are still correlated (the
    exit status is then 1). A --csv or --graphml place that cannot be written as asked stops the
    command before anything is read (exit status 2).
    """
    from crashsift.correlate import engine
    from crashsift.correlate import render as correlate_render

    try:
        _check_outputs(csv, graphml)
    except (OSError, correlate_render.GraphError) as err:
        typer.echo(f"crashsift: {_output_reason(err)}", err=True)
        raise typer.Exit(2) from err
    reports, failed = _read_all(paths)
    result = engine.correlate(reports)
    typer.echo(correlate_render.to_json(result) if fmt is Format.json else correlate_render.to_text(result))
    try:
        _write_outputs(result, csv, graphml)
    except (OSError, correlate_render.GraphError) as err:
        typer.echo(f"crashsift: {_output_reason(err)}", err=True)
        raise typer.Exit(1) from err
    if failed:
        raise typer.Exit(1)


class ReportFormat(StrEnum):
    html = "html"
    md = "md"
    bbcode = "bbcode"


@app.command()
def report(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="PATH", help="Files with pasted debugger text; every crash in them is reported."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write the report to FILE instead of standard output."
        ),
    ] = None,
    fmt: Annotated[
        ReportFormat,
        typer.Option(
            "--format", "-f", help="html: the self-contained pattern report; md / bbcode: a forum summary."
        ),
    ] = ReportFormat.html,
    title: Annotated[str, typer.Option("--title", help="The page's title.")] = "crashsift report",
    db: Annotated[
        Path | None,
        typer.Option("--db", metavar="STORE", help="Report every crash kept in this store (PATHs optional)."),
    ] = None,
) -> None:
    """Parse, find evidence, correlate, and write the pattern report (or a forum summary).

    The HTML page is one file with nothing from the network: open it from disk. A file that
    cannot be read is reported on one line and the others are still reported (exit status 1).
    With --db the store's crashes come first, in order of arrival: its kept pastes are parsed
    again (`crashsift.pipeline.parse_text(text, source)`), so the report is what this crashsift
    reads in them.
    """
    from crashsift import htmlreport
    from crashsift.correlate import engine, tables

    if not paths and db is None:
        typer.echo("crashsift: report: give files to read (PATH…) or a store (--db STORE)", err=True)
        raise typer.Exit(2)
    if output is not None:
        try:
            tables.check_file_target(output)
        except OSError as err:
            typer.echo(f"crashsift: {_output_reason(err)}", err=True)
            raise typer.Exit(2) from err
    reports = _stored_reports(db) if db is not None else []
    read, failed = _read_all(paths or [])
    reports += read
    result = engine.correlate(reports)
    if fmt is ReportFormat.html:
        text = htmlreport.render_html(reports, result, title)
    else:
        text = htmlreport.render_forum(reports, result, fmt.value)
    if output is None:
        typer.echo(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as err:
            typer.echo(f"crashsift: {_output_reason(err)}", err=True)
            raise typer.Exit(1) from err
        typer.echo(
            f"crashsift: wrote {output} ({len(reports)} reports, {len(result.buckets)} buckets)", err=True
        )
    if failed:
        raise typer.Exit(1)


DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db", metavar="PATH", help="The store (default: crashsift.db in the user's data directory)."
    ),
]


@app.command()
def ingest(
    paths: Annotated[
        list[str],
        typer.Argument(metavar="PATH", help="Files to keep, each one paste; '-' reads standard input."),
    ],
    db: DbOption = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Where the pastes came from (default: each file's name).")
    ] = None,
) -> None:
    """Keep pastes in the store: each is parsed and its crashes filed with their bucket.

    The same text again is one paste seen again, never stored twice. A file that cannot be read
    or is too large is one line and the others still go in (exit status 1). On a terminal a batch
    shows a progress bar (on standard error); the summary line goes to standard output.
    """
    from crashsift.store import cli_support

    bar = len(paths) > 1 and sys.stderr.isatty()
    problems: list[str] = []

    def warn(name: str, err: Exception) -> None:
        line = f"crashsift: {_reason(name, err)}"
        if bar:  # under a bar they wait until it is done
            problems.append(line)
        else:
            typer.echo(line, err=True)

    store = _open_store(db, create=True)
    with store, typer.progressbar(paths, label="ingesting", file=sys.stderr, hidden=not bar) as names:
        summary = cli_support.ingest_paths(store, names, source, warn)
    for line in problems:
        typer.echo(line, err=True)
    typer.echo(f"{store.path}: {summary.line()}")
    if summary.failed:
        raise typer.Exit(1)


@app.command()
def buckets(db: DbOption = None, fmt: FormatOption = Format.text) -> None:
    """The store's buckets, largest first, each with its size and when it was first and last seen."""
    from crashsift.store import cli_support

    with _open_store(db) as store:
        found = store.buckets()
    typer.echo(cli_support.buckets_json(found) if fmt is Format.json else cli_support.buckets_text(found))


@app.command()
def show(
    ident: Annotated[str, typer.Argument(metavar="ID", help="A report id (p12-1) or a bucket id (B-…).")],
    db: DbOption = None,
    fmt: FormatOption = Format.text,
) -> None:
    """One stored report (its summary, findings, similar crashes with the reasons, its
    bucket) or one bucket (its members and reports per week)."""
    from crashsift.store import cli_support

    with _open_store(db) as store:
        found = cli_support.find(store, ident)
    if found is None:
        typer.echo(f"crashsift: {ident}: no such report or bucket in {store.path}", err=True)
        raise typer.Exit(1)
    typer.echo(cli_support.show_json(found) if fmt is Format.json else cli_support.show_text(found))


@app.command()
def reparse(
    db: DbOption = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Rebuild every report, not only those an older parser made.")
    ] = False,
) -> None:
    """Rebuild stored reports from their kept pastes with this crashsift's parser."""
    from crashsift.store.version import parser_version

    with _open_store(db) as store:
        count = store.reparse(everything)
    typer.echo(f"{store.path}: reparsed {count} pastes (parser {parser_version()})")


def _open_store(db: Path | None, create: bool = False) -> Store:
    """The store --db names (default: the user's), or one line and exit status 2."""
    from crashsift.store import cli_support

    try:
        return cli_support.open_store(db, create)
    except cli_support.StoreUnusable as err:
        typer.echo(f"crashsift: {err}", err=True)
        raise typer.Exit(2) from err


def _stored_reports(db: Path) -> list[Report]:
    from crashsift.store import cli_support

    with _open_store(db) as store:
        return cli_support.stored_reports(store)


def _check_outputs(csv: Path | None, graphml: Path | None) -> None:
    """Refuse before any work: a CSV folder or GraphML file that cannot be written, no graph."""
    from crashsift.correlate import render as correlate_render
    from crashsift.correlate import tables

    if csv is not None:
        tables.check_folder_target(csv)
    if graphml is not None:
        tables.check_file_target(graphml)
        correlate_render.graph_builder()


def _write_outputs(result: Correlation, csv: Path | None, graphml: Path | None) -> None:
    from crashsift.correlate import render as correlate_render
    from crashsift.correlate import tables

    if csv is not None:
        tables.write_csv(result, csv)
    if graphml is not None:
        correlate_render.write_graphml(result, graphml)


def _output_reason(err: Exception) -> str:
    """One line for a place that cannot be written: the OS's reason with the path, or ours."""
    if isinstance(err, OSError) and err.filename and err.strerror:
        return _reason(str(err.filename), err)
    return str(err)


def _read_all(paths: list[str]) -> tuple[list[Report], bool]:
    """Every report of every file, in the order given ('-' is standard input); whether some file
    could not be read."""
    reports: list[Report] = []
    failed = False
    for name in paths:
        try:
            reports.extend(parse_text(sys.stdin.read(), None) if name == "-" else parse_file(Path(name)))
        except (OSError, InputTooLarge) as err:
            typer.echo(f"crashsift: {_reason(name, err)}", err=True)
            failed = True
    return reports, failed


def _reason(name: str, err: Exception) -> str:
    if isinstance(err, FileNotFoundError):
        return f"{name}: no such file"
    if isinstance(err, IsADirectoryError):
        return f"{name}: is a directory"
    if isinstance(err, PermissionError):
        return f"{name}: permission denied"
    if isinstance(err, OSError):
        return f"{name}: {err.strerror or err}"
    return str(err)


from crashsift.serve.cli import serve  # noqa: E402  (the paste page's command lives with the app)

app.command()(serve)
