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
