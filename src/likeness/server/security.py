"""Security plumbing: response headers, a request-body limit and token auth.

Tokens travel in ``Authorization: Bearer ...`` only (never in a URL, so they do not
end up in logs or browser history); the page keeps them in the URL *fragment*, which
browsers never send to a server.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import NotFoundError
from ..store import ExpiredError, forget_session, forget_team
from ..store.db import ID_PATTERN
from .errors import AuthRequiredError, BadHostError, CrossOriginError, PayloadTooLargeError, RateLimitedError, error_body

CSP = ("default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(self), microphone=(), geolocation=(), interest-cohort=()"),
]

_ID = re.compile(ID_PATTERN)


class SecurityHeaders:
    """Adds the headers above to every HTTP answer; API answers are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        api = scope["path"].startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() not in {k for k, _ in HEADERS}]
                headers += HEADERS
                if api:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def host_name(header: str) -> str:
    """The host part of a Host header, without the port; IPv6 literals keep their
    brackets (``[::1]:8000`` → ``[::1]``). Starlette's own check cuts at the first
    colon, which turns every IPv6 address into ``[``."""
    header = header.strip().lower()
    if header.startswith("["):
        end = header.find("]")
        return header[: end + 1] if end > 0 else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class HostCheck:
    """Answers only requests whose Host header names this machine (``allowed``):
    a DNS-rebinding page then cannot reach the API through another name."""

    def __init__(self, app: ASGIApp, *, allowed: Iterable[str]) -> None:
        self.app = app
        names = {a.lower() for a in allowed}
        # "::1" and "[::1]" mean the same address: accept both spellings of a literal.
        self.allowed = names | {f"[{n}]" for n in names if ":" in n and not n.startswith("[")}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        header = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), "")
        if host_name(header) in self.allowed:
            return await self.app(scope, receive, send)
        err = BadHostError("This server answers only on its own address.",
                           hint="Open the address `likeness serve` printed.")
        body = json.dumps(error_body(err)).encode()
        await send({"type": "http.response.start", "status": 400,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class NewSessionLimit:
    """At most ``limit`` new sessions (and teams) per client address in ``window_s``."""

    def __init__(self, *, limit: int, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in [k for k, q in self._seen.items() if not q or q[-1] < now - self.window_s]:
                del self._seen[key]  # forget idle clients: the table stays small
            q = self._seen.setdefault(client, deque())
            while q and q[0] < now - self.window_s:
                q.popleft()
            if len(q) >= self.limit:
                wait = int(q[0] + self.window_s - now) + 1
                raise RateLimitedError(
                    f"Too many new sessions from this address ({self.limit} in {self.window_s / 60:.0f} minutes).",
                    hint=f"Keep using the session you have, or try again in {wait} seconds.", retry_after=wait)
            q.append(now)


def creation_guard(request: Request) -> None:
    """Before a session or team is created: the request comes from this server's page
    (or from a script, which sends no Origin) and the client is within its limit."""
    origin = request.headers.get("origin")
    if origin is not None:
        parts = urlsplit(origin)
        if origin == "null" or parts.netloc.lower() != request.headers.get("host", "").lower():
            raise CrossOriginError("Sessions can only be started from this server's own page.",
                                   hint="Open the page `likeness serve` printed.")
    request.app.state.new_sessions.take(request.client.host if request.client else "unknown")


class BodyLimit:
    """Refuses request bodies larger than ``max_bytes`` before they are buffered: by
    Content-Length when sent, else by counting the chunks as they arrive."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _error(self) -> PayloadTooLargeError:
        mb = self.max_bytes / 2**20
        return PayloadTooLargeError(f"The upload is larger than {mb:.0f} MB.",
                                    hint="Send one photo at a time, as a JPEG of normal size.", limit=self.max_bytes)

    async def _reject(self, send: Send) -> None:
        body = json.dumps(error_body(self._error())).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    too_big = int(v) > self.max_bytes
                except ValueError:
                    too_big = True
                if too_big:
                    return await self._reject(send)
        seen = 0
        rejected = False

        async def counting_receive() -> Message:
            nonlocal seen, rejected
            if rejected:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # Answer now and tell the app the client left: it stops reading.
                    rejected = True
                    await self._reject(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not rejected:
                await send(message)

        await self.app(scope, counting_receive, guarded_send)


bearer = HTTPBearer(auto_error=False, description="The session's (or team admin's) token.")


def token_of(creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
    if creds is None or not creds.credentials:
        raise AuthRequiredError("This needs the token of your session.",
                                hint="Send it as 'Authorization: Bearer <token>'.")
    return creds.credentials


def valid_id(value: str, what: str = "session") -> str:
    if not _ID.match(value):
        raise NotFoundError(f"There is no {what} with this id.", hint="Check the link.")
    return value


def session_auth(request: Request, session_id: str, token: str = Depends(token_of)) -> dict[str, Any]:
    """The session row, when the bearer token is this session's token and the session
    has not expired. An expired one is refused at once and purged now, not at the
    next periodic purge."""
    valid_id(session_id)
    store = request.app.state.store
    try:
        return store.authorize_session(session_id, token)
    except ExpiredError:
        runner = request.app.state.runner
        runner.cancel_session(session_id)
        try:
            forget_session(store, session_id, missing_ok=True)
        finally:
            runner.release(session_id)
        raise


def team_auth(request: Request, team_id: str, token: str = Depends(token_of)) -> dict[str, Any]:
    valid_id(team_id, "team")
    store = request.app.state.store
    try:
        return store.authorize_team(team_id, token)
    except ExpiredError:
        runner = request.app.state.runner
        members = [m["id"] for m in store.team_members(team_id)]
        for sid in members:
            runner.cancel_session(sid)
        try:
            forget_team(store, team_id)
        finally:
            for sid in members:
                runner.release(sid)
        raise
