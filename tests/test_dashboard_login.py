"""The dashboard's login form: a browser without the token is shown a page with a
password field that posts ``token=...`` to ``POST /_mock/login``; the right token sets
the dashboard's cookie and answers 303 to ``/_mock/``, so the token is in no address.

As in :mod:`tests.test_dashboard_token`, the mock asks loopback callers for the token
(``control_token_for_loopback``) so that they are treated exactly as remote callers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from mockfiles import MockFiles
from mockfiles.api.control_cookie import COOKIE_NAME, cookie_value
from mockfiles.api.control_login import MAX_LOGIN_BODY
from mockfiles.server import ThreadedServer

from .browser import chromium, chromium_or_reason
from .test_serve_cli import serving
from .test_server import free_port

TOKEN = "t0ken for the form & more+=ü"
HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def mock() -> MockFiles:
    return MockFiles(control_token=TOKEN, control_token_for_loopback=True)


@pytest.fixture
def server(mock: MockFiles) -> Iterator[ThreadedServer]:
    with ThreadedServer(mock) as running:
        yield running


@pytest.fixture
def http(server: ThreadedServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.root_url) as client:
        yield client


def _error(response: httpx.Response, status: int = 403) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json", response.headers
    error: dict[str, Any] = response.json()["error"]
    return error


def _refused_and_unchanged(http: httpx.Client, answer: httpx.Response) -> None:
    """Nothing was set: no cookie, and the control routes still refuse this client."""
    assert "set-cookie" not in answer.headers
    assert COOKIE_NAME not in http.cookies
    assert _error(http.get("/_mock/state"))["code"] == "control_token_required"


def _is_form(answer: httpx.Response) -> None:
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert '<form method="post" action="/_mock/login">' in answer.text
    assert re.search(r'<input type="password" id="token" name="token"', answer.text)
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "form-action 'self'" in policy
    assert "script" not in answer.text.lower()  # nothing runs on the page
    assert answer.headers["cache-control"] == "no-store"


# -- what a browser is shown ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/_mock/", "/_mock"])
def test_a_browser_without_the_token_gets_the_form(http: httpx.Client, path: str) -> None:
    answer = http.get(path, headers=HTML)
    _is_form(answer)
    assert 'role="alert"' not in answer.text  # no complaint before a try
    _refused_and_unchanged(http, answer)


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/html;q=0"])
def test_json_clients_still_get_the_envelope(http: httpx.Client, accept: str | None) -> None:
    headers = {} if accept is None else {"accept": accept}
    answer = http.get("/_mock/", headers=headers)
    error = _error(answer)
    assert error["code"] == "control_token_required" and error["type"] == "permission_error"
    assert "/_mock/" in error["message"] and "form" in error["message"]


def test_other_control_routes_answer_a_browser_with_the_envelope(http: httpx.Client) -> None:
    assert _error(http.get("/_mock/state", headers=HTML))["code"] == "control_token_required"


def test_a_wrong_token_in_the_address_shows_the_form_with_a_message(http: httpx.Client) -> None:
    answer = http.get("/_mock/", params={"token": "wrong"}, headers=HTML)
    _is_form(answer)
    assert "not the control token" in answer.text
    _refused_and_unchanged(http, answer)


def test_the_form_never_echoes_what_was_sent(server: ThreadedServer) -> None:
    """The form is static: what a caller sends is never written into it."""
    with httpx.Client(base_url=server.root_url, headers=HTML) as http:
        answer = http.post("/_mock/login", data={"token": "<b>x</b>"})
    _is_form(answer)
    assert "<b>x</b>" not in answer.text


# -- POST /_mock/login -----------------------------------------------------------------------


def test_the_right_token_sets_the_cookie_and_goes_to_the_page(http: httpx.Client) -> None:
    answer = http.post("/_mock/login", data={"token": TOKEN})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/_mock/"
    assert answer.headers["cache-control"] == "no-store"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/_mock" in cookie
    assert http.cookies[COOKIE_NAME] == cookie_value(TOKEN)  # the same cookie as ?token=
    page = http.get("/_mock/", headers=HTML)
    assert page.status_code == 200 and "mockfiles dashboard" in page.text
    assert http.get("/_mock/state").status_code == 200


def test_a_browser_form_with_the_right_token_lands_on_the_dashboard(http: httpx.Client) -> None:
    answer = http.post(
        "/_mock/login", data={"token": TOKEN}, headers={**HTML}, follow_redirects=True
    )
    assert answer.status_code == 200 and str(answer.url).endswith("/_mock/")
    assert [r.status_code for r in answer.history] == [303]
    assert "mockfiles dashboard" in answer.text


@pytest.mark.parametrize("token", ["", "wrong", TOKEN[:-1], TOKEN + "x", TOKEN.upper()])
def test_a_wrong_token_is_refused_and_sets_nothing(http: httpx.Client, token: str) -> None:
    answer = http.post("/_mock/login", data={"token": token})
    error = _error(answer)
    assert error["code"] == "control_token_required"
    assert "--control-token" in error["message"]
    _refused_and_unchanged(http, answer)


@pytest.mark.parametrize("token", ["", "wrong", TOKEN[:-1]])
def test_a_wrong_token_from_a_browser_is_the_form_again(http: httpx.Client, token: str) -> None:
    answer = http.post("/_mock/login", data={"token": token}, headers=HTML)
    _is_form(answer)
    assert 'role="alert"' in answer.text and "not the control token" in answer.text
    _refused_and_unchanged(http, answer)


def test_the_token_is_read_as_utf8_with_plus_and_escapes(http: httpx.Client) -> None:
    # TOKEN holds a space, '&', '+', '=' and a non-ASCII letter: all survive the form
    encoded = httpx.QueryParams({"token": TOKEN})
    assert "+" in str(encoded) and "%C3%BC" in str(encoded)
    answer = http.post("/_mock/login", content=str(encoded).encode(), headers=FORM)
    assert answer.status_code == 303, answer.text
    assert http.get("/_mock/state").status_code == 200


def test_other_fields_are_ignored(http: httpx.Client) -> None:
    answer = http.post("/_mock/login", data={"next": "/elsewhere", "token": TOKEN})
    assert answer.status_code == 303 and answer.headers["location"] == "/_mock/"


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "null", "http://127.0.0.1:1", "https://{host}"]
)
def test_a_login_from_another_origin_is_refused(
    http: httpx.Client, server: ThreadedServer, origin: str
) -> None:
    host = server.root_url.removeprefix("http://")
    answer = http.post(
        "/_mock/login", data={"token": TOKEN}, headers={"origin": origin.format(host=host)}
    )
    error = _error(answer)
    assert error["code"] == "control_login_cross_origin"
    assert "Origin" in error["message"]
    _refused_and_unchanged(http, answer)


def test_a_login_from_the_servers_own_origin_or_without_one_is_served(
    server: ThreadedServer,
) -> None:
    for headers in ({"origin": server.root_url}, {}):
        with httpx.Client(base_url=server.root_url) as http:
            answer = http.post("/_mock/login", data={"token": TOKEN}, headers=headers)
            assert answer.status_code == 303, (headers, answer.text)
            assert http.get("/_mock/state").status_code == 200


def _chunks(size: int) -> Iterator[bytes]:
    yield b"token="
    for _ in range(size // 1024 + 1):
        yield b"a" * 1024


BAD_BODIES: list[tuple[str, dict[str, str], Any, int, str]] = [
    ("json", {"content-type": "application/json"}, json.dumps({"token": TOKEN}), 415, "form"),
    ("text", {"content-type": "text/plain"}, "token=x", 415, "has Content-Type 'text/plain'"),
    ("no type", {}, b"token=x", 415, "this request has no Content-Type"),
    ("latin-1", {"content-type": FORM["content-type"] + "; charset=latin-1"}, "token=x", 415,
     "UTF-8"),
    ("declared huge", FORM, b"token=" + b"a" * MAX_LOGIN_BODY, 413, str(MAX_LOGIN_BODY)),
    ("streamed huge", FORM, _chunks(MAX_LOGIN_BODY), 413, str(MAX_LOGIN_BODY)),
    ("missing", FORM, b"other=x", 400, "no field 'token'"),
    ("empty body", FORM, b"", 400, "no field 'token'"),
    ("twice", FORM, b"token=a&token=b", 400, "more than one"),
    ("not a form", FORM, b"token&other=x", 400, "not a form"),
    ("bad escape", FORM, b"token=%FF%FE", 400, "UTF-8"),
    ("raw bytes", FORM, b"token=\xff", 400, "UTF-8"),
    ("bad name", FORM, b"%FF=x&token=y", 400, "UTF-8"),
    ("too many", FORM, "&".join(f"f{n}=x" for n in range(40)) + "&token=x", 400, "fields"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("headers", "body", "status", "hint"),
    [case[1:] for case in BAD_BODIES],
    ids=[case[0] for case in BAD_BODIES],
)
def test_every_bad_body_is_a_4xx_that_changes_nothing(
    http: httpx.Client, headers: dict[str, str], body: Any, status: int, hint: str
) -> None:
    answer = http.post("/_mock/login", content=body, headers=headers)
    error = _error(answer, status)
    assert hint in error["message"], error
    assert error["param"] == "token"
    _refused_and_unchanged(http, answer)
    # and the next request is served as usual
    assert http.post("/_mock/login", data={"token": TOKEN}).status_code == 303
    assert http.get("/_mock/state").status_code == 200


def test_the_body_is_not_read_when_the_origin_is_foreign(http: httpx.Client) -> None:
    answer = http.post(
        "/_mock/login",
        content=_chunks(MAX_LOGIN_BODY),
        headers={**FORM, "origin": "http://evil.example"},
    )
    assert _error(answer)["code"] == "control_login_cross_origin"


def test_other_methods_on_the_login_route(http: httpx.Client) -> None:
    answer = http.get("/_mock/login")
    assert answer.status_code == 303 and answer.headers["location"] == "/_mock/"
    assert "set-cookie" not in answer.headers
    error = _error(http.put("/_mock/login", data={"token": TOKEN}), 404)
    assert error["message"] == "Invalid URL (PUT /_mock/login)"
    assert COOKIE_NAME not in http.cookies


def test_a_mock_without_a_token_refuses_the_login() -> None:
    with ThreadedServer(MockFiles()) as server, httpx.Client(base_url=server.root_url) as http:
        answer = http.post("/_mock/login", data={"token": "anything"}, headers=HTML)
        assert _error(answer)["code"] == "control_token_not_set"
        assert "set-cookie" not in answer.headers
        assert http.get("/_mock/state").status_code == 200  # loopback, as before


def test_the_query_token_still_works(http: httpx.Client) -> None:
    answer = http.get("/_mock/", params={"token": TOKEN})
    assert answer.status_code == 303 and http.cookies[COOKIE_NAME] == cookie_value(TOKEN)


# -- the real browser against a real `mockfiles serve` -----------------------------------


def test_a_browser_signs_in_with_the_form() -> None:
    reason = chromium_or_reason()
    if reason is not None:
        pytest.skip(reason)
    token = "form-t0ken-typed-not-linked"
    with serving("--control-token", token, "--token-for-loopback") as (_, root):
        headed = {"x-mockfiles-control-token": token}
        errors: list[str] = []
        with chromium() as browser:
            context = browser.new_context()
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            cdp = context.new_cdp_session(page)

            def history() -> list[str]:
                entries = cdp.send("Page.getNavigationHistory")["entries"]
                urls = [str(entry["url"]) for entry in entries]
                assert page.evaluate("window.history.length") == len(urls)
                return urls

            def nothing_shows(secret: str) -> None:
                assert secret not in page.url
                assert all(secret not in url for url in history()), history()
                names = page.evaluate("performance.getEntriesByType('navigation').map(e => e.name)")
                assert names and all(secret not in name for name in names)

            # The page: a form, no cookie yet.
            answer = page.goto(f"{root}/_mock/")
            assert answer is not None and answer.status == 403
            field = page.get_by_label("Control token")
            expect(field).to_have_attribute("type", "password")
            expect(field).to_be_focused()
            # its inline style runs under the page's CSP (a hash of exactly that style)
            expect(page.locator("label[for=token]")).to_have_css("font-weight", "600")
            expect(page.get_by_role("alert")).to_have_count(0)
            assert context.cookies() == []

            # A wrong token: the form again, with a message; still no cookie.
            field.press_sequentially("not-the-token")
            with page.expect_navigation() as wrong:
                page.get_by_role("button", name="Open the dashboard").click()
            assert wrong.value is not None and wrong.value.status == 403
            assert page.url == f"{root}/_mock/login"
            expect(page.get_by_role("alert")).to_contain_text("not the control token")
            expect(page.get_by_label("Control token")).to_have_value("")
            nothing_shows("not-the-token")
            assert context.cookies() == []
            refused = page.goto(f"{root}/_mock/state")
            assert refused is not None and refused.status == 403
            error = json.loads(page.locator("body").inner_text())["error"]
            assert error["code"] == "control_token_required"
            again = page.goto(f"{root}/_mock/")
            assert again is not None and again.status == 403

            # The right one, typed and submitted with Enter: the dashboard.
            field = page.get_by_label("Control token")
            field.press_sequentially(token)
            with page.expect_navigation(url=f"{root}/_mock/") as right:
                field.press("Enter")
            assert right.value is not None and right.value.status == 200
            assert page.url == f"{root}/_mock/"
            expect(page.locator("#profile")).to_have_text("openai")
            [cookie] = context.cookies()
            assert cookie["name"] == COOKIE_NAME and cookie["value"] == cookie_value(token)
            assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
            assert page.evaluate("document.cookie") == ""
            nothing_shows(token)
            assert history()[-1] == f"{root}/_mock/"

            # The page works on that cookie: its buttons change state (its own Origin).
            page.get_by_role("button", name="Advance 1 day").click()
            expect(page.locator("#clock-offset")).to_have_text(re.compile(r"^\+24 h"))
            state = httpx.get(f"{root}/_mock/state", headers=headed).json()
            assert state["clock"]["offset"] == 86400

            # A reload stays signed in, and still shows no token.
            page.reload()
            expect(page.locator("#profile")).to_have_text("openai")
            nothing_shows(token)

            # Another site's page cannot log this browser in (its Origin is not the mock).
            evil_url = f"http://localhost:{free_port()}/evil.html"
            evil_form = (
                "<!doctype html><html><body>"
                f'<form id="f" method="post" action="{root}/_mock/login">'
                '<input name="token" value="attacker"></form>'
                "<script>document.getElementById('f').submit()</script></body></html>"
            )
            fresh = browser.new_context()
            fresh.route(
                evil_url,
                lambda route: route.fulfill(status=200, content_type="text/html", body=evil_form),
            )
            evil = fresh.new_page()
            with evil.expect_navigation(url=f"{root}/_mock/login"):
                evil.goto(evil_url)
            error = json.loads(evil.locator("body").inner_text())["error"]
            assert error["code"] == "control_login_cross_origin"
            assert fresh.cookies() == []
            fresh.close()
            context.close()
        assert errors == []
