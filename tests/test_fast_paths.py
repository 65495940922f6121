"""The hot path's shortcuts: each must be taken, and must give what the public path gives.

A shortcut that relies on a library's private attributes has a public fallback; these
tests fail if the shortcut silently stops being taken (e.g. after a library upgrade).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import itertools
import json
import re
import sys
import types
from typing import Any

import openai
import pytest
from starlette.responses import JSONResponse
from starlette.routing import Route, Router

from mockfiles import MockFiles
from mockfiles import transport as transport_module
from mockfiles.api import render, upload_schema
from mockfiles.api.app import api_router, api_routes
from mockfiles.api.routing import QuickRouter
from mockfiles.coroutines import drive
from mockfiles.journal import headers_weight
from mockfiles.mock import openai_http_library
from mockfiles.profiles import get_profile
from mockfiles.transport import installed_libraries

LIBRARIES = installed_libraries()


@pytest.mark.parametrize("library", LIBRARIES)
def test_quick_response_build_applies_to_each_installed_library(library: str) -> None:
    module = importlib.import_module(library)
    assert transport_module._quick_build_applies(module), (
        f"{library} {module.__version__}: a response built the quick way no longer matches "
        "the public constructor's; the transport is falling back to the slow path"
    )


@pytest.mark.parametrize("library", LIBRARIES)
def test_quick_response_is_the_public_response(library: str) -> None:
    module = importlib.import_module(library)
    mock = MockFiles()
    stored = mock.add_file(b"{}\n", filename="in.jsonl", purpose="batch")
    before = transport_module.QUICK_BUILDS[0]
    request = module.Request(
        "GET",
        f"{mock.base_url}/files/{stored.id}",
        headers={"authorization": f"Bearer {mock.api_key}"},
    )
    quick = mock.transport(library).handle_request(request)  # type: ignore[arg-type]
    assert transport_module.QUICK_BUILDS[0] == before + 1
    public = module.Response(
        quick.status_code, headers=quick.headers.raw, content=quick.content, request=request
    )
    assert _comparable(quick) == _comparable(public)
    assert quick.json()["id"] == stored.id
    assert quick.text == public.text
    assert quick.num_bytes_downloaded == public.num_bytes_downloaded


def _comparable(response: Any) -> dict[str, Any]:
    state = transport_module._state(response)
    state.pop("_elapsed", None)  # set by the client when it closes the stream
    state["stream"] = state["stream"][1]
    return state


def test_sdk_calls_take_the_quick_build() -> None:
    mock = MockFiles()
    stored = mock.add_file(b"{}\n", filename="in.jsonl", purpose="batch")
    before = transport_module.QUICK_BUILDS[0]
    client = mock.openai_client()
    assert client.files.retrieve(stored.id).id == stored.id
    assert client.files.list().data[0].id == stored.id
    assert transport_module.QUICK_BUILDS[0] == before + 2, openai_http_library()


async def test_async_sdk_calls_take_the_quick_build() -> None:
    mock = MockFiles()
    stored = mock.add_file(b"{}\n", filename="in.jsonl", purpose="batch")
    before = transport_module.QUICK_BUILDS[0]
    client = mock.async_openai_client()
    assert (await client.files.retrieve(stored.id)).id == stored.id
    assert transport_module.QUICK_BUILDS[0] == before + 1


def test_content_encoded_or_unsized_answers_take_the_public_build() -> None:
    module = importlib.import_module(openai_http_library())
    request = module.Request("GET", "http://mockfiles.local/")
    before = transport_module.QUICK_BUILDS[0]
    for headers in (
        [(b"content-type", b"text/plain")],
        [(b"content-length", b"3"), (b"content-encoding", b"identity")],
        [(b"content-length", b"3"), ("x-text", "not bytes")],
    ):
        response = transport_module.build_response(module, 200, headers, b"abc", request)  # type: ignore[arg-type]
        public = module.Response(200, headers=headers, content=b"abc", request=request)
        assert _comparable(response) == _comparable(public)
    assert transport_module.QUICK_BUILDS[0] == before


def test_quick_build_gives_the_public_response_for_any_declared_length() -> None:
    module = importlib.import_module(openai_http_library())
    request = module.Request("GET", "http://mockfiles.local/")
    before = transport_module.QUICK_BUILDS[0]
    for headers, body in (
        ([(b"content-length", b"4"), (b"Content-Type", b"text/plain")], b"abc"),
        ([(b"content-length", b"3"), (b"content-length", b"3")], b"abc"),
        ([(b"x-empty", b"")], b""),
    ):
        response = transport_module.build_response(module, 200, headers, body, request)
        public = module.Response(200, headers=headers, content=body, request=request)
        assert _comparable(response) == _comparable(public)
    assert transport_module.QUICK_BUILDS[0] == before + 3


# -- routing: the quick lookup decides as Starlette's router does -----------------------

PATHS = [
    "/v1/files",
    "/v1/files/",
    "/v1/files/file-abc",
    "/v1/files/file-abc/",
    "/v1/files/file-abc/content",
    "/v1/files/file-abc\n",
    "/v1/files\n",
    "/v1/files/import",
    "/v1/file/import",
    "/v1/files//x",
    "/v1/uploads",
    "/v1/uploads/upload_1/parts",
    "/v1/uploads/upload_1/complete",
    "/v1/batches",
    "/v1/batches/batch_1",
    "/v1/batches/batch_1/cancel",
    "/v1/batches/cancel",
    "/openai/files",
    "/openai/files/file-x",
    "/openai/batches/b",
    "/v1/unknown",
    "/",
    "",
]


class _CountingRouter(Router):
    calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        type(self).calls += 1
        await super().__call__(scope, receive, send)


def _recording_router(profile: str) -> Router:
    """The profile's route paths, each answered by an app that records what it saw."""
    real = api_router(get_profile(profile))

    class Recorder:
        def __init__(self, template: str) -> None:
            self.template = template

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            scope["seen"] = (self.template, dict(scope["path_params"]), scope["endpoint"] is self)

    def recorder(template: str) -> Any:
        return Recorder(template)

    async def default(scope: Any, receive: Any, send: Any) -> None:
        scope["seen"] = ("default", {}, True)

    routes = [Route(route.path, recorder(route.path)) for route in real.routes]  # type: ignore[attr-defined]
    return _CountingRouter(routes=routes, default=default)


def _dispatch(app: Any, path: str) -> Any:
    scope: dict[str, Any] = {"type": "http", "method": "GET", "path": path, "headers": []}
    sent: list[Any] = []

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    drive(app(scope, receive, send))
    redirect = [m for m in sent if m["type"] == "http.response.start"]
    return scope.get("seen"), scope.get("route"), scope.get("router"), redirect


@pytest.mark.parametrize("profile", ["openai", "azure", "compass", "batch_only"])
def test_quick_router_decides_as_the_router(profile: str) -> None:
    router = _recording_router(profile)
    quick = QuickRouter(router)
    for path in PATHS:
        assert _dispatch(quick, path) == _dispatch(router, path), path


def test_quick_router_serves_the_hot_paths_itself() -> None:
    router = _recording_router("openai")
    quick = QuickRouter(router)
    _CountingRouter.calls = 0
    for path in ("/v1/files", "/v1/files/file-abc", "/v1/batches", "/v1/batches/b1"):
        seen, _, _, _ = _dispatch(quick, path)
        assert seen[0] != "default"
    assert _CountingRouter.calls == 0
    _dispatch(quick, "/v1/files/file-abc/content")
    assert _CountingRouter.calls == 1


def test_app_uses_the_quick_router() -> None:
    assert isinstance(api_routes(get_profile("openai")), QuickRouter)


# -- rendering -----------------------------------------------------------------------

VALUES: list[Any] = [
    {"object": "file", "id": "file-1", "bytes": 3, "created_at": 1700000000, "expires_at": None},
    {"text": 'héllo ✓ 你好 \u2028 \x00 "quoted" \\ /', "emoji": "🙂"},
    {"floats": [0.1, 1e-7, 1e22, 123456789.123456789, -0.0, 2.5, 1.0], "big": 2**70},
    {"nested": [[], {}, [True, False, None]], "status_details": None},
    [1, "two", 3.0],
    "just text ✓",
    12,
    None,
]


def test_cached_encoder_writes_what_json_dumps_writes() -> None:
    assert render.encode_json is not render._ENCODER.encode  # the quick path is taken
    for value in VALUES:
        expected = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        assert render.encode_json(value) == expected
    for bad in (float("nan"), {"x": float("inf")}, [float("-inf")]):
        with pytest.raises(ValueError, match="Out of range float values"):
            render.encode_json(bad)
        with pytest.raises(ValueError, match="Out of range float values"):
            json.dumps(bad, allow_nan=False)
    with pytest.raises(TypeError):
        render.encode_json({"x": object()})


@pytest.mark.parametrize("status", [200, 201, 400, 404, 204])
def test_json_response_is_starlette_json_response(status: int) -> None:
    body = {"id": "file-1", "name": "ü"}
    quick = render.JSON(body, status_code=status)
    plain = JSONResponse(body, status_code=status)
    assert (quick.status_code, quick.body, quick.raw_headers, quick.background) == (
        plain.status_code,
        plain.body,
        plain.raw_headers,
        plain.background,
    )
    with_headers = render.JSON(body, status_code=status, headers={"retry-after": "1"})
    plain = JSONResponse(body, status_code=status, headers={"retry-after": "1"})
    assert with_headers.raw_headers == plain.raw_headers


def test_request_ids_are_random_hex_and_never_repeat() -> None:
    mock = MockFiles()
    stored = mock.add_file(b"{}\n", filename="in.jsonl", purpose="batch")
    client = mock.openai_client()
    ids = [
        client.files.with_raw_response.retrieve(stored.id).headers["x-request-id"]
        for _ in range(300)  # several draws of the pool
    ]
    assert all(re.fullmatch(r"req_[0-9a-f]{32}", request_id) for request_id in ids)
    assert len(set(ids)) == len(ids)
    assert [call.response_headers["x-request-id"] for call in mock.journal] == ids


# -- uploads ----------------------------------------------------------------------------


def _documents() -> list[dict[str, Any]]:
    purposes: list[Any] = ["batch", "fine-tune", "user_data", "evals", "nope", "", 3, None]
    expiries: list[Any] = [
        None,
        {"anchor": "created_at", "seconds": 3600},
        {"anchor": "created_at", "seconds": 3599},
        {"anchor": "created_at", "seconds": 30 * 86400},
        {"anchor": "created_at", "seconds": 30 * 86400 + 1},
        {"anchor": "created_at", "seconds": "3600"},
        {"anchor": "created_at", "seconds": True},
        {"anchor": "created", "seconds": 3600},
        {"anchor": "created_at"},
        {"seconds": 3600},
        {"anchor": "created_at", "seconds": 3600, "x": 1},
        {},
        "text",
    ]
    documents = []
    for purpose, expires, file, extra in itertools.product(
        [*purposes, "<absent>"], expiries, [True, False], [None, "other"]
    ):
        document: dict[str, Any] = {}
        if purpose != "<absent>":
            document["purpose"] = purpose
        if file:
            document["file"] = "<file>"
        if expires is not None:
            document["expires_after"] = expires
        if extra is not None:
            document[extra] = "x"
        documents.append(document)
    return documents


@pytest.mark.parametrize("profile_name", ["openai", "azure", "compass", "batch_only"])
def test_uploads_skip_the_validator_only_for_documents_it_accepts(profile_name: str) -> None:
    profile = get_profile(profile_name)
    validator = upload_schema._validator(profile)
    skipped = 0
    for document in _documents():
        if upload_schema._plainly_valid(profile, document):
            skipped += 1
            assert not list(validator.iter_errors(document)), document
    assert skipped >= 2  # the common shapes do skip it


def test_small_request_body_pieces_reach_the_app_joined() -> None:
    mock = MockFiles()
    client = mock.openai_client()
    client.files.create(file=("a.jsonl", b'{"a": 1}\n'), purpose="batch")
    call = mock.journal.last
    assert call.request_chunks is not None and len(call.request_chunks) == 1
    assert mock.content_of(client.files.list().data[0].id) == b'{"a": 1}\n'


NAMES = [
    "in.jsonl",
    "d\u00e9j\u00e0 vu.jsonl",
    'q"uote\\.txt',
    "tab\there.txt",
    "\U0001f600.jsonl",
    "",
]


@pytest.mark.parametrize("profile_name", ["openai", "compass", "batch_only", "azure"])
def test_encoded_file_objects_and_lists_are_what_the_encoder_writes(profile_name: str) -> None:
    from mockfiles.services.files import ListQuery
    from mockfiles.store import Order, Page

    for processing in (0.0, 30.0):
        mock = MockFiles(profile=profile_name, processing_seconds=processing)
        service = mock.backend.files
        purpose = service.profile.file_purposes[0]
        records = [
            mock.add_file(b"{}\n" * i, filename=name or "x", purpose=purpose)
            for i, name in enumerate(NAMES)
        ]
        for record in records:
            first = render.file_object_json(service, record)
            assert first == render.encode_json(render.file_object(service, record)).encode()
            assert render.file_object_json(service, record) == first  # remembered or not
        tenant = mock.backend.own_tenant
        orders: tuple[Order, ...] = ("asc", "desc")
        for limit, order in itertools.product((1, 2, 20), orders):
            query = ListQuery(purpose=None, limit=limit, order=order, after=None, filters=())
            page = service.list(tenant, query)
            assert render.file_list_json(service, page) == (
                render.encode_json(render.file_list(service, page)).encode()
            )
        empty = Page(files=[], has_more=False)
        assert render.file_list_json(service, empty) == (
            render.encode_json(render.file_list(service, empty)).encode()
        )
        mock.clock.advance(60)  # processing ends: the status changes, and so do the bytes
        for record in records:
            assert render.file_object_json(service, record) == (
                render.encode_json(render.file_object(service, record)).encode()
            )


def test_a_processing_file_is_never_served_stale() -> None:
    mock = MockFiles(processing_seconds=10)
    client = mock.openai_client()
    created = client.files.create(file=("a.jsonl", b"{}\n"), purpose="batch")
    assert created.status == "uploaded"
    assert client.files.retrieve(created.id).status == "uploaded"
    mock.clock.advance(11)
    assert client.files.retrieve(created.id).status == "processed"
    assert client.files.list().data[0].status == "processed"
    mock.clock.set(created.created_at)  # back in time: processing again
    assert client.files.retrieve(created.id).status == "uploaded"


def test_encoded_file_objects_belong_to_their_record() -> None:
    """Two mocks holding a file of the same id never answer with each other's bytes."""
    from mockfiles.blobs import Blob

    first, second = MockFiles(), MockFiles()
    stored = first.add_file(b"a", filename="first.jsonl", purpose="batch")
    second.load_scenario(first.scenario())
    assert first.openai_client().files.retrieve(stored.id).filename == "first.jsonl"
    assert second.openai_client().files.retrieve(stored.id).filename == "first.jsonl"
    second.openai_client().files.delete(stored.id)
    second.backend.files.create(
        second.backend.own_tenant,
        filename="second.jsonl",
        purpose="batch",
        blob=Blob.of(b"b"),
        file_id=stored.id,
    )
    assert second.openai_client().files.retrieve(stored.id).filename == "second.jsonl"
    assert first.openai_client().files.retrieve(stored.id).filename == "first.jsonl"


def test_list_queries_read_once_still_refuse_and_differ_by_profile() -> None:
    from mockfiles.api import files as files_api

    openai_mock, compass_mock = MockFiles(), MockFiles(profile="compass")
    for mock in (openai_mock, compass_mock):
        mock.add_file(b"{}\n", filename="a.jsonl", purpose=mock.profile.file_purposes[0])
    for _ in range(2):
        for mock in (openai_mock, compass_mock):
            client = mock.openai_client()
            assert len(client.files.list(limit=1).data) == 1
            with pytest.raises(openai.BadRequestError):
                client.files.list(limit=0)
    assert any(key[1] == b"limit=1" for key in files_api._read_queries)
    assert not any(key[1] == b"limit=0" for key in files_api._read_queries)


@pytest.mark.parametrize("library", LIBRARIES)
def test_quick_scope_is_the_public_scope(library: str) -> None:
    module = importlib.import_module(library)
    hosts = [
        "mockfiles.local",
        "127.0.0.1:8000",
        "[::1]:1",
        "xn--bcher-kva.example",
        "EXAMPLE.com:443",
    ]
    paths = ["", "/", "/v1/files", "/v1/files/file-1/content", "/a%20b/%2F/%25", "/caf%C3%A9"]
    queries = ["", "?", "?limit=2", "?a=1&a=2&b=%20", "?purpose=fine-tune&after=file-x"]
    for scheme, host, path, query in itertools.product(("http", "https"), hosts, paths, queries):
        request = module.Request(
            "GET", f"{scheme}://{host}{path}{query}", headers={"X-Mixed-Case": "v", "A": "b"}
        )
        quick = transport_module._scope(request, True)
        assert quick == transport_module._scope(request, False), request.url


def test_shared_header_pairs_are_shared_and_anything_else_kept() -> None:
    from mockfiles.journal import SharedHeaders

    shared = SharedHeaders()
    first = shared.pairs_of([(b"a", b"1"), (b"b", b"2")])
    again = shared.pairs_of([(b"a", b"1"), [b"c", b"3"], (b"b", b"2")])  # type: ignore[list-item]
    assert first == [(b"a", b"1"), (b"b", b"2")]
    assert again[0] is first[0] and again[2] is first[1]
    assert list(again[1]) == [b"c", b"3"] and isinstance(again[1], list)
    listed = shared.headers(((b"a", b"1"), (b"b", b"2")))
    assert listed[0] is first[0] and shared.headers(tuple(listed)) is listed
    assert shared.pair((b"b", b"2")) is first[1]


def test_the_time_is_read_without_sweeping_until_something_is_due() -> None:
    import math

    mock = MockFiles()
    state = mock.backend
    client = mock.openai_client()
    client.files.list()
    assert state.wake_at == math.inf  # nothing expires: no sweep on any read
    created = client.files.create(
        file=("a.jsonl", b"{}\n"),
        purpose="batch",
        extra_body={"expires_after": {"anchor": "created_at", "seconds": 3600}},
    )
    assert created.expires_at is not None
    assert state.wake_at == created.expires_at
    mock.clock.advance(3600)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)
    assert state.wake_at == math.inf


def test_a_key_order_naming_a_key_twice_writes_it_once() -> None:
    """(Found in review.) The list body assembled from fragments is what the encoder
    writes for ``file_list()``, whose dict keeps a repeated key once."""
    import httpx

    from mockfiles.profiles import DOCUMENTED_KEY_ORDER, KeyOrder

    order = KeyOrder(
        file_object=DOCUMENTED_KEY_ORDER.file_object,
        file_list=("object", "data", "has_more", "has_more", "first_id", "last_id"),
        deleted=DOCUMENTED_KEY_ORDER.deleted,
    )
    mock = MockFiles("openai", key_order=order)
    mock.add_file(b"{}\n", filename="a.jsonl", purpose="batch")
    with httpx.Client(
        transport=mock.transport("httpx"),
        base_url=mock.base_url,
        headers={"Authorization": f"Bearer {mock.api_key}"},
    ) as client:
        response = client.get("/files")
    assert response.status_code == 200
    pairs = json.loads(response.content, object_pairs_hook=lambda items: items)
    assert [name for name, _ in pairs] == ["object", "data", "has_more", "first_id", "last_id"]


def test_call_takes_every_field_as_the_dataclass_did() -> None:
    """(Found in review.) ``Call`` is public: its fields go by keyword and in order."""
    from mockfiles import Call

    by_keyword = Call("GET", "/v1/files", "", (), 0.0, status=200, tenant="key-x")
    assert (by_keyword.status, by_keyword.tenant, by_keyword.response_chunks) == (200, "key-x", [])
    in_order = Call("POST", "/v1/files", "", (), 1.0, [b"body"], 201)
    assert (in_order.request_chunks, in_order.status, in_order.form) == ([b"body"], 201, {})
    assert Call("GET", "/", "", ()) == Call("GET", "/", "", ())
    assert Call("GET", "/", "", ()).response_chunks is not Call("GET", "/", "", ()).response_chunks


@pytest.mark.parametrize("library", LIBRARIES)
def test_header_facts_are_read_once_per_header_list_and_as_the_rules_say(library: str) -> None:
    """The gateway reads a bodiless request's key, project, organization headers and
    framing once per distinct header list: a repeat answers as the first did, repeated
    headers are read as the rules for them say, and a refusal is refused again."""
    module = importlib.import_module(library)
    mock = MockFiles(api_keys=["sk-one", "sk-two"])
    mine = mock.add_file(b"{}\n", filename="mine.jsonl", purpose="batch", api_key="sk-two")
    url = f"{mock.base_url}/files/{mine.id}"
    with module.Client(transport=mock.transport(library)) as client:  # type: ignore[arg-type]

        def get(headers: list[tuple[str, str]]) -> Any:
            return client.send(module.Request("GET", url, headers=headers))

        plain = [("authorization", "Bearer sk-two")]
        # The same key sent twice, and a blank bearer before the real one: the last
        # non-empty value of the header counts, as for a list that names it once.
        twice = [("authorization", "Bearer sk-one"), ("authorization", "Bearer sk-two")]
        organization = [*plain, ("openai-organization", " org-x "), ("openai-project", "p1")]
        for _ in range(3):  # the first reads the list, the others find it read
            assert get(plain).json()["id"] == mine.id
            assert get(twice).json()["id"] == mine.id
            answered = get(organization)
            assert answered.status_code == 404  # project p1 is another tenant
            assert answered.headers["openai-organization"] == "org-x"
            assert answered.headers["openai-project"] == "p1"
            mock_identity = get(plain).headers
            assert mock_identity["openai-organization"] == "org-mockfiles"
            refused = get([*plain, ("transfer-encoding", "chunked"), ("content-length", "0")])
            assert refused.status_code == 400
            assert "Transfer-Encoding and Content-Length" in refused.json()["error"]["message"]
            assert get([("authorization", "Bearer sk-bad")]).status_code == 401
    tenants = {call.tenant for call in mock.calls if call.status == 200}
    assert len(tenants) == 1
    # Alike requests' journal entries share one header tuple.
    plain_calls = [call for call in mock.calls if call.request_headers.get("openai-project")]
    assert len(plain_calls) == 3
    assert all(c.raw_request_headers is plain_calls[0].raw_request_headers for c in plain_calls)


class _Layered:
    """The gateway's routes, with every request sent through the ASGI layers (the
    router, the method dispatcher and the response's own ``__call__``)."""

    def __init__(self, routes: QuickRouter) -> None:
        self.routes = routes

    def resolve(self, scope: Any) -> None:
        return None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.routes(scope, receive, send)


_VARYING = {"x-request-id", "openai-processing-ms"}


def _estimate(call: Any) -> int:
    """The journal's documented estimate of a call's metadata (no form, no upload)."""
    return (
        600
        + len(call.path)
        + len(call.query_string)
        + headers_weight(call.raw_request_headers)
        + headers_weight(call.raw_response_headers)
    )


def _answer_and_entry(response: Any, call: Any) -> tuple[Any, ...]:
    headers = [(k, v) for k, v in response.headers.items() if k not in _VARYING]
    entry_headers = [(k, v) for k, v in call.raw_response_headers if k.decode() not in _VARYING]
    return (
        response.status_code,
        headers,
        response.content,
        call.status,
        entry_headers,
        call.response_body,
        call.request_body,
        call.tenant,
        call.held,
    )


@pytest.mark.parametrize("library", LIBRARIES)
def test_the_gateway_answers_plain_routes_as_the_asgi_layers_would(
    library: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request a plain route serves is answered by the gateway itself (no response's
    ``__call__``), with the status, headers, body and journal entry the layers give."""
    from starlette.responses import Response

    module = importlib.import_module(library)
    mock = MockFiles(api_keys=["sk-one"])
    kept = mock.add_file(b'{"a": 1}\n', filename="kept.jsonl", purpose="batch", api_key="sk-one")
    gateway = mock.app.api  # type: ignore[attr-defined]
    direct_routes = gateway.routes
    layered_routes = _Layered(direct_routes)
    layer_calls = [0]
    for response_class in (Response, render.BlobResponse):
        own_call = response_class.__call__

        async def counted(
            self: Any, scope: Any, receive: Any, send: Any, own_call: Any = own_call
        ) -> None:
            layer_calls[0] += 1
            await own_call(self, scope, receive, send)

        monkeypatch.setattr(response_class, "__call__", counted)
    key = {"authorization": "Bearer sk-one"}
    base = mock.base_url
    # method, URL, headers; then how many responses' own __call__ run: taking the
    # gateway's path, and through the layers (an error is always the gateway's to send).
    requests: list[tuple[str, str, dict[str, str], int, int]] = [
        ("GET", f"{base}/files/{kept.id}", key, 0, 1),
        ("GET", f"{base}/files?limit=2&order=asc", key, 0, 1),
        ("GET", f"{base}/files/{kept.id}", {**key, "openai-organization": "org-echoed"}, 0, 1),
        ("GET", f"{base}/files/file-missing", key, 0, 0),  # 404 envelope
        ("GET", f"{base}/files?limit=0", key, 0, 0),  # 400 envelope
        ("GET", f"{base}/files/{kept.id}", {}, 0, 0),  # 401 before routing
        ("PATCH", f"{base}/files/{kept.id}", key, 0, 0),  # Invalid URL, via the router
        ("GET", f"{base}/files/{kept.id}/content", key, 1, 1),  # streamed: its own call
    ]
    with module.Client(transport=mock.transport(library)) as client:  # type: ignore[arg-type]
        for method, url, headers, *expected_layers in requests:
            answers = []
            layers = []
            for routes in (direct_routes, layered_routes):
                gateway.routes = routes
                layer_calls[0] = 0
                response = client.send(module.Request(method, url, headers=headers))
                answers.append(_answer_and_entry(response, mock.calls[-1]))
                layers.append(layer_calls[0])
                assert mock.calls[-1].meta == _estimate(mock.calls[-1]), (method, url)
            assert answers[0] == answers[1], (method, url)
            assert layers == expected_layers, (method, url)
        gateway.routes = direct_routes
        # Deleting (a change of state) answers alike both ways too.
        doomed = [
            mock.add_file(b"{}\n", filename=f"d{i}.jsonl", purpose="batch", api_key="sk-one")
            for i in range(2)
        ]
        deleted = []
        for routes, record in zip((direct_routes, layered_routes), doomed, strict=True):
            gateway.routes = routes
            response = client.send(
                module.Request("DELETE", f"{base}/files/{record.id}", headers=key)
            )
            deleted.append(_answer_and_entry(response, mock.calls[-1]))
        gateway.routes = direct_routes
        assert json.dumps(deleted[0], default=repr).replace(doomed[0].id, "ID") == json.dumps(
            deleted[1], default=repr
        ).replace(doomed[1].id, "ID")


@pytest.mark.parametrize("library", LIBRARIES)
async def test_a_whole_response_reaches_the_transport_at_once_unless_a_middleware_watches(
    library: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The in-process transport takes a whole response in one call; a middleware the
    user puts between it and the mock still sees (and may change) every message."""
    module = importlib.import_module(library)
    taken = [0]
    plain_take = transport_module._Exchange.take_whole

    def counted(self: Any, status: int, headers: Any, body: bytes) -> None:
        taken[0] += 1
        plain_take(self, status, headers, body)

    monkeypatch.setattr(transport_module._Exchange, "take_whole", counted)
    mock = MockFiles()
    record = mock.add_file(b"{}\n", filename="a.jsonl", purpose="batch")
    seen: list[str] = []

    async def watching(scope: Any, receive: Any, send: Any) -> None:
        async def watched_send(message: Any) -> None:
            seen.append(message["type"])
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-watched", b"yes")]
            await send(message)

        await mock.app(scope, receive, watched_send)

    url = f"{mock.base_url}/files/{record.id}"
    headers = {"authorization": f"Bearer {mock.api_key}"}
    with module.Client(transport=mock.transport(library)) as client:  # type: ignore[arg-type]
        assert client.get(url, headers=headers).json()["id"] == record.id
    async with module.AsyncClient(transport=mock.async_transport(library)) as async_client:  # type: ignore[arg-type]
        assert (await async_client.get(url, headers=headers)).json()["id"] == record.id
    assert taken[0] == 2 and seen == []
    watched = transport_module.sync_transport(watching, library)  # type: ignore[arg-type]
    async_watched = transport_module.async_transport(watching, library)  # type: ignore[arg-type]
    with module.Client(transport=watched) as client:
        answered = client.get(url, headers=headers)
    async with module.AsyncClient(transport=async_watched) as async_client:
        async_answered = await async_client.get(url, headers=headers)
    for response in (answered, async_answered):
        assert response.json()["id"] == record.id
        assert response.headers["x-watched"] == "yes"
        assert response.headers["openai-version"] == "2020-10-01"
    assert taken[0] == 2
    assert seen == ["http.response.start", "http.response.body"] * 2


@pytest.mark.parametrize("library", LIBRARIES)
def test_entries_weigh_as_documented_with_faults_and_slow_answers(library: str) -> None:
    """The journal's estimate of each entry holds for injected errors with headers, a
    disconnect, and an answer slow enough for a three-digit ``openai-processing-ms``."""
    module = importlib.import_module(library)
    mock = MockFiles()
    record = mock.add_file(b"{}\n", filename="a.jsonl", purpose="batch")
    url = f"{mock.base_url}/files/{record.id}"
    mock.faults.add(status=429, headers={"retry-after-ms": "10", "x-should-retry": "true"})
    mock.faults.add_delay(0.12)
    mock.faults.add_disconnect(kind="read")
    headers = {"authorization": f"Bearer {mock.api_key}"}
    with module.Client(transport=mock.transport(library)) as client:  # type: ignore[arg-type]
        assert client.get(url, headers=headers).status_code == 429
        slow = client.get(url, headers=headers)
        assert int(slow.headers["openai-processing-ms"]) >= 100
        with pytest.raises(module.RemoteProtocolError):
            client.get(url, headers=headers)
        assert client.get(url, headers=headers).status_code == 200
    assert [call.status for call in mock.calls] == [429, 200, 0, 200]
    for call in mock.calls:
        assert call.meta == _estimate(call), str(call)


def test_a_body_is_kept_only_once_its_start_message_went_out() -> None:
    """A ``send`` that fails on the start message (a client gone) leaves the journal
    entry without the body, as the layered path always did."""
    mock = MockFiles()
    record = mock.add_file(b"{}\n", filename="a.jsonl", purpose="batch")

    async def failing_at_start(scope: Any, receive: Any, send: Any) -> None:
        async def send_or_fail(message: Any) -> None:
            if message["type"] == "http.response.start":
                raise OSError("the client went away")
            await send(message)

        await mock.app(scope, receive, send_or_fail)

    module = importlib.import_module(openai_http_library())
    transport = transport_module.sync_transport(failing_at_start)
    held_before = mock.journal.held_bytes
    with module.Client(transport=transport) as client, pytest.raises(OSError):
        client.get(
            f"{mock.base_url}/files/{record.id}",
            headers={"authorization": f"Bearer {mock.api_key}"},
        )
    call = mock.calls[-1]
    assert (call.status, call.response_size, call.response_chunks, call.held) == (200, 0, [], 0)
    assert mock.journal.held_bytes == held_before + call.meta


def test_a_library_still_importing_is_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """``library_module`` takes an imported library as it is, but one another thread is
    still importing goes through ``import_module`` (which waits for the import)."""
    library = LIBRARIES[0]
    real = importlib.import_module(library)
    asked: list[str] = []

    def import_module(name: str) -> Any:
        asked.append(name)
        return real

    monkeypatch.setattr(importlib, "import_module", import_module)
    assert transport_module.library_module(library) is real
    assert asked == []
    importing = types.ModuleType(library)
    spec = importlib.machinery.ModuleSpec(library, None)
    spec._initializing = True  # type: ignore[attr-defined]  # what importlib sets
    importing.__spec__ = spec
    monkeypatch.setitem(sys.modules, library, importing)
    assert transport_module.library_module(library) is real
    assert asked == [library]
