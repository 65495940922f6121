"""The pytest plugin as an installed package presents it: fixture and marker."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_fixture_patches_openai_and_restores(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os
        import openai
        import pytest

        def test_reaches_mock(mockfiles):
            client = openai.OpenAI()
            created = client.files.create(file=("a.jsonl", b"{}\\n"), purpose="batch")
            assert [f.id for f in mockfiles.stored_files()] == [created.id]

        async def test_async_reaches_mock(mockfiles):
            client = openai.AsyncOpenAI()
            await client.files.create(file=("a.jsonl", b"{}\\n"), purpose="batch")
            assert len(mockfiles.stored_files()) == 1

        def test_each_test_gets_a_fresh_mock(mockfiles):
            assert mockfiles.stored_files() == []
            assert len(mockfiles.calls) == 0

        def test_environment_restored_after_fixture():
            assert "OPENAI_BASE_URL" not in os.environ

        @pytest.mark.mockfiles(max_file_bytes=10, processing_seconds=5)
        def test_marker_options(mockfiles):
            assert mockfiles.profile.max_file_bytes == 10
            client = openai.OpenAI(max_retries=0)
            created = client.files.create(file=("a.jsonl", b"{}"), purpose="batch")
            assert created.status == "uploaded"

        @pytest.mark.mockfiles("openai")
        def test_marker_profile(mockfiles):
            assert mockfiles.profile.name == "openai"
        """
    )
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)


def test_bad_marker_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mockfiles(colour="red")
        def test_typo(mockfiles):
            pass
        """
    )
    result = pytester.runpytest_subprocess()
    result.stdout.fnmatch_lines(["*unknown profile field(s) colour*"])
    assert result.ret != 0


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.mockfiles(profile='openai', **options)*"])


def test_a_downstream_conftest_plugin_module_does_not_shadow_ours(
    pytester: pytest.Pytester,
) -> None:
    # A project with its own top-level conftest_plugin.py, first on sys.path (pytest's
    # subprocess runs from the project directory, as a user's `python -m pytest` does).
    pytester.makepyfile(conftest_plugin="MARKER = 'the project owns this module'\n")
    pytester.makeconftest("pytest_plugins = ['conftest_plugin']\n")
    pytester.makepyfile(
        """
        import conftest_plugin
        import openai
        import pytest

        def test_project_module_is_the_projects():
            assert conftest_plugin.MARKER == "the project owns this module"

        @pytest.mark.mockfiles(max_file_bytes=10)
        def test_fixture_and_marker_still_work(mockfiles):
            assert mockfiles.profile.max_file_bytes == 10
            openai.OpenAI().files.create(file=("a.jsonl", b"{}\\n"), purpose="batch")
            assert len(mockfiles.stored_files()) == 1
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=2)


def test_the_entry_point_names_the_package_module() -> None:
    from importlib.metadata import entry_points

    (plugin,) = [ep for ep in entry_points(group="pytest11") if ep.name == "mockfiles"]
    assert plugin.value == "mockfiles.pytest_plugin"


UNUSED_FAULT_TESTS = """
import openai
import pytest

def test_leaves_a_fault_unused(mockfiles):
    mockfiles.faults.add(status=429, method="GET", path="/v1/files", times=2)
    with pytest.raises(openai.RateLimitError):
        openai.OpenAI(max_retries=0).files.list()

def test_uses_every_fault(mockfiles):
    mockfiles.faults.add(status=503, times=1)
    with pytest.raises(openai.InternalServerError):
        openai.OpenAI(max_retries=0).files.list()

def test_unlimited_faults_are_not_counted(mockfiles):
    mockfiles.faults.add_delay(0.0, times=None)

@pytest.mark.mockfiles(assert_all_faults_used=False)
def test_opted_out(mockfiles):
    mockfiles.faults.add_disconnect(path="/v1/files/*")

def test_server_fixture_checks_too(mockfiles_server):
    mockfiles_server.faults.add(status=500, method="DELETE")
"""


def test_a_fault_left_unused_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(UNUSED_FAULT_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rE")
    result.assert_outcomes(passed=5, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*test_leaves_a_fault_unused*",
            "*1 queued fault(s) were not used up by the test:*",
            "*GET /v1/files: answer 429, 1 use(s) left*",
            "*assert_all_faults_used=False*",
        ]
    )
    result.stdout.fnmatch_lines(["*DELETE *: answer 500, 1 use(s) left*"])
    assert "test_opted_out" not in "\n".join(line for line in result.outlines if "ERROR" in line)
