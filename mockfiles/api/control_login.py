"""The dashboard's login form: the control token typed into a page, never put in a URL.

A browser that asks for ``/_mock/`` without the token (a page navigation: its ``Accept``
names ``text/html``) gets a small page (still a 403) with a password field; the form
posts ``token=...`` (``application/x-www-form-urlencoded``) to ``POST /_mock/login``,
which answers as ``GET /_mock/?token=T`` does: the cookie of
:mod:`~mockfiles.api.control_cookie` and a 303 to ``/_mock/``. The token then appears in
no address, so in no history entry and no access log.

Here: reading that form strictly (python-multipart's parser; a bounded body, one
``token`` field, UTF-8 only) and the page itself. The access rules (which token, which
``Origin``) are the control app's (:mod:`mockfiles.api.control`).
"""

from __future__ import annotations

import base64
import hashlib
import html
from functools import cache
from urllib.parse import unquote_plus

from python_multipart.exceptions import QuerystringParseError
from python_multipart.multipart import QuerystringParser, parse_options_header
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from ..errors import FileTooLarge, InvalidRequest, MockFilesError
from .dashboard import asset

#: Where the form posts the token.
LOGIN_PATH = "/_mock/login"
#: The paths a browser is shown the form at (when it is not signed in).
FORM_PATHS = frozenset({"/_mock", "/_mock/"})
#: Login bodies larger than this are refused (a token is a line of text).
MAX_LOGIN_BODY = 8 * 1024
#: The form's one field.
FIELD = "token"
FORM_TYPE = "application/x-www-form-urlencoded"
_MAX_FIELDS = 16


class UnsupportedMediaType(MockFilesError):
    """A body of a type the route does not read (415)."""

    status = 415


def _header(scope: Scope, name: bytes) -> str:
    values = [value.decode("latin-1") for key, value in scope["headers"] if key == name]
    return ",".join(values)


def wants_html(scope: Scope) -> bool:
    """Whether the request is a browser's page navigation (``Accept`` names
    ``text/html`` with a weight above zero); scripts and API clients get JSON."""
    for item in _header(scope, b"accept").split(","):
        media_type, _, params = item.partition(";")
        if media_type.strip().lower() != "text/html":
            continue
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    return float(value.strip()) > 0
                except ValueError:
                    return False
        return True
    return False


# -- reading the form --------------------------------------------------------------------


def _check_content_type(scope: Scope) -> None:
    content_type = _header(scope, b"content-type")
    media_type, params = parse_options_header(content_type)
    if media_type != FORM_TYPE.encode():
        shown = f"Content-Type {content_type!r}" if content_type else "no Content-Type"
        raise UnsupportedMediaType(
            f"Send the token as a form: Content-Type {FORM_TYPE} with a field "
            f"'{FIELD}' (this request has {shown}).",
            param=FIELD,
            code="unsupported_content_type",
        )
    charset = params.get(b"charset", b"utf-8").decode("latin-1")
    if charset.lower() not in {"utf-8", "utf8"}:
        raise UnsupportedMediaType(
            f"The form must be UTF-8 (this request says charset={charset!r}); send "
            f"Content-Type {FORM_TYPE} without a charset, or with charset=utf-8.",
            param=FIELD,
            code="unsupported_charset",
        )


def _too_large() -> MockFilesError:
    return FileTooLarge(
        f"The login form is over {MAX_LOGIN_BODY} bytes; send only the field '{FIELD}' "
        "with the control token.",
        param=FIELD,
        code="login_body_too_large",
    )


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_LOGIN_BODY:
        raise _too_large()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_LOGIN_BODY:
            raise _too_large()
    return bytes(body)


def _fields(body: bytes) -> list[tuple[bytes, bytes]]:
    """The form's (name, value) pairs, still percent-encoded, as python-multipart reads
    them; 400 for a body that is not a form."""
    fields: list[tuple[bytes, bytes]] = []
    name, value = bytearray(), bytearray()

    def on_field_start() -> None:
        name.clear()
        value.clear()

    def on_field_name(data: bytes, start: int, end: int) -> None:
        name.extend(data[start:end])

    def on_field_data(data: bytes, start: int, end: int) -> None:
        value.extend(data[start:end])

    def on_field_end() -> None:
        if len(fields) == _MAX_FIELDS:
            raise InvalidRequest(
                f"The login form has more than {_MAX_FIELDS} fields; send only '{FIELD}'.",
                param=FIELD,
            )
        fields.append((bytes(name), bytes(value)))

    parser = QuerystringParser(
        {
            "on_field_start": on_field_start,
            "on_field_name": on_field_name,
            "on_field_data": on_field_data,
            "on_field_end": on_field_end,
        },
        strict_parsing=True,
    )
    try:
        parser.write(body)
        parser.finalize()
    except QuerystringParseError:
        raise InvalidRequest(
            f"The body is not a form ({FORM_TYPE}: name=value pairs joined by '&'); "
            f"send {FIELD}=TOKEN.",
            param=FIELD,
        ) from None
    return fields


def _text(raw: bytes) -> str:
    """A percent-encoded name or value as text; 400 unless it is UTF-8."""
    try:
        return unquote_plus(raw.decode("ascii"), errors="strict")
    except UnicodeError:
        raise InvalidRequest(
            "The login form is not UTF-8: percent-encode the token's UTF-8 bytes "
            f"({FORM_TYPE}, as a browser's form does).",
            param=FIELD,
            code="invalid_encoding",
        ) from None


async def read_token(request: Request) -> str:
    """The ``token`` field of a login form; 4xx (nothing read further) for a body that
    is not exactly that: another content type (415), over :data:`MAX_LOGIN_BODY` (413),
    not a form, not UTF-8, no ``token`` field or two of them (400)."""
    _check_content_type(request.scope)
    body = await _body(request)
    sent = [_text(value) for name, value in _fields(body) if _text(name) == FIELD]
    if len(sent) != 1:
        problem = "has no field" if not sent else "has more than one field"
        raise InvalidRequest(
            f"The login form {problem} '{FIELD}'; send {FIELD}=TOKEN once ({FORM_TYPE}).",
            param=FIELD,
            code="missing_token" if not sent else "duplicate_token",
        )
    return sent[0]


# -- the page ----------------------------------------------------------------------------


@cache
def _style() -> tuple[str, str]:
    """The page's stylesheet and its CSP source (a hash: no other inline style runs)."""
    css = asset("login.css").decode()
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return css, f"'sha256-{digest}'"


def form_page(message: str | None = None, *, status: int = 403) -> Response:
    """The login form (``message`` shown above it, as text), not cached, no scripts."""
    css, style_source = _style()
    shown = "" if message is None else f'<p class="error" role="alert">{html.escape(message)}</p>'
    page = asset("login.html").decode().replace("<!--style-->", css)
    page = page.replace("<!--message-->", shown)
    headers = {
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        # not no-referrer: under it a browser sends the form's POST with "Origin: null"
        # (and the login route would take it for another site's); nothing leaves the origin
        "referrer-policy": "same-origin",
        "content-security-policy": (
            f"default-src 'none'; style-src {style_source}; img-src data:; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        ),
    }
    return Response(page, status_code=status, media_type="text/html", headers=headers)


def has_origin(scope: Scope) -> bool:
    """Whether the request names its ``Origin`` (browsers do on every POST)."""
    return any(key == b"origin" for key, _ in scope["headers"])
