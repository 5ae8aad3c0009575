"""Golden records of what the pure judging layers produce: every ``Finding`` a check test makes
and every ``Plan`` a planner test makes is recorded, whole (status, summary, data, advice, FAQ
items; the plan's steps and phone settings), and compared with ``tests/data/golden/``.

The verdict tables assert what each row is about; the golden record holds everything else a
row produces, exactly, so that a changed word, key or number anywhere in a finding is seen
(mutation testing: docs/testing.md). After an intended change, review and rewrite the records:

    FLEXDIAG_UPDATE_GOLDEN=1 python -m pytest -p no:xdist tests/checks tests/test_planner.py

and read the diff of ``tests/data/golden/`` before committing it.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).parent / "data" / "golden"
UPDATE = os.environ.get("FLEXDIAG_UPDATE_GOLDEN") == "1"
_loaded: dict[Path, dict[str, Any]] = {}


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


def normal(value: Any) -> Any:
    """``value`` as JSON would hold it (enums by value, dataclasses as dicts)."""
    return json.loads(json.dumps(value, default=_plain, sort_keys=True, ensure_ascii=False))


def _file(nodeid: str) -> Path:
    module = nodeid.split("::", 1)[0].removeprefix("tests/").removesuffix(".py")
    return GOLDEN / (module.replace("/", "_") + ".json")


def _records(path: Path) -> dict[str, Any]:
    if path not in _loaded:
        _loaded[path] = json.loads(path.read_text()) if path.exists() else {}
    return _loaded[path]


@contextmanager
def recorded(nodeid: str, monkeypatch: pytest.MonkeyPatch,
             targets: list[tuple[Any, str]]) -> Iterator[None]:
    """Record every object made through ``module.name`` for each target during the test, and
    compare the records with the golden file (or rewrite it, with FLEXDIAG_UPDATE_GOLDEN=1)."""
    made: list[Any] = []

    def recording(make: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            obj = make(*args, **kwargs)
            made.append(normal(obj))
            return obj
        return wrapped

    for module, name in targets:
        monkeypatch.setattr(module, name, recording(getattr(module, name)))
    yield
    path = _file(nodeid)
    golden = _records(path)
    if UPDATE:
        if made:
            golden[nodeid] = made
        else:
            golden.pop(nodeid, None)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(dict(sorted(golden.items())), indent=1, ensure_ascii=False)
                        + "\n")
        return
    if not made and nodeid not in golden:
        return
    assert nodeid in golden, (f"no golden record for {nodeid}: run with "
                              "FLEXDIAG_UPDATE_GOLDEN=1 and review the new record")
    assert made == golden[nodeid]
