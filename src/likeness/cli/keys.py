"""`likeness keys`: the local key that signs Content Credentials (C2PA)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

keys_app = typer.Typer(
    help="Make or show the local key that signs Content Credentials (C2PA) on your headshots.",
    no_args_is_help=True,
)


def _print_info(info, *, as_json: bool) -> None:
    from ..types import to_jsonable

    if as_json:
        typer.echo(json.dumps(to_jsonable(info), indent=2))
        return
    typer.echo(f"Folder:       {info.folder}")
    typer.echo(f"Signer:       {info.subject}")
    typer.echo(f"Issued by:    {info.issuer} (a CA made on this machine)")
    typer.echo(f"Valid until:  {info.not_after}")
    typer.echo(f"Algorithm:    {info.algorithm}")
    typer.echo(f"Fingerprint:  {info.fingerprint_sha256}")
    typer.echo(f"CA print:     {info.ca_fingerprint_sha256}")


@keys_app.command("init")
def init(
    force: bool = typer.Option(False, "--force", help="Replace existing keys."),
    name: str = typer.Option("Likeness user", "--name", help="Organisation name written in the certificate."),
    folder: Optional[Path] = typer.Option(None, "--dir", help="Keys folder (default: $LIKENESS_HOME/keys)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Make a local CA and a signing certificate (ES256). Run once; then use signing on export."""
    from ..deliver.provenance import init_keys

    info = init_keys(folder, force=force, name=name)
    if not as_json:
        typer.echo("Made a signing key. Headshots exported with signing now carry Content Credentials.")
    _print_info(info, as_json=as_json)


@keys_app.command("show")
def show(
    folder: Optional[Path] = typer.Option(None, "--dir", help="Keys folder (default: $LIKENESS_HOME/keys)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the local signing certificate (never the private key)."""
    from ..deliver.provenance import key_info

    _print_info(key_info(folder), as_json=as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
