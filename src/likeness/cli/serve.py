"""`likeness serve`: the web page and REST API on this machine."""

from __future__ import annotations

import os
from pathlib import Path

import typer

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def public_url(host: str, port: int) -> str:
    """The address to open for ``--host``: IPv6 literals in brackets, as a browser needs."""
    name = host.strip("[]")
    return f"http://{f'[{name}]' if ':' in name else name}:{port}/"


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def _cmd(
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on. Anything but loopback "
                                 "makes the page reachable from other machines."),
        port: int = typer.Option(8000, "--port", "-p", min=1, max=65535, help="Port to listen on."),
        home: Path | None = typer.Option(None, "--home", help="Where sessions are stored (default: $LIKENESS_HOME or ~/.likeness)."),
        workers: int | None = typer.Option(None, "--workers", min=1, max=64, help="Jobs run at once (default: 2 or cores/2)."),
        retention_days: float | None = typer.Option(None, "--retention-days", min=0.001,
                                                    help="Sessions are deleted this long after they start (default 7)."),
        log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
    ) -> None:
        """Open the Likeness web app: upload, coaching, Looks, headshots, download, delete."""
        import uvicorn

        from ..server import create_app
        from ..server.app import LOCAL_HOSTS, preflight
        from ..store import StoreSettings

        settings = StoreSettings.from_env(home=home, workers=workers, retention_days=retention_days)
        # A folder in use, read-only or full is said here in one line (exit code 6),
        # not as a traceback from inside the web server's startup.
        preflight(settings)
        os.environ["LIKENESS_HOME"] = str(settings.home)  # user Looks are read from the same home
        local = host in LOOPBACK
        app = create_app(settings, allowed_hosts=LOCAL_HOSTS if local else None)
        typer.echo(f"Likeness is at {public_url(host, port)}  (data in {settings.home})")
        if not local:
            typer.echo("Warning: listening beyond this machine; anyone who can reach this address can start a session.",
                       err=True)
        uvicorn.run(app, host=host.strip("[]"), port=port, log_level=log_level, access_log=False,
                    timeout_graceful_shutdown=int(settings.shutdown_grace_s) + 5)
