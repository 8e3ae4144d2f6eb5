"""Private workspaces: uploads and saved scenarios of one browser session or one user.

A workspace is a key chosen by the caller (the dashboard uses ``s:<random token>`` for a browser
session and ``u:<user name>`` for a user named by a trusted proxy); every read and write names
it, so one workspace never sees another's items. Two stores with the same interface:
:class:`SqliteWorkspaceStore` (one SQLite file in the user data folder, the default) and
:class:`PostgresWorkspaceStore` (the schema ``quartiersatlas_workspaces`` of a PostgreSQL
database). Quotas (files, bytes, scenarios) are checked inside the write transaction; anonymous
workspaces unused for ``expire_days`` are removed by :meth:`WorkspaceStore.purge_expired`.

Examples
--------
>>> import tempfile, pathlib
>>> store = SqliteWorkspaceStore(pathlib.Path(tempfile.mkdtemp()) / "ws.sqlite")
>>> item = store.add_upload("s:abc", name="Liste", data=b"{}", n_facilities=0)
>>> [u.name for u in store.uploads("s:abc")], store.uploads("s:other")
(['Liste'], [])
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from layers.errors import LayersError, StoreError

SCHEMA = "quartiersatlas_workspaces"
"""PostgreSQL schema of the workspace tables."""
MAX_NAME_CHARS = 80
TOUCH_EVERY_S = 3600.0
"""A workspace's last use is written at most this often (reads stay cheap)."""
DAY_S = 86400.0
MAX_TOUCHED = 10_000
"""Workspaces whose last write time a process remembers (to skip repeated writes)."""


class WorkspaceError(LayersError, ValueError):
    """A workspace request cannot be done (unknown item, bad name)."""


class QuotaError(WorkspaceError):
    """A write would take a workspace over its quota; ``limit`` names which (files, bytes, …)."""

    def __init__(self, message: str, *, limit: str, allowed: int) -> None:
        super().__init__(message)
        self.limit = limit
        self.allowed = allowed


@dataclass(frozen=True)
class Quota:
    """Limits of one workspace."""

    max_files: int = 20
    max_bytes: int = 50 * 1024 * 1024
    max_scenarios: int = 100


@dataclass(frozen=True)
class UploadInfo:
    """One saved upload (without its data)."""

    id: int
    name: str
    created: float
    n_facilities: int
    size_bytes: int


@dataclass(frozen=True)
class ScenarioInfo:
    """One saved scenario: a name and the view's URL query string."""

    id: int
    name: str
    query: str
    created: float
    share_token: str | None


def clean_name(name: str) -> str:
    r"""A display name: control characters removed, whitespace collapsed, at most 80 characters.

    Examples
    --------
    >>> clean_name("  Plan\n  B  ")
    'Plan B'
    """
    text = "".join(ch if ch.isprintable() else " " for ch in str(name or ""))
    text = " ".join(text.split())[:MAX_NAME_CHARS]
    if not text:
        raise WorkspaceError("the name is empty; give a name of 1 to 80 characters")
    return text


def is_anonymous(workspace: str) -> bool:
    """True for a browser-session workspace (``s:…``), which expires when unused."""
    return workspace.startswith("s:")


_TABLES = (
    """CREATE TABLE IF NOT EXISTS {p}workspaces (
        id TEXT PRIMARY KEY, anonymous INTEGER NOT NULL, last_used DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS {p}uploads (
        id {serial}, workspace TEXT NOT NULL REFERENCES {p}workspaces(id) ON DELETE CASCADE,
        name TEXT NOT NULL, created DOUBLE PRECISION NOT NULL, n_facilities INTEGER NOT NULL,
        size_bytes INTEGER NOT NULL, data {blob} NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS {p}scenarios (
        id {serial}, workspace TEXT NOT NULL REFERENCES {p}workspaces(id) ON DELETE CASCADE,
        name TEXT NOT NULL, query TEXT NOT NULL, created DOUBLE PRECISION NOT NULL,
        share_token TEXT UNIQUE)""",
    "CREATE INDEX IF NOT EXISTS uploads_ws ON {p}uploads (workspace)",
    "CREATE INDEX IF NOT EXISTS scenarios_ws ON {p}scenarios (workspace)",
)

_RENAME = {
    "uploads": "UPDATE {p}uploads SET name = ? WHERE workspace = ? AND id = ?",
    "scenarios": "UPDATE {p}scenarios SET name = ? WHERE workspace = ? AND id = ?",
}
_DELETE = {
    "uploads": "DELETE FROM {p}uploads WHERE workspace = ? AND id = ?",
    "scenarios": "DELETE FROM {p}scenarios WHERE workspace = ? AND id = ?",
}
_DROP_WORKSPACE = (
    "DELETE FROM {p}uploads WHERE workspace = ?",
    "DELETE FROM {p}scenarios WHERE workspace = ?",
    "DELETE FROM {p}workspaces WHERE id = ?",
)


class WorkspaceStore:
    """Uploads and scenarios per workspace; subclasses provide the connection.

    Parameters
    ----------
    quota
        Limits per workspace.
    expire_days
        Anonymous workspaces unused for longer are removed by :meth:`purge_expired`.
    """

    _prefix = ""
    _param = "?"

    def __init__(self, *, quota: Quota | None = None, expire_days: float = 30.0) -> None:
        self.quota = quota or Quota()
        self.expire_days = expire_days
        self._touched: dict[str, float] = {}
        self._lock = threading.Lock()

    # -- subclass hooks ----------------------------------------------------------------------

    def _connect(self) -> contextlib.AbstractContextManager[Any]:  # pragma: no cover
        raise NotImplementedError

    def _insert_id(self, cursor: Any, sql: str, values: tuple) -> int:  # pragma: no cover
        raise NotImplementedError

    # -- helpers -----------------------------------------------------------------------------

    def _sql(self, text: str) -> str:
        return text.replace("{p}", self._prefix).replace("?", self._param)

    def _one(self, sql: str, values: tuple = ()) -> Any:
        with self._connect() as cur:
            cur.execute(self._sql(sql), values)
            return cur.fetchone()

    def _all(self, sql: str, values: tuple = ()) -> list:
        with self._connect() as cur:
            cur.execute(self._sql(sql), values)
            return cur.fetchall()

    def _ensure(self, cur: Any, workspace: str, now: float) -> None:
        # the upsert locks the workspace row first, so the quota checks that follow in the same
        # transaction see every concurrent write of this workspace
        cur.execute(
            self._sql(
                "INSERT INTO {p}workspaces (id, anonymous, last_used) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET last_used = excluded.last_used"
            ),
            (workspace, int(is_anonymous(workspace)), now),
        )

    def touch(self, workspace: str, *, now: float | None = None) -> None:
        """Record a use of ``workspace`` (written at most once an hour per process)."""
        now = time.time() if now is None else now
        with self._lock:
            if now - self._touched.get(workspace, -TOUCH_EVERY_S) < TOUCH_EVERY_S:
                return
            if len(self._touched) >= MAX_TOUCHED:
                self._touched.clear()  # bounded memory; at worst one extra write per workspace
            self._touched[workspace] = now
        with self._connect() as cur:
            cur.execute(
                self._sql("UPDATE {p}workspaces SET last_used = ? WHERE id = ?"), (now, workspace)
            )

    # -- uploads -----------------------------------------------------------------------------

    def add_upload(
        self,
        workspace: str,
        *,
        name: str,
        data: bytes,
        n_facilities: int,
        now: float | None = None,
    ) -> UploadInfo:
        """Save an upload; raises :class:`QuotaError` when files or bytes would exceed the quota."""
        now = time.time() if now is None else now
        name = clean_name(name)
        with self._connect() as cur:
            self._ensure(cur, workspace, now)
            cur.execute(
                self._sql(
                    "SELECT COUNT(*), COALESCE(SUM(size_bytes), 0) FROM {p}uploads "
                    "WHERE workspace = ?"
                ),
                (workspace,),
            )
            count, used = cur.fetchone()
            if count + 1 > self.quota.max_files:
                raise QuotaError(
                    f"the workspace holds {count} uploads; at most {self.quota.max_files}. "
                    "Delete one first.",
                    limit="files",
                    allowed=self.quota.max_files,
                )
            if used + len(data) > self.quota.max_bytes:
                raise QuotaError(
                    f"the workspace would hold {used + len(data)} bytes; at most "
                    f"{self.quota.max_bytes}. Delete an upload first.",
                    limit="bytes",
                    allowed=self.quota.max_bytes,
                )
            new_id = self._insert_id(
                cur,
                "INSERT INTO {p}uploads (workspace, name, created, n_facilities, size_bytes, data)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (workspace, name, now, int(n_facilities), len(data), data),
            )
        return UploadInfo(new_id, name, now, int(n_facilities), len(data))

    def uploads(self, workspace: str) -> list[UploadInfo]:
        """The uploads of ``workspace``, oldest first."""
        rows = self._all(
            "SELECT id, name, created, n_facilities, size_bytes FROM {p}uploads "
            "WHERE workspace = ? ORDER BY id",
            (workspace,),
        )
        return [UploadInfo(int(r[0]), r[1], float(r[2]), int(r[3]), int(r[4])) for r in rows]

    def upload_data(self, workspace: str, upload_id: int) -> bytes:
        """The saved bytes of one upload of ``workspace``."""
        row = self._one(
            "SELECT data FROM {p}uploads WHERE workspace = ? AND id = ?",
            (workspace, int(upload_id)),
        )
        if row is None:
            raise WorkspaceError(f"upload {upload_id} is not in this workspace")
        return bytes(row[0])

    def rename_upload(self, workspace: str, upload_id: int, name: str) -> None:
        """Give an upload of ``workspace`` a new name."""
        self._rename("uploads", workspace, upload_id, name)

    def delete_upload(self, workspace: str, upload_id: int) -> bool:
        """Delete an upload of ``workspace``; False when it is not there."""
        return self._delete("uploads", workspace, upload_id)

    def revision(self, workspace: str) -> str:
        """A short text that changes whenever the uploads of ``workspace`` change."""
        row = self._one(
            "SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(SUM(id), 0) FROM {p}uploads "
            "WHERE workspace = ?",
            (workspace,),
        )
        return "-".join(str(int(v)) for v in row)

    # -- scenarios ---------------------------------------------------------------------------

    def save_scenario(
        self, workspace: str, *, name: str, query: str, now: float | None = None
    ) -> ScenarioInfo:
        """Save a scenario (a name and the view's URL query); quota ``max_scenarios``."""
        now = time.time() if now is None else now
        name = clean_name(name)
        query = str(query or "").lstrip("?")
        if len(query) > 20_000:
            raise WorkspaceError("the scenario is too long to save (more than 20,000 characters)")
        with self._connect() as cur:
            self._ensure(cur, workspace, now)
            cur.execute(
                self._sql("SELECT COUNT(*) FROM {p}scenarios WHERE workspace = ?"), (workspace,)
            )
            (count,) = cur.fetchone()
            if count + 1 > self.quota.max_scenarios:
                raise QuotaError(
                    f"the workspace holds {count} scenarios; at most {self.quota.max_scenarios}. "
                    "Delete one first.",
                    limit="scenarios",
                    allowed=self.quota.max_scenarios,
                )
            new_id = self._insert_id(
                cur,
                "INSERT INTO {p}scenarios (workspace, name, query, created) VALUES (?, ?, ?, ?)",
                (workspace, name, query, now),
            )
        return ScenarioInfo(new_id, name, query, now, None)

    def scenarios(self, workspace: str) -> list[ScenarioInfo]:
        """The scenarios of ``workspace``, oldest first."""
        rows = self._all(
            "SELECT id, name, query, created, share_token FROM {p}scenarios "
            "WHERE workspace = ? ORDER BY id",
            (workspace,),
        )
        return [ScenarioInfo(int(r[0]), r[1], r[2], float(r[3]), r[4]) for r in rows]

    def rename_scenario(self, workspace: str, scenario_id: int, name: str) -> None:
        """Give a scenario of ``workspace`` a new name."""
        self._rename("scenarios", workspace, scenario_id, name)

    def delete_scenario(self, workspace: str, scenario_id: int) -> bool:
        """Delete a scenario (its share link stops working); False when it is not there."""
        return self._delete("scenarios", workspace, scenario_id)

    def share_scenario(self, workspace: str, scenario_id: int) -> str:
        """The share token of a scenario of ``workspace`` (created on first call, 192 bits)."""
        with self._connect() as cur:
            cur.execute(
                self._sql("SELECT share_token FROM {p}scenarios WHERE workspace = ? AND id = ?"),
                (workspace, int(scenario_id)),
            )
            row = cur.fetchone()
            if row is None:
                raise WorkspaceError(f"scenario {scenario_id} is not in this workspace")
            if row[0]:
                return row[0]
            token = secrets.token_urlsafe(24)
            cur.execute(
                self._sql("UPDATE {p}scenarios SET share_token = ? WHERE id = ?"),
                (token, int(scenario_id)),
            )
        return token

    def unshare_scenario(self, workspace: str, scenario_id: int) -> None:
        """Revoke the share link of a scenario of ``workspace``."""
        with self._connect() as cur:
            cur.execute(
                self._sql(
                    "UPDATE {p}scenarios SET share_token = NULL WHERE workspace = ? AND id = ?"
                ),
                (workspace, int(scenario_id)),
            )

    def shared_scenario(self, token: str) -> ScenarioInfo | None:
        """The scenario a share token grants (None for an unknown or revoked token)."""
        if not token or len(token) > 64:
            return None
        row = self._one(
            "SELECT id, name, query, created, share_token FROM {p}scenarios WHERE share_token = ?",
            (token,),
        )
        return None if row is None else ScenarioInfo(int(row[0]), row[1], row[2], row[3], row[4])

    # -- shared ------------------------------------------------------------------------------

    def _rename(self, table: str, workspace: str, item_id: int, name: str) -> None:
        name = clean_name(name)
        with self._connect() as cur:
            cur.execute(self._sql(_RENAME[table]), (name, workspace, int(item_id)))
            if cur.rowcount == 0:
                raise WorkspaceError(f"item {item_id} is not in this workspace")

    def _delete(self, table: str, workspace: str, item_id: int) -> bool:
        with self._connect() as cur:
            cur.execute(self._sql(_DELETE[table]), (workspace, int(item_id)))
            return cur.rowcount > 0

    def _drop(self, cur: Any, workspace: str) -> None:
        for statement in _DROP_WORKSPACE:
            cur.execute(self._sql(statement), (workspace,))

    def delete_workspace(self, workspace: str) -> None:
        """Remove a workspace with all its uploads and scenarios."""
        with self._connect() as cur:
            self._drop(cur, workspace)

    def purge_expired(self, *, now: float | None = None) -> int:
        """Remove anonymous workspaces unused for ``expire_days``; return how many."""
        now = time.time() if now is None else now
        cutoff = now - self.expire_days * DAY_S
        with self._connect() as cur:
            cur.execute(
                self._sql("SELECT id FROM {p}workspaces WHERE anonymous = 1 AND last_used < ?"),
                (cutoff,),
            )
            old = [r[0] for r in cur.fetchall()]
            for workspace in old:
                self._drop(cur, workspace)
        with self._lock:
            for workspace in old:
                self._touched.pop(workspace, None)
        return len(old)


class SqliteWorkspaceStore(WorkspaceStore):
    """Workspaces in one SQLite file (WAL mode; safe for several workers of one host).

    Parameters
    ----------
    path
        The database file (created with its folder).
    """

    def __init__(self, path: Path, **options: Any) -> None:
        super().__init__(**options)
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as cur:
                cur.execute("PRAGMA journal_mode=WAL")
                for statement in _TABLES:
                    cur.execute(
                        statement.format(
                            p="", serial="INTEGER PRIMARY KEY AUTOINCREMENT", blob="BLOB"
                        )
                    )
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"the workspace store cannot be opened: {exc}") from exc

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Cursor]:
        conn = sqlite3.connect(self.path, timeout=10.0)
        try:
            conn.execute("PRAGMA foreign_keys=ON")
            cur = conn.cursor()
            yield cur
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.close()

    def _insert_id(self, cursor: sqlite3.Cursor, sql: str, values: tuple) -> int:
        cursor.execute(self._sql(sql), values)
        return int(cursor.lastrowid)


class PostgresWorkspaceStore(WorkspaceStore):
    """Workspaces in the schema ``quartiersatlas_workspaces`` of a PostgreSQL database.

    The database user needs ``CREATE`` on the database once (the schema is created on first
    use) and then read/write on the schema's tables.

    Parameters
    ----------
    url
        ``postgresql://user@host/db`` (password in the URL, ``PGPASSWORD`` or ``~/.pgpass``).
    """

    _prefix = SCHEMA + "."
    _param = "%s"

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(**options)
        self.url = url
        with self._connect() as cur:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            for statement in _TABLES:
                cur.execute(
                    statement.format(p=self._prefix, serial="BIGSERIAL PRIMARY KEY", blob="BYTEA")
                )

    @contextlib.contextmanager
    def _connect(self) -> Iterator[Any]:
        from layers.store.postgis import connect

        with connect(self.url) as conn:
            with conn.cursor() as cur:
                yield cur
            conn.commit()

    def _insert_id(self, cursor: Any, sql: str, values: tuple) -> int:
        cursor.execute(self._sql(sql) + " RETURNING id", values)
        return int(cursor.fetchone()[0])


def open_store(
    *, database_url: str | None, folder: Path | None, quota: Quota, expire_days: float
) -> WorkspaceStore:
    """The workspace store: PostgreSQL when ``database_url`` is given, else SQLite in ``folder``."""
    if database_url:
        return PostgresWorkspaceStore(database_url, quota=quota, expire_days=expire_days)
    if folder is None:
        raise StoreError("no folder for the workspace store; set QUARTIERSATLAS_USER_DATA")
    return SqliteWorkspaceStore(
        Path(folder) / "workspaces.sqlite", quota=quota, expire_days=expire_days
    )
