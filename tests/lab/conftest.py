"""The ``lab`` fixture: one NAT lab per test session, torn down even when tests fail."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.daemons import require
from tests.lab.topology import TOOLS, Lab


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    require(*TOOLS, "ss", "sysctl", root=True)
    start = time.monotonic()
    built = Lab.up(tmp_path_factory.mktemp("fdlab"), "masquerade")
    print(f"\nlab start-up: {time.monotonic() - start:.1f} s")
    try:
        yield built
    finally:
        built.down()


@pytest.fixture
def mode_lab(lab: Lab, request: pytest.FixtureRequest) -> Iterator[Lab]:
    """The lab switched to the mode the test is parametrized with (``indirect``)."""
    lab.set_mode(request.param)
    try:
        yield lab
    finally:
        lab.set_mode("masquerade")
