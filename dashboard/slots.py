"""Bounded jobs: a fixed number of export/suggestion slots per host, a queue, a per-client rate.

Every gunicorn worker and every background job process of a host shares one folder
(``<jobs dir>/slots``): a job holds one of ``QUARTIERSATLAS_JOB_SLOTS`` lock files
(``fcntl.flock``, released by the kernel even when the process dies) while it runs. A job that
finds every slot taken waits in a first-come queue (one ticket file per waiting job, named by
arrival time) and reports its queue position; after ``QUARTIERSATLAS_JOB_QUEUE_TIMEOUT_S``
seconds it gives up with :class:`JobsBusyError`. Each client (its address) may start at most
``QUARTIERSATLAS_JOB_RATE`` jobs per minute on the host (a small SQLite table in the same
folder); more are refused before any work.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SLOTS_ENV = "QUARTIERSATLAS_JOB_SLOTS"
RATE_ENV = "QUARTIERSATLAS_JOB_RATE"
QUEUE_TIMEOUT_ENV = "QUARTIERSATLAS_JOB_QUEUE_TIMEOUT_S"
DEFAULT_SLOTS = 2
"""Two renders at a time fit a 2-core host (each ~1 s of CPU with a warm browser)."""
DEFAULT_RATE_PER_MINUTE = 10
DEFAULT_QUEUE_TIMEOUT_S = 90.0
POLL_S = 0.2
RATE_WINDOW_S = 60.0


class JobsBusyError(RuntimeError):
    """Every job slot stayed taken for the whole queue timeout."""


class RateLimitedError(RuntimeError):
    """The client started more jobs in the last minute than the host allows."""


@dataclass(frozen=True)
class JobLimits:
    """Slots per host, jobs per client and minute, and how long a job may wait for a slot."""

    slots: int = DEFAULT_SLOTS
    rate_per_minute: int = DEFAULT_RATE_PER_MINUTE
    queue_timeout_s: float = DEFAULT_QUEUE_TIMEOUT_S

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> JobLimits:
        """Read the limits from ``environ`` (default ``os.environ``); bad values raise."""
        env = os.environ if environ is None else environ

        def number(name: str, default: float, kind: type) -> float:
            text = env.get(name)
            if not text:
                return default
            try:
                value = kind(text)
            except ValueError:
                raise ValueError(f"${name}={text!r} is not a number") from None
            if value <= 0:
                raise ValueError(f"${name}={text!r} must be positive")
            return value

        return cls(
            slots=int(number(SLOTS_ENV, DEFAULT_SLOTS, int)),
            rate_per_minute=int(number(RATE_ENV, DEFAULT_RATE_PER_MINUTE, int)),
            queue_timeout_s=float(number(QUEUE_TIMEOUT_ENV, DEFAULT_QUEUE_TIMEOUT_S, float)),
        )


class JobSlots:
    """The host's job slots, queue and rate limit in ``folder``.

    Parameters
    ----------
    folder
        Shared by every process of the host (created if missing).
    limits
        Default :meth:`JobLimits.from_env`.
    """

    def __init__(self, folder: str | os.PathLike[str], limits: JobLimits | None = None) -> None:
        self.folder = Path(folder)
        self.limits = limits or JobLimits.from_env()
        (self.folder / "queue").mkdir(parents=True, exist_ok=True)

    # -- slots and queue -------------------------------------------------------------------

    def _try_slot(self) -> int | None:
        for i in range(self.limits.slots):
            fd = os.open(self.folder / f"slot-{i}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return fd
        return None

    def queue_position(self, ticket: Path) -> int:
        """1 for the first waiting job; tickets of processes that died are removed."""
        ahead = 0
        for other in sorted((self.folder / "queue").iterdir()):
            if other.name >= ticket.name:
                break
            pid = _pid_of(other)
            if pid is not None and not _alive(pid):
                with contextlib.suppress(OSError):
                    other.unlink()
                continue
            ahead += 1
        return ahead + 1

    @contextlib.contextmanager
    def slot(self, *, on_wait: Callable[[int], None] | None = None) -> Iterator[None]:
        """Hold one slot while the block runs; wait in the queue while all are taken.

        ``on_wait(position)`` is called whenever the queue position changes.

        Raises
        ------
        JobsBusyError
            When no slot frees within the queue timeout.
        """
        fd = self._try_slot()
        ticket: Path | None = None
        if fd is None:
            name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            ticket = self.folder / "queue" / name
            ticket.touch()
        try:
            deadline = time.monotonic() + self.limits.queue_timeout_s
            shown = None
            while fd is None:
                position = self.queue_position(ticket)  # type: ignore[arg-type]
                if position != shown and on_wait is not None:
                    on_wait(position)
                shown = position
                if position <= self.limits.slots:
                    fd = self._try_slot()
                    if fd is not None:
                        break
                if time.monotonic() > deadline:
                    raise JobsBusyError(
                        f"all {self.limits.slots} job slots stayed busy for "
                        f"{self.limits.queue_timeout_s:.0f} s"
                    )
                time.sleep(POLL_S)
        finally:
            if ticket is not None:
                with contextlib.suppress(OSError):
                    ticket.unlink()
        try:
            yield
        finally:
            os.close(fd)  # closing releases the lock

    # -- rate limit ------------------------------------------------------------------------

    def admit(self, client: str, *, now: float | None = None) -> None:
        """Count a job start for ``client``.

        Raises
        ------
        RateLimitedError
            When the client started ``rate_per_minute`` jobs within the last minute.
        """
        now = time.time() if now is None else now
        client = client[:100]
        with contextlib.closing(sqlite3.connect(self.folder / "rate.sqlite3", timeout=10)) as db:
            db.execute("CREATE TABLE IF NOT EXISTS starts (client TEXT, at REAL)")
            db.execute("DELETE FROM starts WHERE at < ?", (now - RATE_WINDOW_S,))
            (count,) = db.execute(
                "SELECT COUNT(*) FROM starts WHERE client = ?", (client,)
            ).fetchone()
            if count >= self.limits.rate_per_minute:
                db.commit()
                raise RateLimitedError(
                    f"{count} jobs in the last minute; at most {self.limits.rate_per_minute}"
                )
            db.execute("INSERT INTO starts VALUES (?, ?)", (client, now))
            db.commit()


SLOTS_EXTENSION = "quartiersatlas_slots"
GATE_EXTENSION = "quartiersatlas_job_outputs"
CLIENT_HEADER_ENV = "QUARTIERSATLAS_CLIENT_IP_HEADER"
"""Behind a reverse proxy every request comes from the proxy: name the header that carries the
client address (``X-Real-IP`` with the nginx example of docs/deployment.md)."""


def for_app(app: Any) -> JobSlots:
    """The :class:`JobSlots` of a dashboard app (``<jobs dir>/slots``), made once per app."""
    extensions = app.server.extensions
    if SLOTS_EXTENSION not in extensions:
        from dashboard.jobs import default_jobs_dir

        ctx = extensions.get("quartiersatlas")
        user_dir = getattr(getattr(ctx, "options", None), "user_data_dir", None)
        extensions[SLOTS_EXTENSION] = JobSlots(default_jobs_dir(user_dir) / "slots")
    return extensions[SLOTS_EXTENSION]


def queue_reporter(
    set_progress: Callable[[Any], None] | None, lang: str
) -> Callable[[int], None] | None:
    """``on_wait`` for :meth:`JobSlots.slot` that shows the queue position (background jobs)."""
    if set_progress is None:
        return None
    from dashboard.i18n import t

    return lambda position: set_progress(t("job_queue", lang, n=position))


def split_progress(args: tuple, *, background: bool) -> tuple[Any, tuple]:
    """``(set_progress, callback args)``: a background callback gets ``set_progress`` first."""
    return (args[0], args[1:]) if background else (None, args)


def gate_job(app: Any, output_id: str, status: tuple[str, str]) -> None:
    """Rate-limit the callback writing ``output_id``; a refusal is written to ``status``.

    The check runs in the request that starts the job (before any work and before a
    background job is queued), keyed by the client address.
    """
    outputs = app.server.extensions.setdefault(GATE_EXTENSION, {})
    if not outputs:
        app.server.before_request(lambda: _rate_gate(app))
    outputs[output_id] = status


def _client_address() -> str:
    from flask import request

    header = os.environ.get(CLIENT_HEADER_ENV)
    if header and request.headers.get(header):
        return request.headers[header].split(",")[0].strip()
    return request.remote_addr or "?"


def _rate_gate(app: Any) -> Any:
    from flask import jsonify, request

    from dashboard import ids
    from dashboard.i18n import t

    if request.path != "/_dash-update-component" or request.method != "POST":
        return None
    if request.args.get("cacheKey") or request.args.get("job"):
        return None  # a background job's poll, not a new job
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None
    gated = app.server.extensions.get(GATE_EXTENSION, {})
    outputs = body.get("outputs")
    outputs = outputs if isinstance(outputs, list) else [outputs]
    hit = next((o.get("id") for o in outputs if isinstance(o, dict) and o.get("id") in gated), None)
    if hit is None:
        return None
    try:
        for_app(app).admit(_client_address())
    except RateLimitedError:
        lang = _lang_of(body, ids.STATE)
        status_id, status_prop = gated[hit]
        message = t("job_rate", lang)
        return jsonify({"multi": True, "response": {status_id: {status_prop: message}}}), 200
    return None


def _lang_of(body: dict, state_id: str) -> str:
    for entry in body.get("state") or []:
        if isinstance(entry, dict) and entry.get("id") == state_id:
            value = entry.get("value")
            if isinstance(value, dict) and value.get("lang") in ("de", "en"):
                return value["lang"]
    return "de"


def _pid_of(ticket: Path) -> int | None:
    try:
        return int(ticket.name.split("-")[1])
    except (IndexError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


__all__ = [
    "CLIENT_HEADER_ENV",
    "JobLimits",
    "JobSlots",
    "JobsBusyError",
    "RateLimitedError",
    "for_app",
    "gate_job",
    "queue_reporter",
    "split_progress",
]
