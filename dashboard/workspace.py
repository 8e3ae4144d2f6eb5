"""Which workspace a request belongs to: a signed session cookie, or a user named by a proxy.

:func:`install` wires the workspace store (:mod:`layers.store.workspaces`) into the Flask
server: the secret key that signs the session cookie, the cookie flags, a ``before_request``
hook that gives every new browser its own random workspace (and purges expired ones from time to
time), the share route ``/share/<token>`` and the download route of a saved upload. Callbacks
find the current workspace with :func:`current_workspace`; they never take a workspace from the
browser's payload, so no callback can reach another workspace's items.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from layers.store.workspaces import Quota, WorkspaceStore, open_store

log = logging.getLogger(__name__)

EXTENSION_KEY = "quartiersatlas_workspaces"
"""Key of the :class:`Workspaces` in ``server.extensions``."""
SESSION_KEY = "ws"
COOKIE_NAME = "qa_session"
SHARE_PATH = "/share/"
DOWNLOAD_PATH = "/workspace/upload/"
PURGE_EVERY_S = 3600.0
STATIC_PREFIXES = (
    "/_dash-component-suites/",
    "/assets/",
    "/_favicon",
    "/healthz",
    "/_quartiersatlas/",  # map geometry files (streets, the layers after the first map)
)
_USER_RE = re.compile(r"^[\w.@+\-]{1,200}$")

ENV = {
    "secret_key": "QUARTIERSATLAS_SECRET_KEY",
    "user_header": "QUARTIERSATLAS_USER_HEADER",
    "trust_user_header": "QUARTIERSATLAS_TRUST_USER_HEADER",
    "cookie_secure": "QUARTIERSATLAS_COOKIE_SECURE",
    "database_url": "QUARTIERSATLAS_WORKSPACE_DATABASE_URL",
    "max_files": "QUARTIERSATLAS_WORKSPACE_MAX_FILES",
    "max_mb": "QUARTIERSATLAS_WORKSPACE_MAX_MB",
    "max_scenarios": "QUARTIERSATLAS_WORKSPACE_MAX_SCENARIOS",
    "expire_days": "QUARTIERSATLAS_WORKSPACE_EXPIRE_DAYS",
    "max_rows": "QUARTIERSATLAS_UPLOAD_MAX_ROWS",
    "max_vertices": "QUARTIERSATLAS_UPLOAD_MAX_VERTICES",
    "max_display_points": "QUARTIERSATLAS_UPLOAD_MAX_SHOWN",
}
"""Environment variables of :meth:`WorkspaceSettings.from_env` (see docs/configuration.md)."""


@dataclass(frozen=True)
class WorkspaceSettings:
    """Workspace, cookie and upload-size settings of one app instance."""

    secret_key: str | None = field(default=None, repr=False)
    """Signs the session cookie; random per process when unset (one worker only)."""
    user_header: str | None = None
    """Request header a trusted reverse proxy sets to the signed-in user's name."""
    trust_user_header: bool = False
    """Honour ``user_header`` (only behind a proxy that overwrites it on every request)."""
    cookie_secure: bool = False
    """Send the session cookie over HTTPS only."""
    database_url: str | None = field(default=None, repr=False)
    """PostgreSQL for the workspaces; default a SQLite file in the user data folder."""
    quota: Quota = field(default_factory=Quota)
    expire_days: float = 30.0
    """Anonymous workspaces unused this long are deleted."""
    max_rows: int = 20_000
    """Rows (facilities) per uploaded file."""
    max_vertices: int = 100_000
    """Coordinate pairs per uploaded file (counted before the file is parsed)."""
    max_display_points: int = 5_000
    """Uploaded points drawn on the map at most (all uploads of a workspace together)."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> WorkspaceSettings:
        """Settings from the environment (``os.environ`` by default); see :data:`ENV`."""
        env = os.environ if environ is None else environ

        def get(key: str) -> str | None:
            value = env.get(ENV[key], "").strip()
            return value or None

        def number(key: str, default: float) -> float:
            text = get(key)
            if text is None:
                return default
            try:
                value = float(text)
            except ValueError as exc:
                raise ValueError(f"{ENV[key]}={text!r} is not a number") from exc
            if value <= 0:
                raise ValueError(f"{ENV[key]}={text!r} must be greater than 0")
            return value

        base = Quota()
        quota = Quota(
            max_files=int(number("max_files", base.max_files)),
            max_bytes=int(number("max_mb", base.max_bytes / 1024 / 1024) * 1024 * 1024),
            max_scenarios=int(number("max_scenarios", base.max_scenarios)),
        )
        return cls(
            secret_key=get("secret_key"),
            user_header=get("user_header"),
            trust_user_header=(get("trust_user_header") or "").lower() in ("1", "true", "yes"),
            cookie_secure=(get("cookie_secure") or "").lower() in ("1", "true", "yes"),
            database_url=get("database_url"),
            quota=quota,
            expire_days=number("expire_days", cls.expire_days),
            max_rows=int(number("max_rows", cls.max_rows)),
            max_vertices=int(number("max_vertices", cls.max_vertices)),
            max_display_points=int(number("max_display_points", cls.max_display_points)),
        )


class Workspaces:
    """The store and settings of one server, and the current request's workspace."""

    def __init__(self, store: WorkspaceStore, settings: WorkspaceSettings) -> None:
        self.store = store
        self.settings = settings
        self._purged = 0.0
        self._lock = threading.Lock()

    def user(self) -> str | None:
        """The user named by the trusted proxy header (None when off or absent)."""
        from flask import request

        if not (self.settings.trust_user_header and self.settings.user_header):
            return None
        name = request.headers.get(self.settings.user_header, "").strip()
        return name if _USER_RE.match(name) else None

    def current(self) -> str:
        """The workspace of the current request: ``u:<user>`` or ``s:<session token>``."""
        from flask import session

        user = self.user()
        if user:
            return f"u:{user}"
        token = session.get(SESSION_KEY)
        if not isinstance(token, str) or len(token) < 32:
            token = secrets.token_urlsafe(32)
            session[SESSION_KEY] = token
            session.permanent = True
        return f"s:{token}"

    def purge_now_and_then(self) -> None:
        """Delete expired anonymous workspaces, at most once an hour per process."""
        now = time.monotonic()
        with self._lock:
            if self._purged and now - self._purged < PURGE_EVERY_S:
                return
            self._purged = now
        try:
            removed = self.store.purge_expired()
        except Exception as exc:  # a store hiccup must not break page loads
            log.warning("workspace purge failed: %s", exc)
            return
        if removed:
            log.info("removed %d expired workspaces", removed)


def current_workspaces() -> Workspaces:
    """The :class:`Workspaces` of the Flask app serving the current request."""
    from flask import current_app

    return current_app.extensions[EXTENSION_KEY]


def current_workspace() -> tuple[WorkspaceStore, str]:
    """(store, workspace key) of the current request."""
    spaces = current_workspaces()
    return spaces.store, spaces.current()


def install(server: Any, settings: WorkspaceSettings, *, user_data_dir: Path | None) -> Workspaces:
    """Set the secret key and cookie flags, open the store and add the workspace routes."""
    from flask import abort, redirect, request, send_file

    if settings.secret_key:
        server.secret_key = settings.secret_key
    elif not server.secret_key:
        # only valid inside this process: several workers need QUARTIERSATLAS_SECRET_KEY
        server.secret_key = secrets.token_hex(32)
        log.warning(
            "QUARTIERSATLAS_SECRET_KEY is not set: session cookies are signed with a random key "
            "of this process (set it when running several workers or hosts)"
        )
    server.config.update(
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(days=settings.expire_days),
        # the cookie is renewed by page loads only (below), not re-sent with every script,
        # style and callback response of the page
        SESSION_REFRESH_EACH_REQUEST=False,
    )
    store = open_store(
        database_url=settings.database_url,
        folder=user_data_dir,
        quota=settings.quota,
        expire_days=settings.expire_days,
    )
    spaces = Workspaces(store, settings)
    server.extensions[EXTENSION_KEY] = spaces

    @server.before_request
    def _workspace_cookie() -> None:
        from flask import session

        if request.path.startswith(STATIC_PREFIXES) or request.path.startswith(SHARE_PATH):
            return
        spaces.purge_now_and_then()
        # the page request sets the cookie, so the callbacks that follow share one workspace
        workspace = spaces.current()
        if request.path == "/" and session:
            session.modified = True  # a page load renews the cookie's expiry
        if request.path in ("/", "/_dash-layout"):
            try:  # a page load counts as use: an opened workspace does not expire
                store.touch(workspace)
            except Exception as exc:  # the page must load even when the store does not answer
                log.warning("workspace use not recorded: %s", exc)

    @server.route(SHARE_PATH + "<token>")
    def _shared_scenario(token: str):
        scenario = store.shared_scenario(token)
        if scenario is None:
            abort(404)
        return redirect(f"{request.script_root}/?{scenario.query}", code=302)

    @server.route(DOWNLOAD_PATH + "<int:upload_id>.geojson")
    def _download_upload(upload_id: int):
        import io

        from layers.store.workspaces import WorkspaceError

        try:
            data = store.upload_data(spaces.current(), upload_id)
        except WorkspaceError:
            abort(404)
        return send_file(
            io.BytesIO(data),
            mimetype="application/geo+json",
            as_attachment=True,
            download_name=f"upload-{upload_id}.geojson",
        )

    return spaces
