"""gunicorn settings for a shared Quartiersatlas instance.

::

    gunicorn -c python:dashboard.gunicorn_conf 'dashboard.wsgi:create_server()'

The master loads the dataset and builds the app once (``preload_app``); every worker is a fork
of it and serves its first request at once: a worker that gunicorn starts again (after a crash,
``--max-requests`` or a ``HUP``) does not import, load or read distances for seconds while its
share of the requests waits. Options given on the command line (``-w``, ``-b``, ``-t``) win over
the values here.

Forking is safe with what the master holds: database connections are opened per use (no pool is
inherited), the job queue (diskcache) reconnects in a new process, and the render service is
started per process on its first request (``dashboard.wsgi.AtlasServer``). The one hazard is a
thread of the master holding a lock at the moment of the fork, which the child would inherit as
held: :func:`pre_fork` therefore lets the warm-up threads (page files compressed, address index)
finish first.
"""

from __future__ import annotations

import threading
from typing import Any

bind = "127.0.0.1:8050"
workers = 4
# sync workers, no threads: diskcache jobs are forked from the worker (docs/deployment.md)
worker_class = "sync"
timeout = 120
preload_app = True

WARM_UP_PREFIX = "warm-up"
"""Threads whose name starts with this do finite work at start (``dashboard.app``)."""

WARM_UP_WAIT_S = 120.0


def finish_warm_up(timeout_s: float = WARM_UP_WAIT_S) -> list[str]:
    """Wait for the warm-up threads of this process; the names of those still running after it."""
    current = threading.current_thread()
    waiting = [
        t for t in threading.enumerate() if t is not current and t.name.startswith(WARM_UP_PREFIX)
    ]
    for thread in waiting:
        thread.join(timeout_s)
    return [t.name for t in waiting if t.is_alive()]


def pre_fork(server: Any, worker: Any) -> None:
    """Before each fork, in the master (a gunicorn hook): no warm-up thread may hold a lock."""
    left = finish_warm_up()
    if left:
        server.log.warning("forking while warm-up threads still run: %s", ", ".join(left))
