"""Schemathesis over the official /files extract against the app in-process.

At least 1,000 generated cases in all: no 5xx, every 2xx body conforms to its schema,
every 4xx is the provider's error envelope. The document declares only 200 responses,
so status-code conformance is excluded; the schema checks are not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from mockfiles import MockFiles

SPEC = Path(__file__).resolve().parents[2] / "shared" / "reference" / "openai-files.openapi.yaml"
if not SPEC.exists():  # the project's own copy, for checkouts without shared/ beside them
    SPEC = Path(__file__).resolve().parent / "data" / "openai-files.openapi.yaml"

schema = schemathesis.openapi.from_path(str(SPEC))
MOCK = MockFiles()
CASES: dict[str, int] = {}
ENVELOPE_KEYS = {"message", "type", "param", "code"}


@pytest.fixture(scope="module", autouse=True)
def seeded_files() -> None:
    """Some files to find, list and download, so 2xx bodies get checked too."""
    MOCK.reset()
    for purpose in ("batch", "batch_output", "fine-tune-results", "assistants"):
        MOCK.add_file(b'{"a": 1}\n', purpose=purpose, api_key="sk-fuzz")


@schema.parametrize()
@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_generated_requests(case: Any) -> None:
    response = case.call(
        app=MOCK.app, base_url=MOCK.base_url, headers={"Authorization": "Bearer sk-fuzz"}
    )
    CASES[case.operation.label] = CASES.get(case.operation.label, 0) + 1
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert list(body) == ["error", "detail"] and set(body["error"]) == ENVELOPE_KEYS, body
        assert body["detail"] == {"message": body["error"]["message"], "code": None}, body
    elif case.operation.path != "/files/{file_id}/content":
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


def test_at_least_a_thousand_cases_ran() -> None:
    total = sum(CASES.values())
    print(f"schemathesis cases per operation: {CASES} (total {total})")
    assert total >= 1000, CASES


# -- the stateful (linked) form: uploads feed retrieve, download and delete ---------

STATEFUL_CALLS: dict[str, int] = {}
LINKED_HITS: list[str] = []


class FilesWorkflow(schema.as_state_machine()):  # type: ignore[misc]
    """Sequences of calls where later steps use ids earlier responses returned."""

    def setup(self) -> None:
        MOCK.reset()

    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        return {
            "app": MOCK.app,
            "base_url": MOCK.base_url,
            "headers": {"Authorization": "Bearer sk-fuzz"},
        }

    def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
        label = case.operation.label
        STATEFUL_CALLS[label] = STATEFUL_CALLS.get(label, 0) + 1
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            body = response.json()
            assert list(body) == ["error", "detail"] and set(body["error"]) == ENVELOPE_KEYS, body
            assert body["detail"] == {"message": body["error"]["message"], "code": None}, body
            return
        path_id = (case.path_parameters or {}).get("file_id")
        if path_id is not None and response.status_code == 200:
            LINKED_HITS.append(label)  # an id that an earlier response created
        if case.operation.path != "/files/{file_id}/content":
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )


def test_stateful_linked_sequences() -> None:
    assert schema.operations_with_incoming_links(), "no links: the stateful form tests nothing"
    FilesWorkflow.run(
        settings=settings(
            max_examples=150,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
    )
    print(f"stateful calls per operation: {STATEFUL_CALLS}; linked 2xx: {len(LINKED_HITS)}")
    assert sum(STATEFUL_CALLS.values()) >= 300, STATEFUL_CALLS
    assert LINKED_HITS, "no step ever reached a file an earlier step created"
