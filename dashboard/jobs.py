"""The queue for long jobs (site suggestions, exports): Dash background callback managers.

On one host, :func:`background_callback_manager` returns a ``DiskcacheManager`` on a folder that
every gunicorn worker of the host shares, so a job started through one worker is polled and
finished through any other. For several hosts set ``QUARTIERSATLAS_CELERY_BROKER`` (and
optionally ``QUARTIERSATLAS_CELERY_BACKEND``), e.g. ``redis://redis:6379/0``, and run Celery
workers (see docs/deployment.md); this needs ``pip install celery redis``.

Results are cached by the callback's inputs *and* the dataset's data version, so a new
``db load`` never serves results computed on the old data.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

JOBS_DIR_ENV = "QUARTIERSATLAS_JOBS_DIR"
CELERY_BROKER_ENV = "QUARTIERSATLAS_CELERY_BROKER"
CELERY_BACKEND_ENV = "QUARTIERSATLAS_CELERY_BACKEND"
JOB_NICE_ENV = "QUARTIERSATLAS_JOB_NICE"
DEFAULT_JOB_NICE = 10
"""Job processes run this much lower than the worker that started them: pages first."""
JOB_EXPIRE_S = 24 * 3600
"""Finished job results are kept for a day, then removed."""


def default_jobs_dir(user_data_dir: Path | None = None) -> Path:
    """``$QUARTIERSATLAS_JOBS_DIR``, else ``<user data>/jobs``."""
    env = os.environ.get(JOBS_DIR_ENV)
    if env:
        return Path(env)
    if user_data_dir is None:
        from dashboard.context import default_user_data_dir

        user_data_dir = default_user_data_dir()
    return Path(user_data_dir) / "jobs"


def background_callback_manager(
    *,
    jobs_dir: str | os.PathLike[str] | None = None,
    data_version: str | Callable[[], str] | None = None,
    user_data_dir: Path | None = None,
) -> Any:
    """Create the background callback manager that ``create_app`` hands to ``dash.Dash``.

    Parameters
    ----------
    jobs_dir
        Folder of the diskcache queue (shared by all workers of the host); default
        :func:`default_jobs_dir`.
    data_version
        The dataset's data version (or a function returning it); part of every cache key.
    user_data_dir
        Used for the default ``jobs_dir``.

    Returns
    -------
    dash.DiskcacheManager or dash.CeleryManager
        ``CeleryManager`` when ``$QUARTIERSATLAS_CELERY_BROKER`` is set.

    Raises
    ------
    RuntimeError
        If Celery is asked for but ``celery`` is not installed.
    """
    cache_by = None
    if data_version is not None:
        version_of = data_version if callable(data_version) else (lambda: str(data_version))
        cache_by = [version_of]
    broker = os.environ.get(CELERY_BROKER_ENV)
    if broker:
        try:
            from celery import Celery
        except ImportError as exc:
            raise RuntimeError(
                f"${CELERY_BROKER_ENV} is set but celery is not installed: "
                "pip install 'celery[redis]'"
            ) from exc
        from dash import CeleryManager

        backend = os.environ.get(CELERY_BACKEND_ENV, broker)
        celery_app = Celery("quartiersatlas", broker=broker, backend=backend)
        return CeleryManager(celery_app, cache_by=cache_by, expire=JOB_EXPIRE_S)
    import diskcache

    folder = Path(jobs_dir) if jobs_dir is not None else default_jobs_dir(user_data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return _reaping_manager()(diskcache.Cache(str(folder)), cache_by=cache_by, expire=JOB_EXPIRE_S)


def reap_finished_jobs() -> int:
    """Collect the exit status of finished job processes (no zombies); return how many run."""
    import multiprocess

    return len(multiprocess.active_children())


def wait_for_job(pid: int | None) -> None:
    """Collect the job process ``pid`` as soon as it ends, in a thread of its own.

    Reaping on polls alone leaves the last job a worker ran a zombie when no poll comes after it
    ended (the browser had its result from the poll before).
    """
    import multiprocess

    process = next((p for p in multiprocess.active_children() if p.pid == pid), None)
    if process is not None:
        threading.Thread(target=process.join, name=f"job-reaper-{pid}", daemon=True).start()


def nice_from_env(
    name: str, environ: Mapping[str, str] | None = None, *, default: int = DEFAULT_JOB_NICE
) -> int:
    """How much lower a process or thread runs, from ``$name``: 0–19, ``default`` when unset.

    The one reader of the priority settings (``$QUARTIERSATLAS_JOB_NICE``,
    ``$QUARTIERSATLAS_RENDER_NICE``). A bad value raises instead of being clamped or replaced
    by the default: a typo would otherwise quietly run exports at a priority nobody chose (at
    the workers' own, which the setting exists to prevent). The server reads both settings
    when it starts (:meth:`dashboard.wsgi.ServerConfig.from_env`), so the error stops the
    start with its message rather than failing a request later.

    Raises
    ------
    ValueError
        Naming the variable, when its value is not a whole number from 0 to 19.

    Examples
    --------
    >>> nice_from_env("QUARTIERSATLAS_JOB_NICE", {"QUARTIERSATLAS_JOB_NICE": " 7 "})
    7
    >>> nice_from_env("QUARTIERSATLAS_JOB_NICE", {})
    10
    """
    text = (os.environ if environ is None else environ).get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 19:
        raise ValueError(
            f"${name}={text!r} must be a whole number from 0 to 19 (0 = the same priority as "
            f"the workers); unset, it is {default}"
        )
    return value


def job_nice(environ: Mapping[str, str] | None = None) -> int:
    """``$QUARTIERSATLAS_JOB_NICE`` (0–19, default 10); a bad value raises ``ValueError``."""
    return nice_from_env(JOB_NICE_ENV, environ, default=DEFAULT_JOB_NICE)


def _lowered(job_fn: Callable[..., Any], nice: int) -> Callable[..., Any]:
    """``job_fn`` that first lowers its process's CPU priority (runs in the forked job)."""

    def run(*args: Any, **kwargs: Any) -> Any:
        if nice:
            # a platform without it: the job runs at the worker's priority
            with contextlib.suppress(OSError):
                os.nice(nice)
        return job_fn(*args, **kwargs)

    return run


def _reaping_manager() -> type:
    """Dash's ``DiskcacheManager`` that reaps its finished job processes and lowers their priority.

    Dash starts each job as a ``multiprocess`` child and never waits for it, so every finished
    job stayed a zombie until the next job started; reaping on every poll and start ends that.
    Each job runs :func:`job_nice` lower than the worker, so page loads win over exports and site
    suggestions when the cores are busy.
    """
    from dash import DiskcacheManager

    nice = job_nice()

    class ReapingDiskcacheManager(DiskcacheManager):
        def call_job_fn(self, key: Any, job_fn: Any, args: Any, context: Any) -> Any:
            from dashboard.render import no_browser_starting

            reap_finished_jobs()
            with no_browser_starting():  # a fork now would stall the browser's start
                pid = super().call_job_fn(key, _lowered(job_fn, nice), args, context)
            wait_for_job(pid)
            return pid

        def job_running(self, job: Any) -> bool:
            reap_finished_jobs()
            return super().job_running(job)

    return ReapingDiskcacheManager


__all__ = [
    "CELERY_BACKEND_ENV",
    "CELERY_BROKER_ENV",
    "JOBS_DIR_ENV",
    "JOB_NICE_ENV",
    "background_callback_manager",
    "default_jobs_dir",
    "job_nice",
    "nice_from_env",
    "reap_finished_jobs",
]
