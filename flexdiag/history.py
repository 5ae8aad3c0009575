"""The last N reports, kept in SQLite (stdlib) so that ``flexdiag history`` and ``health`` can
read them and the watch loop compares against the previous run after a restart.

Each report is written in one transaction (insert and prune together); SQLite's journal makes
that atomic, so a process killed mid-write loses at most the run being written, never the file.

The watch writes through a :class:`Writer`: a thread of its own, so that a database another
process holds locked (a backup, a hand-run ``sqlite3``) never freezes the event loop and the
measurements in it; rows wait in memory (bounded) until the lock is gone.
"""

from __future__ import annotations

import collections
import datetime
import json
import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flexdiag.model import REPORT_STATUSES

DEFAULT_KEEP = 500
MAX_KEEP = 1_000_000  # SQLite's LIMIT takes any 64-bit number; nobody needs more than this
BUSY_TIMEOUT_S = 1.0  # one write's wait for another writer's lock, in the writer thread
RETRY_S = 1.0  # between attempts while the database stays locked or unwritable
MAX_QUEUED = 1000  # runs held in memory while the database cannot be written
STATUSES = tuple(s.value for s in REPORT_STATUSES)  # a report's overall status


def default_path() -> Path:
    """``$FLEXDIAG_HISTORY``, else ``$XDG_STATE_HOME/flexdiag/history.sqlite`` (or
    ``~/.local/state/flexdiag/history.sqlite``)."""
    if os.environ.get("FLEXDIAG_HISTORY"):
        return Path(os.environ["FLEXDIAG_HISTORY"])
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "flexdiag" / "history.sqlite"


@dataclass(frozen=True)
class Run:
    """One stored run."""

    id: int
    started_at: str
    status: str
    duration_s: float
    report: dict[str, Any]


class HistoryError(Exception):
    """The history file cannot be opened or read; the message is one line."""


def _run_of(row: tuple[Any, ...]) -> Run | None:
    """A stored row as a run, or ``None`` when it is not a readable report (written by
    something else, cut short, or edited by hand): one bad row must not hide the others."""
    try:
        report = json.loads(row[4])
        if not isinstance(report, dict) or not isinstance(report.get("checks"), list):
            return None
        if not all(isinstance(c, dict) and isinstance(c.get("id"), str)
                   and isinstance(c.get("status"), str) for c in report["checks"]):
            return None
        datetime.datetime.fromisoformat(str(report["started_at"]).replace("Z", "+00:00"))
        float(report["duration_s"])
        if report.get("status") not in STATUSES:
            return None
        return Run(int(row[0]), str(row[1]), str(row[2]), float(row[3]), report)
    except (ValueError, TypeError, KeyError):
        return None


class History:
    """A SQLite file of recent reports. Opened with ``create=False`` it is only read
    (``flexdiag history``, ``health``): read-only, so that it works on a read-only file system
    and never changes what it inspects."""

    def __init__(self, path: Path, keep: int = DEFAULT_KEEP, create: bool = True) -> None:
        self.path, self.keep = path, keep
        self.skipped = 0  # unreadable rows skipped by the last read
        if not create and not path.exists():
            raise HistoryError(f"no history at {path} (has 'flexdiag watch' run yet?)")
        try:
            self._db = self._open_writable() if create else self._open_read_only()
        except (sqlite3.Error, OSError) as exc:
            raise HistoryError(f"history {path}: {exc}") from None

    def _open_writable(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Written from the watch's writer thread after being opened here (one user at a time).
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute(
            "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "started_at TEXT NOT NULL, status TEXT NOT NULL, duration_s REAL NOT NULL, "
            "report TEXT NOT NULL)")
        db.commit()
        return db

    def _open_read_only(self) -> sqlite3.Connection:
        uri = self.path.resolve().as_uri()
        try:
            db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=5.0)
            db.execute("SELECT 1 FROM runs LIMIT 1")
            return db
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                raise
            # A WAL file needs its -shm beside it, which a read-only file system cannot
            # give: there nothing writes either, so the file can be read as immutable.
            db = sqlite3.connect(f"{uri}?immutable=1", uri=True, timeout=5.0)
            db.execute("SELECT 1 FROM runs LIMIT 1")
            return db

    def add(self, report: dict[str, Any]) -> None:
        """Store a report and drop all but the newest ``keep``, in one transaction."""
        with self._db:
            self._db.execute(
                "INSERT INTO runs (started_at, status, duration_s, report) VALUES (?, ?, ?, ?)",
                (report["started_at"], report["status"], report["duration_s"],
                 json.dumps(report)))
            self._db.execute(
                "DELETE FROM runs WHERE id NOT IN (SELECT id FROM runs ORDER BY id DESC "
                "LIMIT ?)", (self.keep,))

    def recent(self, limit: int) -> list[Run]:
        """The newest ``limit`` readable runs, newest first; unreadable rows are skipped
        (counted in :attr:`skipped`)."""
        try:
            rows = self._db.execute(
                "SELECT id, started_at, status, duration_s, report FROM runs "
                "ORDER BY id DESC LIMIT ?", (max(limit, 0) + self.keep,)).fetchall()
        except sqlite3.Error as exc:
            raise HistoryError(f"history {self.path}: {exc}") from None
        runs: list[Run] = []
        self.skipped = 0
        for row in rows:
            run = _run_of(row)
            if run is None:
                self.skipped += 1
            elif len(runs) < limit:
                runs.append(run)
        return runs

    def latest(self) -> Run | None:
        runs = self.recent(1)
        return runs[0] if runs else None

    def close(self) -> None:
        self._db.close()


class Writer:
    """Writes reports into a :class:`History` from a thread of its own, in order.

    :meth:`add` never blocks. While the database cannot be written (locked by another
    process, a full disk), rows wait in memory, at most :data:`MAX_QUEUED` (then the oldest
    is dropped), and are retried every :data:`RETRY_S`; the trouble is logged once, and once
    again when writing works (with how many waiting rows were stored). :meth:`close` writes
    what is waiting within a bound, then closes the file.
    """

    def __init__(self, store: History, log: Callable[[str], None]) -> None:
        self.store, self.log = store, log
        self._queue: collections.deque[dict[str, Any]] = collections.deque()
        self._wake = threading.Condition()
        self._closing = False
        self.failing: str | None = None  # the error while rows cannot be written
        self.dropped = 0
        self.written = 0
        self._thread = threading.Thread(target=self._loop, name="flexdiag-history",
                                        daemon=True)
        self._thread.start()

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def add(self, report: dict[str, Any]) -> None:
        with self._wake:
            if len(self._queue) >= MAX_QUEUED:
                self._queue.popleft()
                self.dropped += 1
                if self.dropped == 1:
                    self.log(f"history {self.store.path}: {MAX_QUEUED} runs waiting; the "
                             "oldest waiting runs are dropped")
            self._queue.append(report)
            self._wake.notify()

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._queue and not self._closing:
                    self._wake.wait()
                if not self._queue:
                    return
                report = self._queue[0]
            try:
                self.store.add(report)
            except (sqlite3.Error, OSError) as exc:
                if self.failing is None:
                    self.log(f"history {self.store.path} not written: {exc} (kept in memory "
                             f"and retried every {RETRY_S:g} s)")
                self.failing = str(exc)
                with self._wake:
                    if self._closing:
                        return
                    self._wake.wait(RETRY_S)
                continue
            with self._wake:
                self._queue.popleft()
                left = len(self._queue)
            self.written += 1
            if self.failing is not None and not left:
                self.log(f"history {self.store.path} written again (every waiting run stored)")
                self.failing = None

    def close(self, wait_s: float = 1.0) -> None:
        """Stop the thread after it wrote what is waiting (at most ``wait_s``), then close
        the file. Rows still waiting then are logged as lost."""
        with self._wake:
            self._closing = True
            self._wake.notify()
        self._thread.join(wait_s)
        if self._thread.is_alive() or self._queue:
            self.log(f"history {self.store.path}: {len(self._queue)} run(s) not written at "
                     "stop (the database stayed locked)")
            return  # the thread still holds the connection: the process exit closes it
        self.store.close()
