"""Control routes under ``/_mock`` for clients that cannot call Python.

``POST /_mock/reset``, ``POST /_mock/clock`` (``{"advance": s}``, ``{"set": t}`` or
``{"real_time": true}``),
``GET /_mock/journal`` (the scenario so far), ``POST /_mock/scenario`` (load one),
``POST /_mock/files`` (seed a file), ``POST /_mock/urls`` (register a URL for imports),
``POST /_mock/faults`` (queue a fault), and the dashboard (``GET /_mock/``, see
:mod:`mockfiles.api.dashboard`; ``POST /_mock/login``, its login form, see
:mod:`mockfiles.api.control_login`). They need no API key and are not journaled.

Every body is checked against a JSON schema (types, finite ranges, no unknown fields)
before anything changes: a refused request answers 400 with the envelope and leaves the
state as it was. Only loopback callers are served, unless the mock has a control token
and the caller sends it in ``x-mockfiles-control-token`` (403 otherwise).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from .. import safe_json
from ..control import ControlService
from ..errors import InvalidRequest, MockFilesError
from ..scenario_format import ScenarioError, ScenarioProfileError, content_bytes
from ..scenario_state import scenario_json_chunks
from ..services.files import MAX_TIME
from . import control_cookie, control_login, json_input
from .context import CONTROL_KEY, control_of
from .dashboard import DASHBOARD_ROUTES
from .middleware import refuse_ambiguous_length
from .render import JSON, error_response, file_object
from .routing import MethodDispatch, invalid_url
from .upload_schema import schema_error_message

PREFIX = "/_mock"
#: The header a non-loopback caller sends the control token in.
TOKEN_HEADER = "x-mockfiles-control-token"
#: Control bodies larger than this are refused (scenarios included).
MAX_CONTROL_BODY = 256 * 1024 * 1024


class Forbidden(MockFilesError):
    """A caller the control routes do not serve (403)."""

    status = 403
    error_type = "permission_error"


async def _json(request: Request, *, max_depth: int = safe_json.MAX_DEPTH) -> Any:
    return await json_input.read_json(
        request,
        limit=MAX_CONTROL_BODY,
        too_large=lambda: InvalidRequest(f"The body is over {MAX_CONTROL_BODY} bytes."),
        invalid="The body must be JSON (NaN and Infinity are not).",
        max_depth=max_depth,
    )


_TIME = {"type": "integer", "minimum": 0, "maximum": MAX_TIME}
_CONTENT = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {"text": {"type": "string"}, "base64": {"type": "string"}},
}
_HEADERS = {"type": "object", "additionalProperties": {"type": "string"}}
_NAME = {"type": "string", "minLength": 1, "maxLength": 1000}

SCHEMAS: dict[str, dict[str, Any]] = {
    "seed": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "content": _CONTENT,
            "filename": _NAME,
            "purpose": {"type": "string"},
            "expires_after_seconds": {"type": ["integer", "null"], "minimum": 0},
            "created_at": {"anyOf": [_TIME, {"type": "null"}]},
            "api_key": {"type": ["string", "null"], "minLength": 1},
            "project": {"type": ["string", "null"], "minLength": 1},
        },
    },
    "urls": {
        "type": "object",
        "additionalProperties": False,
        "required": ["url"],
        "properties": {
            "url": {"type": "string", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"},
            "content": _CONTENT,
            "status": {"type": "integer", "minimum": 100, "maximum": 599},
            "headers": _HEADERS,
        },
    },
    "faults": {
        "type": "object",
        "additionalProperties": False,
        "required": ["status"],
        "properties": {
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "method": {
                "type": ["string", "null"],
                "enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", None],
            },
            "path": {"type": "string", "minLength": 1},
            "times": {"type": ["integer", "null"], "minimum": 1},
            "headers": _HEADERS,
            "message": {"type": "string"},
            "type": {"type": "string"},
            "code": {"type": "string"},
        },
    },
    "scenario": {"type": "object"},
}


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(SCHEMAS[name])


_LEADS = {
    "seed": "Cannot seed that file",
    "urls": "Cannot register that URL",
    "faults": "Cannot queue that fault",
    "scenario": "Not a loadable scenario",
}


async def _checked(request: Request, schema: str) -> dict[str, Any]:
    """The JSON body, valid for ``schema``; 400 naming the first problem otherwise."""
    # a scenario wraps recorded bodies in a few levels of its own
    depth = safe_json.SCENARIO_MAX_DEPTH if schema == "scenario" else safe_json.MAX_DEPTH
    document = await _json(request, max_depth=depth)
    error = next(iter(_validator(schema).iter_errors(document)), None)
    if error is not None:
        raise InvalidRequest(f"{_LEADS[schema]}: {schema_error_message(error)}.")
    result: dict[str, Any] = document
    return result


async def reset(request: Request) -> Response:
    control = control_of(request.scope)
    control.reset()
    return JSON({"reset": True})


def _number(body: dict[str, Any], key: str) -> float:
    value = body[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest(f"'{key}' must be a number of seconds, got {value!r}.", param=key)
    try:
        return float(value)
    except OverflowError:
        raise InvalidRequest(f"'{key}' is out of range: {value!r}.", param=key) from None


async def clock(request: Request) -> Response:
    control = control_of(request.scope)
    body = await _json(request)
    if not isinstance(body, dict) or len(body) != 1:
        raise InvalidRequest(
            'Send {"advance": seconds}, {"set": unix_time} or {"real_time": true}.'
        )
    if "real_time" in body:
        if body["real_time"] is not True:
            raise InvalidRequest(
                f"'real_time' must be true, got {body['real_time']!r}.", param="real_time"
            )
        return JSON({"now": control.follow_real_time()})
    if not {"advance", "set"} & set(body):
        raise InvalidRequest(
            'Send {"advance": seconds}, {"set": unix_time} or {"real_time": true}.'
        )
    try:
        if "advance" in body:
            now = control.advance_clock(_number(body, "advance"))
        else:
            now = control.set_clock(_number(body, "set"))
    except ValueError as exc:
        raise InvalidRequest(f"Cannot move the clock: {exc}.", param=next(iter(body))) from None
    return JSON({"now": now})


class _JournalResponse(Response):
    """The scenario so far, streamed one step at a time."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.status_code = 200
        self.background = None
        self.body = b""
        self.raw_headers = [(b"content-type", b"application/json")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        for chunk in self.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def journal(request: Request) -> Response:
    return _JournalResponse(scenario_json_chunks(control_of(request.scope).backend))


async def scenario(request: Request) -> Response:
    control = control_of(request.scope)
    document = await _checked(request, "scenario")
    try:
        report = control.load_scenario(document)
    except ScenarioError as exc:
        param = "profile" if isinstance(exc, ScenarioProfileError) else None
        raise InvalidRequest(f"Not a loadable scenario: {exc}.", param=param) from None
    return JSON({"loaded": True, "files": sum(report.files.values()), "tenants": report.describe()})


async def seed(request: Request) -> Response:
    control = control_of(request.scope)
    body = await _checked(request, "seed")
    try:
        content = content_bytes(body.get("content", {"text": ""}))
        record = control.seed_file(
            content,
            filename=body.get("filename", "file.jsonl"),
            purpose=body.get("purpose", "batch_output"),
            expires_after_seconds=body.get("expires_after_seconds"),
            created_at=body.get("created_at"),
            api_key=body.get("api_key"),
            project=body.get("project"),
        )
    except ValueError as exc:
        raise InvalidRequest(f"Cannot seed that file: {exc}.") from None
    return JSON(file_object(control.backend.files, record))


async def urls(request: Request) -> Response:
    control = control_of(request.scope)
    body = await _checked(request, "urls")
    try:
        control.backend.urls.register(
            body["url"],
            content_bytes(body.get("content", {"text": ""})),
            status=body.get("status", 200),
            headers=body.get("headers"),
        )
    except ValueError as exc:
        raise InvalidRequest(f"Cannot register that URL: {exc}.") from None
    return JSON({"registered": body["url"]})


async def faults(request: Request) -> Response:
    control = control_of(request.scope)
    body = await _checked(request, "faults")
    try:
        fault = control.backend.faults.add(
            status=body["status"],
            method=body.get("method"),
            path=body.get("path", "*"),
            times=body.get("times", 1),
            headers=body.get("headers"),
            message=body.get("message"),
            error_type=body.get("type"),
            code=body.get("code"),
        )
    except ValueError as exc:
        raise InvalidRequest(f"Cannot queue that fault: {exc}.") from None
    return JSON(
        {
            "queued": True,
            "status": fault.status,
            "method": fault.method,
            "path": fault.path,
            "times": fault.remaining,
        }
    )


CONTROL_ROUTES = [
    Route(f"{PREFIX}/reset", MethodDispatch(POST=reset)),
    Route(f"{PREFIX}/clock", MethodDispatch(POST=clock)),
    Route(f"{PREFIX}/journal", MethodDispatch(GET=journal)),
    Route(f"{PREFIX}/scenario", MethodDispatch(POST=scenario)),
    Route(f"{PREFIX}/files", MethodDispatch(POST=seed)),
    Route(f"{PREFIX}/urls", MethodDispatch(POST=urls)),
    Route(f"{PREFIX}/faults", MethodDispatch(POST=faults)),
    *DASHBOARD_ROUTES,
]

#: One router for every mock: the mock travels in the scope.
CONTROL_ROUTER = Router(routes=CONTROL_ROUTES, default=invalid_url)


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (a client address) is this machine."""
    if host is None:
        return False
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def check_caller(scope: Scope, token: str | None, *, trust_loopback: bool = True) -> None:
    """Serve loopback callers (unless ``trust_loopback`` is False); others only with the
    control token, in the header or as the dashboard's cookie (403 otherwise)."""
    client = scope.get("client")
    if trust_loopback and is_loopback(client[0] if client else None):
        return
    if token is not None:
        sent = next(
            (v for k, v in scope["headers"] if k == TOKEN_HEADER.encode()),
            None,
        )
        if sent is not None and hmac.compare_digest(sent, token.encode()):
            return
        try:
            if control_cookie.cookie_allows(scope, token):
                return
        except control_cookie.CookieRefused:
            raise Forbidden(
                "The dashboard cookie only authorises changes made from the dashboard's own "
                "page (an Origin header naming this server). Send the control token in the "
                f"'{TOKEN_HEADER}' header instead.",
                code="control_cookie_cross_origin",
            ) from None
        who = "every caller" if not trust_loopback else "callers that are not on this machine"
        raise Forbidden(
            f"The control routes need the control token in the '{TOKEN_HEADER}' header "
            f"for {who} (in a browser, open {control_cookie.LOGIN_PATH} and type it in the "
            "form).",
            code="control_token_required",
        )
    raise Forbidden(
        "The control routes answer loopback callers only. Start the server with "
        f"--control-token TOKEN and send it in '{TOKEN_HEADER}' to use them from "
        "another host.",
        code="control_loopback_only",
    )


#: What a refused browser sees above the login form.
WRONG_TOKEN = "That is not the control token: type the one the server was started with."


def check_login(sent: str, token: str | None, *, form: bool = False) -> None:
    """403 unless ``sent`` (``GET /_mock/?token=...``, or the login form's field with
    ``form``) is the control token."""
    if token is None:
        raise Forbidden(
            "This mock has no control token to exchange for the dashboard cookie; start "
            "it with --control-token TOKEN (or open /_mock/ without ?token= on this machine).",
            code="control_token_not_set",
        )
    if not hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), token.encode()):
        raise Forbidden(
            (
                "Wrong control token in the login form. Send the token the server was "
                "started with (--control-token) in the form's 'token' field."
            )
            if form
            else (
                "Wrong control token in ?token=. Open /_mock/?token=TOKEN with the token the "
                "server was started with (--control-token)."
            ),
            code="control_token_required",
        )


async def sign_in(request: Request) -> Response:
    """``POST /_mock/login``: the login form's token for the dashboard's cookie and a 303
    to the page; a browser sent a wrong token sees the form again (403)."""
    scope = request.scope
    if control_login.has_origin(scope) and not control_cookie.same_origin(scope):
        raise Forbidden(
            "The login form is only accepted from the dashboard's own page: this request's "
            "Origin header names another site. Open /_mock/ on this server and sign in "
            f"there, or send the token in the '{TOKEN_HEADER}' header.",
            code="control_login_cross_origin",
        )
    token = control_of(scope).backend.control_token
    if token is None:
        check_login("", token)  # refuses: nothing to sign in with
    refuse_ambiguous_length(scope["headers"])
    sent = await control_login.read_token(request)
    try:
        check_login(sent, token, form=True)
    except Forbidden:
        if control_login.wants_html(scope):
            return control_login.form_page(WRONG_TOKEN)
        raise
    return control_cookie.login_response(sent)


async def to_the_page(request: Request) -> Response:
    """``GET /_mock/login``: to the page (which shows the form when it is needed)."""
    return Response(status_code=303, headers={"location": control_cookie.LOGIN_PATH})


#: Served before the access rule: signing in is how a browser gets past it.
LOGIN_ROUTE = MethodDispatch(GET=to_the_page, POST=sign_in)


def _form_instead(scope: Scope, error: MockFilesError) -> Response | None:
    """The login form, for a browser's page navigation to ``/_mock/`` that the access
    rule refused for want of the token (others get the envelope)."""
    if not (
        isinstance(error, Forbidden)
        and error.code == "control_token_required"
        and scope["method"] in {"GET", "HEAD"}
        and scope["path"] in control_login.FORM_PATHS
        and control_login.wants_html(scope)
    ):
        return None
    tried = control_cookie.login_token(scope) is not None
    return control_login.form_page(WRONG_TOKEN if tried else None)


class ControlApp:
    """The control routes for one mock; errors render as the provider's envelope."""

    def __init__(self, control: ControlService) -> None:
        self.control = control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[CONTROL_KEY] = self.control
        backend = self.control.backend
        try:
            if scope["path"] == control_login.LOGIN_PATH:
                await LOGIN_ROUTE(scope, receive, send)
                return
            login = control_cookie.login_token(scope)
            if login is not None:
                check_login(login, backend.control_token)
                await control_cookie.login_response(login)(scope, receive, send)
                return
            trust = not backend.settings.control_token_for_loopback
            check_caller(scope, backend.control_token, trust_loopback=trust)
            refuse_ambiguous_length(scope["headers"])
            await CONTROL_ROUTER(scope, receive, send)
        except MockFilesError as error:
            form = _form_instead(scope, error)
            if form is not None:
                await form(scope, receive, send)
                return
            detail = self.control.backend.profile.error_detail
            await error_response(error, detail=detail)(scope, receive, send)
