"""Every finding a check test makes is compared, whole, with its golden record
(tests/golden.py)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

import pytest

import flexdiag.checks
from tests.golden import recorded


def _check_modules() -> list[object]:
    names = [m.name for m in pkgutil.iter_modules(flexdiag.checks.__path__)]
    return [flexdiag.checks, *(importlib.import_module(f"flexdiag.checks.{n}") for n in names)]


@pytest.fixture(autouse=True)
def golden_findings(request: pytest.FixtureRequest,
                    monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    targets = [(m, "Finding") for m in _check_modules() if hasattr(m, "Finding")]
    with recorded(request.node.nodeid, monkeypatch, targets):
        yield
