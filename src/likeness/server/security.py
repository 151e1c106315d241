"""Security plumbing: response headers, a request-body limit and token auth.

Tokens travel in ``Authorization: Bearer ...`` only (never in a URL, so they do not
end up in logs or browser history); the page keeps them in the URL *fragment*, which
browsers never send to a server.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import NotFoundError
from ..store.db import ID_PATTERN
from .errors import AuthRequiredError, PayloadTooLargeError, error_body

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
    """The session row, when the bearer token is this session's token."""
    valid_id(session_id)
    return request.app.state.store.authorize_session(session_id, token)


def team_auth(request: Request, team_id: str, token: str = Depends(token_of)) -> dict[str, Any]:
    valid_id(team_id, "team")
    return request.app.state.store.authorize_team(team_id, token)
