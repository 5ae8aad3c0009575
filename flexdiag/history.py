"""The last N reports, kept in SQLite (stdlib) so that ``flexdiag history`` and ``health`` can
read them and the watch loop compares against the previous run after a restart.

Each report is written in one transaction (insert and prune together); SQLite's journal makes
that atomic, so a process killed mid-write loses at most the run being written, never the file.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_KEEP = 500


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


class History:
    """A SQLite file of recent reports."""

    def __init__(self, path: Path, keep: int = DEFAULT_KEEP, create: bool = True) -> None:
        self.path, self.keep = path, keep
        if not create and not path.exists():
            raise HistoryError(f"no history at {path} (has 'flexdiag watch' run yet?)")
        try:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=5.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                "started_at TEXT NOT NULL, status TEXT NOT NULL, duration_s REAL NOT NULL, "
                "report TEXT NOT NULL)")
            self._db.commit()
        except (sqlite3.Error, OSError) as exc:
            raise HistoryError(f"history {path}: {exc}") from None

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
        """The newest ``limit`` runs, newest first."""
        try:
            rows = self._db.execute(
                "SELECT id, started_at, status, duration_s, report FROM runs "
                "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        except sqlite3.Error as exc:
            raise HistoryError(f"history {self.path}: {exc}") from None
        return [Run(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    def latest(self) -> Run | None:
        runs = self.recent(1)
        return runs[0] if runs else None

    def close(self) -> None:
        self._db.close()
