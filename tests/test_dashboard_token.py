"""The dashboard from another machine: ``GET /_mock/?token=T`` (the quick way; the login
form is :mod:`tests.test_dashboard_login`) exchanges the control token for an HttpOnly,
SameSite=Strict cookie on ``/_mock``, which the control routes accept as they accept the
header — state changes only from the server's own origin.

Callers here are on loopback, so the mock is told to ask loopback callers for the token
too (``control_token_for_loopback`` / ``serve --token-for-loopback``): they are then
treated exactly as remote callers are.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import openai
import pytest
from playwright.sync_api import Route, expect

from mockfiles import MockFiles
from mockfiles.api.control_cookie import COOKIE_NAME
from mockfiles.server import ThreadedServer

from .browser import chromium, chromium_or_reason
from .conftest import BATCH_LINE
from .test_serve_cli import serving
from .test_server import free_port

TOKEN = "t0ken-for-the-dashboard"
KEY = "sk-dashboard-token-abcdef"


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


def _error(response: httpx.Response, status: int = 403) -> dict[str, str]:
    assert response.status_code == status, response.text
    error: dict[str, str] = response.json()["error"]
    assert error["type"] == "permission_error", error
    return error


def _login(http: httpx.Client, token: str = TOKEN) -> httpx.Response:
    return http.get("/_mock/", params={"token": token})


def test_the_token_is_exchanged_for_a_cookie(http: httpx.Client) -> None:
    answer = _login(http)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/_mock/"
    cookie = answer.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "samesite", "path"} <= attributes, cookie
    assert "samesite=strict" in cookie.lower() and "path=/_mock" in cookie.lower()
    value = http.cookies[COOKIE_NAME]
    assert value and TOKEN not in value  # derived from the token, not the token
    page = http.get("/_mock/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert http.get("/_mock/state").status_code == 200


def test_the_cookie_is_sent_under_mock_only(http: httpx.Client) -> None:
    _login(http)
    assert "cookie" in http.build_request("GET", "/_mock/state").headers
    assert "cookie" not in http.build_request("GET", "/v1/files").headers


@pytest.mark.parametrize("token", ["wrong", "", TOKEN + "x", TOKEN[:-1]])
def test_a_wrong_token_is_the_403_envelope_and_sets_nothing(http: httpx.Client, token: str) -> None:
    answer = _login(http, token)
    assert _error(answer)["code"] == "control_token_required"
    assert "set-cookie" not in answer.headers
    assert "?token=" in answer.json()["error"]["message"]
    assert _error(http.get("/_mock/state"))["code"] == "control_token_required"


def test_a_mock_without_a_token_refuses_the_exchange() -> None:
    with ThreadedServer(MockFiles()) as server, httpx.Client(base_url=server.root_url) as http:
        answer = _login(http, "anything")
        assert _error(answer)["code"] == "control_token_not_set"
        assert "set-cookie" not in answer.headers
        assert http.get("/_mock/state").status_code == 200  # loopback, as before


def test_loopback_callers_need_the_token_when_told_to(http: httpx.Client) -> None:
    assert _error(http.get("/_mock/state"))["code"] == "control_token_required"
    assert _error(http.post("/_mock/reset"))["code"] == "control_token_required"
    headed = http.get("/_mock/state", headers={"x-mockfiles-control-token": TOKEN})
    assert headed.status_code == 200


def test_a_forged_or_foreign_cookie_is_refused(http: httpx.Client) -> None:
    for value in ["", "0" * 64, TOKEN, "x" * 1000]:
        http.cookies.set(COOKIE_NAME, value, path="/_mock")
        assert _error(http.get("/_mock/state"))["code"] == "control_token_required", value
    other = MockFiles(control_token="another-token", control_token_for_loopback=True)
    with ThreadedServer(other) as elsewhere, httpx.Client(base_url=elsewhere.root_url) as them:
        _login(them, "another-token")
        http.cookies.set(COOKIE_NAME, them.cookies[COOKIE_NAME], path="/_mock")
    assert _error(http.get("/_mock/state"))["code"] == "control_token_required"


def test_state_changes_on_the_cookie_need_the_servers_own_origin(
    http: httpx.Client, server: ThreadedServer, mock: MockFiles
) -> None:
    _login(http)
    own = server.root_url
    before = mock.clock.offset
    for headers in [
        {},  # no Origin
        {"origin": "http://127.0.0.1:1"},  # another port of the same host: same site
        {"origin": "http://evil.example"},
        {"origin": "null"},
        {"origin": own.replace("http://", "https://")},
    ]:
        refused = http.post("/_mock/clock", json={"advance": 60}, headers=headers)
        assert _error(refused)["code"] == "control_cookie_cross_origin", headers
        assert "x-mockfiles-control-token" in refused.json()["error"]["message"]
    assert mock.clock.offset == before
    moved = http.post("/_mock/clock", json={"advance": 60}, headers={"origin": own})
    assert moved.status_code == 200, moved.text
    assert mock.clock.offset == before + 60
    # reads need no Origin; the header token needs none either
    assert http.get("/_mock/state").status_code == 200
    with httpx.Client(base_url=own, headers={"x-mockfiles-control-token": TOKEN}) as headed:
        assert headed.post("/_mock/clock", json={"advance": 1}).status_code == 200


def test_token_for_loopback_needs_a_token() -> None:
    with pytest.raises(ValueError, match="control_token"):
        MockFiles(control_token_for_loopback=True)
    done = subprocess.run(
        [sys.executable, "-m", "mockfiles", "serve", "--port", "0", "--token-for-loopback"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--control-token" in lines[0] and "Traceback" not in done.stderr


# -- the real browser against a real `mockfiles serve` -----------------------------------


def _evil_page(target: str) -> str:
    """A page of another origin that posts to the mock's reset route when opened."""
    return (
        "<!doctype html><html><body>"
        f'<form id="f" method="post" action="{target}/_mock/reset" enctype="text/plain">'
        '<input name="x" value="y"></form>'
        "<script>document.getElementById('f').submit()</script></body></html>"
    )


def test_a_browser_uses_the_dashboard_with_the_token() -> None:
    reason = chromium_or_reason()
    if reason is not None:
        pytest.skip(reason)
    flags = ["--control-token", TOKEN, "--token-for-loopback"]
    with serving(*flags) as (_, root):
        with openai.OpenAI(base_url=root + "/v1", api_key=KEY, max_retries=0) as client:
            created = client.files.create(file=("train.jsonl", BATCH_LINE), purpose="batch")
        headed = {"x-mockfiles-control-token": TOKEN}

        def offset() -> float:
            state = httpx.get(f"{root}/_mock/state", headers=headed).json()
            return float(state["clock"]["offset"])

        errors: list[str] = []
        with chromium() as browser:
            context = browser.new_context()
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            # Without the token, and with a wrong one: a 403 with the login form (the
            # wrong one named), and the control plane's 403 envelope for its JSON.
            for url, alerts in ((f"{root}/_mock/", 0), (f"{root}/_mock/?token=wrong", 1)):
                answer = page.goto(url)
                assert answer is not None and answer.status == 403
                expect(page.get_by_label("Control token")).to_have_attribute("type", "password")
                expect(page.get_by_role("alert")).to_have_count(alerts)
            answer = page.goto(f"{root}/_mock/state")
            assert answer is not None and answer.status == 403
            error = json.loads(page.locator("body").inner_text())["error"]
            assert error["code"] == "control_token_required"
            assert context.cookies() == []

            # With it: the page, at an address without the token.
            answer = page.goto(f"{root}/_mock/?token={TOKEN}")
            assert answer is not None and answer.status == 200
            assert page.url == f"{root}/_mock/"
            [cookie] = context.cookies()
            assert cookie["name"] == COOKIE_NAME and cookie["value"] != TOKEN
            assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
            assert cookie["path"] == "/_mock"
            assert page.evaluate("document.cookie") == ""  # scripts never see it
            expect(page.get_by_role("link", name=created.id)).to_be_visible()
            expect(page.locator("#profile")).to_have_text("openai")

            # The page's own buttons change state (cookie + its own Origin).
            page.get_by_role("button", name="Advance 1 day").click()
            expect(page.locator("#clock-offset")).to_have_text(re.compile(r"^\+24 h"))
            assert offset() == 86400

            # A page of another port on this host (the same site: the cookie goes along)
            # and one of another site (the cookie stays home) cannot reset the mock.
            port = free_port()
            for host, code in (
                ("127.0.0.1", "control_cookie_cross_origin"),
                ("localhost", "control_token_required"),
            ):
                evil_url = f"http://{host}:{port}/evil.html"

                def fulfil(route: Route) -> None:
                    route.fulfill(status=200, content_type="text/html", body=_evil_page(root))

                context.route(evil_url, fulfil)
                evil = context.new_page()
                with evil.expect_navigation(url=f"{root}/_mock/reset"):
                    evil.goto(evil_url)
                error = json.loads(evil.locator("body").inner_text())["error"]
                assert error["code"] == code, (host, error)
                evil.close()
            with httpx.Client(base_url=root, headers=headed) as control:
                files = control.get("/_mock/state").json()["tenants"][0]["panels"][0]["rows"]
            assert [row["id"] for row in files] == [created.id]
            assert offset() == 86400

            # Reset from the page itself works.
            page.get_by_role("button", name="Reset the mock").click()
            expect(page.locator("article.tenant")).to_have_count(0)
            assert offset() == 0
            context.close()
        assert errors == []
