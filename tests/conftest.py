"""Shared fixtures: JSON Schema validation of reports."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from flexdiag.render.json import load_schema

# Where the environment sets PYTHONDONTWRITEBYTECODE (this machine's does), every process of
# the suite (the xdist workers, each `python -m flexdiag` of the CLI and service tests) compiled
# the package anew and pytest rewrote every test module at each start: a third of the unit
# suite's CPU. The suite keeps its bytecode cache (in the __pycache__ folders git ignores).
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


@pytest.fixture(scope="session")
def validate_report() -> Any:
    """Validate a report dict against the shipped schema (raises on violation)."""
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    def validate(report: dict[str, Any]) -> dict[str, Any]:
        validator.validate(report)
        return report

    return validate


@pytest.fixture(autouse=True)
def english_after_each_test() -> Iterator[None]:
    """A test that runs the CLI in-process with --lang nl must not leave Dutch behind."""
    yield
    from flexdiag import i18n

    i18n.activate("en")
