"""The one place where errors become HTTP answers.

Every answer that is not a success has the same JSON shape, ``{"error": {"code",
"message", "hint", ...data}}``, so the page (and any script) shows ``message`` and
``hint`` without knowing which layer failed. The status comes from the error class
(``LikenessError.http_status``); request-shape problems found by FastAPI and plain
HTTP errors are wrapped into the same shape here.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import LikenessError, NotFoundError, PermissionDeniedError, storage_error
from ..types import to_jsonable

log = logging.getLogger("likeness.server")


class AuthRequiredError(PermissionDeniedError):
    """No token was sent where one is needed."""

    code = "auth_required"
    http_status = 401


class PayloadTooLargeError(LikenessError):
    code = "too_large"
    http_status = 413


class CrossOriginError(PermissionDeniedError):
    """A session or team may only be created by this server's own page (or a script
    that sends no Origin): a form on another site must not be able to create them."""

    code = "cross_origin"


class RateLimitedError(LikenessError):
    code = "rate_limited"
    http_status = 429


class JobEndedError(LikenessError):
    """The job asked to be cancelled has already ended."""

    code = "job_ended"
    http_status = 409


class AttireUnavailableError(LikenessError):
    """New attire (the generate path) was asked for where this server cannot offer it;
    the message is the same one-line reason the page shows beside the option."""

    code = "attire_unavailable"
    http_status = 409


class BadHostError(LikenessError):
    code = "bad_host"
    http_status = 400


_HTTP_CODES = {400: "bad_request", 401: "auth_required", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 413: "too_large", 415: "unsupported_media_type"}


def error_body(exc: LikenessError) -> dict[str, Any]:
    return {"error": to_jsonable(exc.to_dict())}


def error_response(exc: LikenessError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
    return JSONResponse(error_body(exc), status_code=exc.http_status, headers=headers)


def _describe(err: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
    msg = err.get("msg", "is not valid")
    ctx = err.get("ctx") or {}
    if "expected" in ctx:
        msg = f"must be one of {ctx['expected']}"
    return f"{where}: {msg}" if where else msg


def install(app: FastAPI) -> None:
    @app.exception_handler(LikenessError)
    async def _likeness(_: Request, exc: LikenessError) -> JSONResponse:
        if exc.http_status >= 500:
            log.error("%s: %s", type(exc).__name__, exc)
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        problems = [_describe(e) for e in errors[:10]]
        body = {"error": {
            "code": "bad_input",
            "message": "The request is not valid: " + "; ".join(problems) + ".",
            "hint": "See /openapi.json for the fields this endpoint takes.",
            "fields": [".".join(str(p) for p in e.get("loc", ())) for e in errors[:10]],
        }}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return error_response(NotFoundError("There is nothing at this address.", hint="Check the URL."))
        message = exc.detail if isinstance(exc.detail, str) else "The request cannot be served."
        body = {"error": {"code": _HTTP_CODES.get(exc.status_code, "http_error"), "message": message, "hint": ""}}
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _internal(_: Request, exc: Exception) -> JSONResponse:
        mapped = storage_error(exc)  # a full disk or a read-only data folder met anywhere
        if mapped is not None:
            log.error("%s: %s (%s)", type(mapped).__name__, mapped, exc)
            return error_response(mapped)
        log.exception("internal error", exc_info=exc)
        body = {"error": {"code": "internal", "message": "Something went wrong on our side.",
                          "hint": "Try again; if it keeps happening, report it with the server log."}}
        return JSONResponse(body, status_code=500)
