"""WSGI entry point for production serving with several workers (gunicorn).

    gunicorn -w 4 -b 127.0.0.1:8050 'dashboard.wsgi:create_server()'

Configuration comes from the environment (see docs/configuration.md): ``DATABASE_URL`` (read the
dataset from PostGIS) or ``QUARTIERSATLAS_DATA`` (a dataset folder), ``QUARTIERSATLAS_DATASET``,
``QUARTIERSATLAS_USER_DATA``, ``QUARTIERSATLAS_JOBS_DIR``. Each worker loads the dataset once;
nothing a request changes is kept in the worker (view state lives in the URL, long jobs in the
shared job queue of :mod:`dashboard.jobs`).

``/healthz`` answers JSON: to anyone only ``ok``/``degraded``/``unavailable`` (and whether
newer data waits); the dataset name, its data version, the store and errors only to localhost
or with ``$QUARTIERSATLAS_HEALTH_TOKEN`` (see :func:`health_details_allowed`). When the store cannot be read at start-up (database down), the worker answers 503
with a page that says so and retries on later requests (at most every
``QUARTIERSATLAS_RETRY_S`` seconds), so the app recovers without a restart when the database
returns. When a newer version is loaded into the database (``quartiersatlas db load``), each
worker notices within ``QUARTIERSATLAS_RELOAD_S`` seconds (default 30), builds the new app in the
background while it keeps serving the old one, and swaps it in.
"""

from __future__ import annotations

import html
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dashboard import render_service
from layers.errors import LayersError
from layers.store import DATABASE_ENV, DATASET_NAME_ENV, data_version, redact_url

log = logging.getLogger(__name__)

USER_DATA_ENV = "QUARTIERSATLAS_USER_DATA"
RETRY_ENV = "QUARTIERSATLAS_RETRY_S"
RELOAD_ENV = "QUARTIERSATLAS_RELOAD_S"
HEALTH_PATH = "/healthz"
HEALTH_TOKEN_ENV = "QUARTIERSATLAS_HEALTH_TOKEN"  # noqa: S105 - the variable's name, not a secret
"""With this set, ``Authorization: Bearer <token>`` shows the full ``/healthz`` from anywhere."""
PUBLIC_HEALTH_KEYS = ("status", "stale", "loaded_at")
"""What anyone may see: ok/degraded/unavailable, whether newer data waits, and since when the
served data is loaded (the page banner needs the last two). Dataset, versions, store, error
text and pid only go to localhost or a holder of the token."""
_PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")
JOBS_EXTENSION = "quartiersatlas_jobs"
"""Key of the background callback manager in the Flask server's ``extensions``."""
PROBE_CACHE_S = 2.0
"""Health probes of the store are reused for this long (a load balancer may poll often)."""

Environ = dict[str, Any]
StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class ServerConfig:
    """Where the data comes from and where per-user files and jobs go."""

    data_dir: Path | None = None
    database_url: str | None = None
    dataset_name: str | None = None
    user_data_dir: Path | None = None
    jobs_dir: Path | None = None
    retry_s: float = 5.0
    reload_s: float = 30.0
    app_options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> ServerConfig:
        """Read the configuration from ``environ`` (default ``os.environ``); overrides win."""
        env = os.environ if environ is None else environ
        from dashboard.jobs import job_nice
        from layers.dataset import DATA_ENV

        # read now, so a bad priority setting stops the start instead of failing a request
        job_nice(env)
        render_service.render_nice(env)

        values: dict[str, Any] = {
            "data_dir": Path(env[DATA_ENV]) if env.get(DATA_ENV) else None,
            "database_url": env.get(DATABASE_ENV) or None,
            "dataset_name": env.get(DATASET_NAME_ENV) or None,
            "user_data_dir": Path(env[USER_DATA_ENV]) if env.get(USER_DATA_ENV) else None,
            "jobs_dir": Path(env["QUARTIERSATLAS_JOBS_DIR"])
            if env.get("QUARTIERSATLAS_JOBS_DIR")
            else None,
            "retry_s": float(env.get(RETRY_ENV, "5")),
            "reload_s": float(env.get(RELOAD_ENV, "30")),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def store(self) -> str:
        """``"postgis"`` or ``"files"``."""
        return "postgis" if self.database_url else "files"

    @property
    def store_label(self) -> str:
        """The store for messages (password removed)."""
        if self.database_url:
            return redact_url(self.database_url)
        from layers.dataset import default_dataset_path

        return str(self.data_dir or default_dataset_path())


def render_folder(config: ServerConfig) -> Path:
    """The host's render service folder: ``<jobs dir>/render`` (:mod:`dashboard.render_service`)."""
    from dashboard.jobs import default_jobs_dir

    return (config.jobs_dir or default_jobs_dir(config.user_data_dir)) / "render"


def _default_factory(dataset: Any, config: ServerConfig, version: str) -> Any:
    """Build the Dash app with :func:`dashboard.app.create_app` and return its Flask server."""
    from dashboard.app import create_app, warm_up_in_background
    from dashboard.jobs import background_callback_manager

    manager = background_callback_manager(
        jobs_dir=config.jobs_dir, data_version=version, user_data_dir=config.user_data_dir
    )
    options = {"user_data_dir": config.user_data_dir, **config.app_options}
    kwargs = {k: v for k, v in options.items() if v is not None}
    # every process that builds the app (gunicorn and Celery workers, and the job children
    # forked from them) renders on the host's render service when one answers
    render_service.use(render_folder(config))
    app = create_app(dataset, background_callback_manager=manager, **kwargs)
    warm_up_in_background(app)
    server = getattr(app, "server", app)
    server.extensions[JOBS_EXTENSION] = manager
    return server


class AtlasServer:
    """The WSGI application: ``/healthz`` plus the Dash app, built once the data can be read."""

    def __init__(
        self,
        config: ServerConfig,
        *,
        factory: Callable[[Any, ServerConfig, str], Any] = _default_factory,
    ) -> None:
        self.config = config
        self._factory = factory
        self._lock = threading.Lock()
        self._app: Any = None
        self.dataset: Any = None
        self.data_version: str | None = None
        self.loaded_at: float | None = None
        self.last_error: str | None = None
        self._last_attempt = 0.0
        self._probe: tuple[float, dict[str, Any]] | None = None
        self._last_reload_check = time.monotonic()
        self._reloading: threading.Thread | None = None
        self._render_service_pid: int | None = None

    # -- building -------------------------------------------------------------------------

    def _load(self) -> Any:
        from layers.store import open_dataset

        return open_dataset(
            self.config.data_dir,
            database_url=self.config.database_url,
            name=self.config.dataset_name,
        )

    def ensure_app(self, *, force: bool = False) -> Any:
        """The Dash app's server, building it if needed; None while the store is unreadable."""
        if self._app is not None:
            return self._app
        with self._lock:
            if self._app is not None:
                return self._app
            now = time.monotonic()
            if not force and now - self._last_attempt < self.config.retry_s:
                return None
            self._last_attempt = now
            built = self._build()
            if built is None:
                return None
            self._swap(*built)
            return self._app

    def _build(self) -> tuple[Any, str, Any] | None:
        """Load the dataset and build its app; None (with ``last_error``) when that fails."""
        try:
            dataset = self._load()
            version = data_version(dataset)
            app = self._factory(dataset, self.config, version)
        except LayersError as exc:
            self.last_error = str(exc)
            log.error("cannot load the dataset from %s: %s", self.config.store_label, exc)
            return None
        return dataset, version, app

    def _swap(self, dataset: Any, version: str, app: Any) -> None:
        self.dataset, self.data_version, self._app = dataset, version, app
        self.loaded_at, self.last_error = time.time(), None
        log.info("serving %s (data version %s)", dataset.metadata.name, version)

    # -- new data in the database ---------------------------------------------------------

    def maybe_reload(self) -> None:
        """Start building the new version in the background when the database has one.

        Checked at most every ``reload_s`` seconds (database store only). Requests keep going
        to the current app until the new one is complete; then it is swapped in.
        """
        if not self.config.database_url or self.config.reload_s <= 0 or self._app is None:
            return
        now = time.monotonic()
        if now - self._last_reload_check < self.config.reload_s:
            return
        with self._lock:
            if now - self._last_reload_check < self.config.reload_s or self._reloading:
                return
            self._last_reload_check = now
        current = self.probe_store()["data_version"]
        if current is None or current == self.data_version:
            return
        with self._lock:
            if self._reloading is not None:
                return
            self._reloading = threading.Thread(
                target=self._reload, name="atlas-reload", daemon=True
            )
            self._reloading.start()

    def _reload(self) -> None:
        try:
            built = self._build()
            if built is not None:
                with self._lock:
                    self._swap(*built)
                from dashboard.app import freeze_long_lived

                freeze_long_lived()  # the old version's frozen objects are collected now
        finally:
            self._reloading = None

    def wait_for_reload(self, timeout_s: float = 60.0) -> None:
        """Block until a running background reload has finished (for tests and scripts)."""
        thread = self._reloading
        if thread is not None:
            thread.join(timeout_s)

    @property
    def jobs(self) -> Any:
        """The background callback manager of the app (None before the app is built)."""
        extensions = getattr(self._app, "extensions", None) or {}
        return extensions.get(JOBS_EXTENSION)

    # -- health ---------------------------------------------------------------------------

    def probe_store(self) -> dict[str, Any]:
        """Whether the store answers, and its current data version (cached briefly)."""
        now = time.monotonic()
        if self._probe is not None and now - self._probe[0] < PROBE_CACHE_S:
            return self._probe[1]
        result: dict[str, Any] = {"reachable": False, "data_version": None, "error": None}
        if self.config.database_url:
            from layers.store.postgis import current_data_version

            try:
                result["data_version"] = current_data_version(
                    self.config.database_url, name=self.config.dataset_name
                )
                result["reachable"] = True
            except LayersError as exc:
                result["error"] = str(exc)
        else:
            root = Path(self.config.store_label)
            result["reachable"] = (root / "dataset.toml").is_file() or root.is_file()
            if not result["reachable"]:
                result["error"] = f"dataset folder {root} has no dataset.toml"
        self._probe = (now, result)
        return result

    def health(self) -> tuple[int, dict[str, Any]]:
        """HTTP status and JSON body of ``/healthz``."""
        self.ensure_app()
        probe = self.probe_store()
        serving = self._app is not None
        if not serving:
            status = "unavailable"
        elif probe["reachable"]:
            status = "ok"
        else:
            status = "degraded"  # still serving the loaded data from memory
        body = {
            "status": status,
            "dataset": None if self.dataset is None else self.dataset.metadata.name,
            "data_version": self.data_version,
            "store": self.config.store,
            "store_reachable": probe["reachable"],
            "store_data_version": probe["data_version"],
            "stale": bool(
                serving and probe["data_version"] and probe["data_version"] != self.data_version
            ),
            "error": probe["error"] or self.last_error,
            "loaded_at": None
            if self.loaded_at is None
            else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.loaded_at)),
            "pid": os.getpid(),
        }
        return (503 if status == "unavailable" else 200), body

    # -- WSGI -----------------------------------------------------------------------------

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        """Answer ``/healthz`` here; pass everything else to the Dash app (or a 503 page)."""
        if self._render_service_pid != os.getpid():
            # per process, not at import: a worker forked from a preloading master starts its own
            self._render_service_pid = os.getpid()
            render_service.serve_in_background(render_folder(self.config))
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH:
            code, body = self.health()
            if not health_details_allowed(environ):
                body = {k: body[k] for k in PUBLIC_HEALTH_KEYS}
            return _respond(
                start_response,
                code,
                json.dumps(body).encode(),
                "application/json",
            )
        app = self.ensure_app()
        if app is None:
            return self._unavailable(environ, start_response)
        self.maybe_reload()
        return app(environ, start_response)

    def _unavailable(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        reason = "the data store cannot be read"
        if self.last_error and health_details_allowed(environ):
            reason = self.last_error  # names the folder or database host: operators only
        if environ.get("PATH_INFO", "").startswith("/_dash"):
            payload = json.dumps({"error": "data store unavailable", "message": reason})
            return _respond(start_response, 503, payload.encode(), "application/json")
        page = UNAVAILABLE_PAGE.format(
            reason=html.escape(reason), retry=int(max(self.config.retry_s, 5))
        )
        return _respond(start_response, 503, page.encode(), "text/html; charset=utf-8")


def health_details_allowed(environ: Environ) -> bool:
    """Whether a ``/healthz`` request may see the details (pid, store, versions, errors).

    From localhost without proxy headers (a request relayed by a reverse proxy on the same host
    carries ``X-Forwarded-For`` and counts as remote), or with the token of
    ``$QUARTIERSATLAS_HEALTH_TOKEN`` as ``Authorization: Bearer <token>``.
    """
    import hmac

    token = os.environ.get(HEALTH_TOKEN_ENV)
    sent = environ.get("HTTP_AUTHORIZATION", "")
    if token and sent.startswith("Bearer "):
        return hmac.compare_digest(sent[len("Bearer ") :].encode(), token.encode())
    local = environ.get("REMOTE_ADDR") in ("127.0.0.1", "::1")
    return local and not any(environ.get(h) for h in _PROXY_HEADERS)


UNAVAILABLE_PAGE = """<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{retry}">
<title>Quartiersatlas – Daten nicht erreichbar</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>Daten zurzeit nicht erreichbar</h1>
<p>Der Quartiersatlas kann seine Daten gerade nicht lesen. Die Seite lädt sich alle {retry}
Sekunden neu und ist wieder da, sobald die Datenbank erreichbar ist.</p>
<p lang="en">The data store cannot be read right now; this page retries every {retry} seconds.</p>
<pre role="status">{reason}</pre>
</body></html>
"""


def _respond(
    start_response: StartResponse, code: int, body: bytes, content_type: str
) -> list[bytes]:
    reasons = {200: "OK", 503: "Service Unavailable"}
    start_response(
        f"{code} {reasons.get(code, '')}".strip(),
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("Retry-After", "5") if code == 503 else ("X-Content-Type-Options", "nosniff"),
        ],
    )
    return [body]


def create_server(**overrides: Any) -> AtlasServer:
    """The WSGI application for gunicorn, configured from the environment.

    Keyword arguments override the environment (``data_dir``, ``database_url``,
    ``dataset_name``, ``user_data_dir``, ``jobs_dir``, ``retry_s``, ``app_options``). The
    dataset is loaded immediately when possible; otherwise on a later request.
    """
    server = AtlasServer(ServerConfig.from_env(**overrides))
    server.ensure_app(force=True)
    return server


__all__ = [
    "HEALTH_PATH",
    "HEALTH_TOKEN_ENV",
    "AtlasServer",
    "ServerConfig",
    "create_server",
    "health_details_allowed",
]
