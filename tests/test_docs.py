"""Docs kept true by tests: every command has help and is in the README; doctests run."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import narrowcast
from narrowcast.cli import main
from narrowcast.config import SETTINGS
from narrowcast.importers import FORMATS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_and_is_in_the_readme(command: str):
    assert main.commands[command].help, f"'{command}' has no help"
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert f"narrowcast {command}" in README, f"README does not show 'narrowcast {command}'"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_import_format_is_in_the_readme(fmt: str):
    assert f"`{fmt}`" in README


def test_every_setting_is_documented():
    for setting in SETTINGS:
        assert setting.help
        if setting.envvar:
            assert setting.envvar in README


def test_readme_states_the_ci_test_command():
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert "python -m pytest" in ci and "python -m pytest" in README


MODULES = [i.name for i in pkgutil.walk_packages(narrowcast.__path__, "narrowcast.")]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
