"""The `crashsift` command: a thin layer over `crashsift.pipeline`."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from crashsift import __version__, render
from crashsift.model import Report
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
