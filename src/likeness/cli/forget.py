"""`likeness forget`: delete every file and record of a session (or team), verified."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("forget")
    def _cmd(
        ids: list[str] = typer.Argument(None, help="Session ids (or team ids with --team); an older id that "
                                        "starts with '-' goes after '--': likeness forget -- -Qm3k2c9x_Lr8TzA."),
        team: bool = typer.Option(False, "--team", help="The ids are teams: delete each team and all its members."),
        expired: bool = typer.Option(False, "--expired", help="Delete every session past its retention time."),
        home: Path | None = typer.Option(None, "--home", help="Store folder (default: $LIKENESS_HOME or ~/.likeness)."),
        as_json: bool = typer.Option(False, "--json", help="Print what was deleted as JSON."),
    ) -> None:
        """Delete a session's photos, headshots and records, and check that nothing is left."""
        from ..errors import OptionError, StorageError, storage_error
        from ..store import Store, StoreSettings, forget_session, forget_team, purge_expired

        if not ids and not expired:
            raise OptionError("Give a session id (shown on the page and in the API), or --expired.",
                               hint="Example: likeness forget Qm3k2c9x_Lr8TzAa")
        settings = StoreSettings.from_env(home=home)
        done: list[dict] = []
        try:
            store = Store(settings)
            try:
                if expired:
                    done += [{"session": sid, "expired": True, "verified": True} for sid in purge_expired(store)]
                for i in ids or []:
                    forgotten = forget_team(store, i) if team else [forget_session(store, i)]
                    done += [{"session": f.session_id, "rows": f.rows, "files": f.files, "verified": f.verified}
                             for f in forgotten]
            finally:
                store.close()
        except StorageError as exc:  # name the folder: this is the operator's console
            named = storage_error(exc.__cause__, where=str(settings.home)) if exc.__cause__ is not None else None
            raise (named or exc) from exc
        if as_json:
            typer.echo(json.dumps({"deleted": done}, indent=2))
            return
        if not done:
            typer.echo("Nothing to delete.")
        for d in done:
            what = "expired" if d.get("expired") else f"{d['rows']} records, {d['files']} files"
            typer.echo(f"Deleted session {d['session']} ({what}); checked: nothing of it is left.")
