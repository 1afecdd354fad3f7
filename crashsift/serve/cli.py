"""`crashsift serve`: the paste page on uvicorn, on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Annotated

import typer


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; the default keeps the page to this machine.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db", metavar="PATH", help="The store (default: crashsift.db in the user's data directory)."
        ),
    ] = None,
) -> None:
    """Serve the paste page: paste or upload crashes, see their findings, similar past crashes
    and buckets, in a browser.

    Anyone who can reach the address can read and add pastes: keep the default 127.0.0.1 unless
    the network is yours. A store that cannot be opened stops the command (exit status 2).
    """
    import uvicorn

    from crashsift.serve.app import create_app
    from crashsift.serve.safety import hosts_for
    from crashsift.store import default_path

    path = db or default_path()
    try:
        app = create_app(path, allowed_hosts=hosts_for(host))
    except (OSError, sqlite3.Error) as err:
        typer.echo(f"crashsift: {path}: {err}", err=True)
        raise typer.Exit(2) from err
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"crashsift: serving http://{shown}:{port}/ (store {path}); Ctrl+C stops")
    if hosts_for(host) != hosts_for("127.0.0.1"):
        typer.echo(
            f"crashsift: warning: listening on {host}: other machines can read and add pastes", err=True
        )
    uvicorn.run(app, host=host, port=port, log_level="warning")
