"""Profiles as data: selection by name, custom profiles, the README table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mockfiles import OPENAI, PROFILES, MockFiles, register_profile
from mockfiles.profile_table import markdown_table
from mockfiles.profiles import BUILTIN_PROFILES

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_table_is_the_generated_one() -> None:
    text = README.read_text()
    match = re.search(r"<!-- profiles:start -->\n(.*?)<!-- profiles:end -->", text, flags=re.S)
    assert match, "README lost its profile table markers"
    assert match.group(1) == markdown_table(BUILTIN_PROFILES)


def test_every_profile_is_selectable_by_name() -> None:
    assert set(PROFILES) >= {"openai", "compass", "batch_only", "azure"}
    for name in PROFILES:
        assert MockFiles(name).profile.name == name


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="batch_only, compass"):
        MockFiles("nope")


def test_custom_profile_by_name(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        from mockfiles import OPENAI, register_profile
        register_profile(OPENAI.replace(name="strict-batch", upload_purposes=("batch",)))
        """
    )
    pytester.makepyfile(
        """
        import openai, pytest

        @pytest.mark.mockfiles(profile="strict-batch")
        def test_it(mockfiles):
            client = openai.OpenAI(max_retries=0)
            with pytest.raises(openai.BadRequestError, match="is not one of \\\\['batch'\\\\]"):
                client.files.create(file=("a.txt", b"x"), purpose="assistants")
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_replace_rejects_unknown_fields() -> None:
    with pytest.raises(TypeError, match="max_file_bytes"):
        OPENAI.replace(max_file_size=1)


def test_register_returns_the_profile() -> None:
    mine = OPENAI.replace(name="test-registered")
    try:
        assert register_profile(mine) is mine
        assert MockFiles("test-registered").profile is mine
    finally:
        PROFILES.pop("test-registered")


def test_cli_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    from mockfiles.cli import main

    assert main(["profiles"]) == 0
    assert capsys.readouterr().out == markdown_table(PROFILES.values())
