"""The SQLite history: keeping the last N, and surviving a process killed mid-write."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flexdiag.history import History, HistoryError


def fake_report(n: int) -> dict[str, object]:
    return {"started_at": f"2026-11-25T10:{n // 60:02d}:{n % 60:02d}Z", "status": "pass",
            "duration_s": 0.5, "checks": [], "n": n}


def test_keeps_the_newest_n(tmp_path: Path) -> None:
    store = History(tmp_path / "h.sqlite", keep=3)
    for n in range(5):
        store.add(fake_report(n))
    assert [r.report["n"] for r in store.recent(10)] == [4, 3, 2]
    latest = store.latest()
    assert latest is not None and latest.report["n"] == 4
    store.close()


def test_missing_history_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="no history at"):
        History(tmp_path / "none.sqlite", create=False)


WRITER = """
import sys, itertools
from flexdiag.history import History
store = History(__import__('pathlib').Path(sys.argv[1]), keep=50)
big = "x" * 200_000
for n in itertools.count():
    store.add({"started_at": "2026-11-25T10:00:00Z", "status": "pass", "duration_s": 0.1,
               "checks": [], "n": n, "pad": big})
    if n == 3:
        print("ready", flush=True)
"""


def test_history_survives_a_kill_mid_write(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        time.sleep(0.3)  # it is writing 200 kB reports as fast as it can
        writer.send_signal(signal.SIGKILL)
    finally:
        writer.wait(10)
    store = History(path, create=False)
    runs = store.recent(100)
    assert len(runs) >= 4
    numbers = [r.report["n"] for r in runs]
    assert numbers == sorted(numbers, reverse=True)  # whole, consecutive reports only
    assert all(json.dumps(r.report) for r in runs)
    store.close()
    writer_again = History(path)
    writer_again.add(fake_report(999))  # and it can still be written
    writer_again.close()


BAD_ROWS = [
    "not json", "[]", "{}", '{"started_at": "yesterday", "status": "pass", "duration_s": 1, '
    '"checks": []}', '{"started_at": "2026-11-25T10:00:00Z", "status": "pass", '
    '"duration_s": "x", "checks": []}', '{"started_at": "2026-11-25T10:00:00Z", '
    '"status": "bogus", "duration_s": 1, "checks": []}', '{"started_at": "2026-11-25T10:00:00Z",'
    ' "status": "pass", "duration_s": 1, "checks": [1]}',
]


def _with_bad_rows(path: Path) -> None:
    import sqlite3

    store = History(path)
    store.add(fake_report(1))
    store.close()
    db = sqlite3.connect(path)
    with db:
        for row in BAD_ROWS:
            db.execute("INSERT INTO runs (started_at, status, duration_s, report) "
                       "VALUES ('x', 'pass', 0, ?)", (row,))
    db.close()


def test_bad_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    _with_bad_rows(tmp_path / "h.sqlite")
    store = History(tmp_path / "h.sqlite", create=False)
    latest = store.latest()
    assert latest is not None and latest.report["n"] == 1  # the newest readable run
    assert store.skipped == len(BAD_ROWS)
    store.close()


def test_health_and_history_keep_their_contract_over_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    _with_bad_rows(path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    for argv, codes in ((["health", "--max-age", "168h"], (0, 1)), (["history"], (0,))):
        result = subprocess.run([sys.executable, "-m", "flexdiag", *argv, "--history", str(path)],
                                capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode in codes, result.stderr
        assert "Traceback" not in result.stderr
    assert "skipped 7 unreadable run(s)" in result.stderr


def test_readers_open_the_history_read_only(tmp_path: Path) -> None:
    import sqlite3

    # A file without flexdiag's table: a reader must say so, not create it.
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()
    with pytest.raises(HistoryError, match="no such table"):
        History(empty, create=False)
    db = sqlite3.connect(empty)
    assert db.execute("SELECT name FROM sqlite_master").fetchall() == []
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched to WAL
    db.close()
    # A reader that tried to write would fail: its connection is read-only.
    path = tmp_path / "h.sqlite"
    store = History(path)
    store.add(fake_report(1))
    store.close()
    reader = History(path, create=False)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader._db.execute("DELETE FROM runs")
    latest = reader.latest()
    assert latest is not None and latest.report["n"] == 1
    reader.close()
