"""The dashboard's cookie: how a browser on another machine uses the control routes.

A browser cannot add the ``x-mockfiles-control-token`` header, so ``GET /_mock/?token=T``
exchanges the token for a cookie and redirects to ``/_mock/`` (the token leaves the
address bar, though not the browser's history or a proxy's log; the login form of
:mod:`mockfiles.api.control_login` posts it in a body instead, for the same cookie).
The cookie is ``HttpOnly`` (page scripts never see it), ``SameSite=Strict`` (no other
site's page or link makes the browser send it) and ``Path=/_mock`` (the API routes
never see it). Its value is derived from the token (an HMAC), so the cookie is
not the token itself. Every comparison is constant-time.

Against cross-site request forgery: besides ``SameSite=Strict``, a request that changes
state (any method but GET and HEAD) is accepted on the cookie only when its ``Origin``
header names this server itself — pages on another port of the same host are the same
*site* for ``SameSite`` and would otherwise carry the cookie.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import cookie_parser
from starlette.responses import Response
from starlette.types import Scope

#: The cookie's name.
COOKIE_NAME = "mockfiles_control"
#: Where the token is exchanged for the cookie: ``GET /_mock/?token=T``.
LOGIN_PATH = "/_mock/"
_SAFE_METHODS = frozenset({"GET", "HEAD"})


def cookie_value(token: str) -> str:
    """The cookie a browser holds for ``token`` (not the token itself)."""
    return hmac.new(token.encode(), b"mockfiles dashboard cookie", hashlib.sha256).hexdigest()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def sent_cookie(scope: Scope) -> str | None:
    """The dashboard cookie the request carries, if any."""
    raw = _header(scope, b"cookie")
    return None if raw is None else cookie_parser(raw).get(COOKIE_NAME)


def same_origin(scope: Scope) -> bool:
    """Whether the request's ``Origin`` is this server (scheme and ``Host``)."""
    origin, host = _header(scope, b"origin"), _header(scope, b"host")
    if origin is None or host is None:
        return False
    parts = urlsplit(origin)
    return parts.scheme == scope.get("scheme", "http") and parts.netloc == host


class CookieRefused(Exception):
    """The request carries the cookie, but not from the dashboard's own page."""


def cookie_allows(scope: Scope, token: str) -> bool:
    """Whether the request's cookie grants the control routes; :class:`CookieRefused`
    for a right cookie on a state-changing request from another origin."""
    sent = sent_cookie(scope)
    if sent is None or not hmac.compare_digest(sent.encode(), cookie_value(token).encode()):
        return False
    if scope.get("method") not in _SAFE_METHODS and not same_origin(scope):
        raise CookieRefused
    return True


def login_token(scope: Scope) -> str | None:
    """The token of ``GET /_mock/?token=T`` (None for any other request)."""
    if scope.get("method") != "GET" or scope.get("path") != LOGIN_PATH:
        return None
    query: str = bytes(scope.get("query_string", b"")).decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name == "token":
            return value
    return None


def login_response(token: str) -> Response:
    """303 to the page without the token, setting the cookie."""
    response = Response(
        status_code=303,
        headers={
            "location": LOGIN_PATH,
            "cache-control": "no-store",
            "referrer-policy": "no-referrer",
        },
    )
    response.set_cookie(
        COOKIE_NAME,
        cookie_value(token),
        path="/_mock",
        httponly=True,
        samesite="strict",
    )
    return response
