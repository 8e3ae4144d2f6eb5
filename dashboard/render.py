"""One headless browser per process for every static figure (kaleido 1.x), reused and bounded.

Starting Chromium is most of an export's time (about 3 s of the 5–6 s a CLI export took); a
browser started per job also multiplied processes under load (10 parallel exports: ~110
Chromium processes, +3.1 GB). :func:`to_image` keeps one kaleido browser per process, started
on first use, and renders one figure at a time on it (a lock; the process-wide job slots of
:mod:`dashboard.slots` bound how many processes render at once). Each render has a time limit;
a browser that fails or times out is closed and the next render starts a fresh one.

Every process of a host first asks the host's render service (:mod:`dashboard.render_service`:
one long-lived process renders for all on its warm browser, over a Unix socket in the shared jobs
folder). Without an answering service, a Dash background job of the diskcache queue (a
short-lived ``multiprocess`` child that ends with ``os._exit``, so no clean-up would run) renders
with a one-shot browser closed when the figure is done, so no Chromium outlives the job; Celery
and gunicorn workers are long-lived and keep their browser.

Two costs of kaleido's defaults are avoided: its page loads MathJax from a CDN (the exports use
no LaTeX; offline the request fails, online it is a 2 MB script per page load), and kaleido
reloads its page after every figure *before* returning the bytes; here a page serves
:data:`PAGE_RENDERS` figures and then reloads after the bytes are returned.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0
RENDER_TIMEOUT_S = 60.0
WARM_UP_TIMEOUT_S = 15.0
"""Limit of the render service's browser start and first, tiny render: kaleido's browser now
and then hangs there (seen in about one of ten runs of the parallel-export test on a busy
machine, each a 60 s stall of every export behind it); a new browser is then started instead
of waiting for the full :data:`START_TIMEOUT_S` or :data:`RENDER_TIMEOUT_S`."""
SLOW_S = 10.0
"""A browser start or render slower than this is logged (a warning), as is every failure, so
that a stall in production says where it was."""
DEFAULT_WIDTH = 700
DEFAULT_HEIGHT = 500
"""plotly's default image size, used when the figure's layout sets none."""


class RenderError(RuntimeError):
    """Rendering failed (no Chromium, a crashed browser, or a render over its time limit)."""


PAGE_RENDERS = 10
"""Figures rendered on one page load before the page is reloaded (kaleido: after every one)."""


def _kaleido_class() -> type:
    """``kaleido.Kaleido`` that reuses its page for :data:`PAGE_RENDERS` figures.

    kaleido reloads its page after every figure and the render waits for it: plotly.js (4.8 MB)
    parsed again, MapLibre's workers started again, about 0.6 s of CPU per export. Plotly
    removes each figure's plot when its image is taken, so the page is reloaded every
    :data:`PAGE_RENDERS` figures (bounding what a page could collect), after the bytes were
    returned.
    """
    import kaleido

    base = kaleido.Kaleido
    if not hasattr(base, "_return_kaleido_tab"):  # another kaleido: keep its own order
        return base

    class _Kaleido(base):  # type: ignore[misc, valid-type]
        async def _return_kaleido_tab(self, tab: Any) -> None:
            used = self.__dict__.setdefault("_qa_used", {})
            used[id(tab)] = used.get(id(tab), 0) + 1
            if used[id(tab)] < PAGE_RENDERS:
                await self.tabs_ready.put(tab)
                return
            used[id(tab)] = 0
            # the next render takes the tab from the queue once the reload is done
            task = asyncio.get_running_loop().create_task(self._reload_later(tab))
            self.__dict__.setdefault("_qa_reloads", set()).add(task)
            task.add_done_callback(self.__dict__["_qa_reloads"].discard)

        async def _reload_later(self, tab: Any) -> None:
            try:
                await base._return_kaleido_tab(self, tab)
            except Exception as exc:  # the next render on this tab fails and restarts
                log.warning("reloading the export page failed: %s", exc)
                self.tabs_ready.put_nowait(tab)

    return _Kaleido


def _new_kaleido() -> Any:
    cls = _kaleido_class()
    try:
        return cls(n=1, mathjax=False)
    except TypeError:  # a kaleido without the mathjax option
        return cls(n=1)


def lower_thread_priority(nice: int) -> None:
    """Lower the calling thread's CPU priority by ``nice`` (Linux: threads have their own).

    Processes and threads this thread starts inherit it, so a browser started from it runs
    behind the interactive requests of the same host. Elsewhere nothing changes.
    """
    if nice <= 0 or not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, current + nice))


_starting_browser = threading.Lock()
"""Held while this process starts a browser; :func:`no_browser_starting` waits for it.

The browser is started with ``subprocess.Popen``, which waits on a pipe until Chromium has
started. A process forked from this one in that moment (a diskcache export job forked by the
same gunicorn worker) keeps a copy of the pipe's write end, and ``Popen`` then waits until that
job ends, while the job waits for its image from this browser: every export of the host stood
still until the start timed out (60 s, about one run in five of the parallel-export test)."""


@contextlib.contextmanager
def no_browser_starting() -> Iterator[None]:
    """Wait until no browser of this process is starting, and let none start meanwhile.

    Fork child processes inside it (see :data:`_starting_browser`).
    """
    with _starting_browser:
        yield


class _Browser:
    """A kaleido instance on its own event-loop thread, owned by the process that made it.

    ``nice`` lowers the priority of that thread and so of the Chromium it starts.
    """

    nice = 0

    def __init__(self, *, nice: int = 0, start_timeout_s: float = START_TIMEOUT_S) -> None:
        self.pid = os.getpid()
        self.nice = nice
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="quartiersatlas-render", daemon=True)
        self._thread.start()
        self._kaleido = _new_kaleido()
        started = time.monotonic()
        try:
            with _starting_browser:
                self._call(self._kaleido.open(), start_timeout_s)
        except BaseException as exc:
            log.warning(
                "starting the export browser failed after %.1f s: %r",
                time.monotonic() - started,
                exc,
            )
            self.close()
            raise
        if time.monotonic() - started > SLOW_S:
            log.warning("starting the export browser took %.1f s", time.monotonic() - started)
        self.lower_priority()

    def lower_priority(self) -> None:
        """Give every thread of this browser's processes at least ``nice``.

        Chromium sets its own thread priorities (a root process may raise them above the
        priority it inherited), so the browser's process tree is reniced after it starts and
        after each render, when new renderer threads may exist.
        """
        if self.nice <= 0 or not sys.platform.startswith("linux"):
            return
        import psutil

        try:
            top = psutil.Process(self._kaleido.subprocess.pid)
            procs = [top, *top.children(recursive=True)]
        except (AttributeError, psutil.Error):
            return
        for proc in procs:
            with contextlib.suppress(psutil.Error, OSError):
                for thread in proc.threads():
                    if os.getpriority(os.PRIO_PROCESS, thread.id) < self.nice:
                        os.setpriority(os.PRIO_PROCESS, thread.id, self.nice)

    def _run(self) -> None:
        lower_thread_priority(self.nice)
        try:
            self._loop.run_forever()
        except SystemExit:
            # the browser controller ends its loop when Chromium dies under it (seen on a busy
            # machine); the next export then starts a new browser instead of crashing a thread
            log.warning("the export browser stopped; the next export starts a new one")

    def _browser_processes(self) -> list[Any]:
        """The browser's Chromium processes (psutil), found while their parent still lives."""
        import psutil

        process = getattr(getattr(self, "_kaleido", None), "subprocess", None)
        if process is None or process.poll() is not None:
            return []
        try:
            top = psutil.Process(process.pid)
            return [*top.children(recursive=True), top]
        except psutil.Error:
            return []

    @staticmethod
    def _end_processes(processes: list[Any]) -> None:
        """Wait briefly for ``processes`` to exit, then kill what is left and reap it.

        A new browser must not start while the old one's processes still run: after a hung
        start, kaleido's close returned while Chromium was still exiting, and for a moment the
        host had two browsers.
        """
        import psutil

        if not processes:
            return
        _, alive = psutil.wait_procs(processes, timeout=3.0)
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(alive, timeout=5.0)

    def alive(self) -> bool:
        """Whether the browser's event-loop thread still runs."""
        return self._thread.is_alive()

    def _call(self, coroutine: Any, timeout_s: float) -> Any:
        if not self._thread.is_alive():
            coroutine.close()
            raise RenderError("the export browser has stopped")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout_s)

    def render(self, fig: dict, opts: dict[str, Any], timeout_s: float = RENDER_TIMEOUT_S) -> bytes:
        started = time.monotonic()
        try:
            data = self._call(self._kaleido.calc_fig(fig, opts=opts), timeout_s)
        except BaseException as exc:
            log.warning("an export render failed after %.1f s: %r", time.monotonic() - started, exc)
            raise
        finally:
            self.lower_priority()
        if time.monotonic() - started > SLOW_S:
            log.warning("an export render took %.1f s", time.monotonic() - started)
        return data

    def close(self) -> None:
        processes = self._browser_processes()
        with contextlib.suppress(Exception):
            self._call(self._kaleido.close(), 20.0)
        self._end_processes(processes)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5.0)
        if not self._thread.is_alive():
            self._loop.close()


_lock = threading.Lock()
_browser: _Browser | None = None
renders = 0
"""Figures rendered by this process (for tests and the benchmark)."""
browsers_started = 0
"""Browsers this process started for :func:`to_image` (one when it is reused)."""


def _figure_dict(fig: Any) -> dict:
    from plotly.io._utils import validate_coerce_fig_to_dict

    return validate_coerce_fig_to_dict(fig, validate=False)


def _size(fig: dict, width: int | None, height: int | None) -> tuple[int, int]:
    layout = fig.get("layout") or {}
    return (
        int(width or layout.get("width") or DEFAULT_WIDTH),
        int(height or layout.get("height") or DEFAULT_HEIGHT),
    )


def to_image(
    fig: Any,
    fmt: str,
    width: int | None = None,
    height: int | None = None,
    *,
    scale: float = 1.0,
) -> bytes:
    """Render a plotly figure to ``fmt`` (``png``, ``pdf``, ``svg``) bytes on the shared browser.

    Parameters
    ----------
    fig
        A ``go.Figure`` or figure dict.
    fmt
        Image format.
    width, height
        Size in CSS pixels; default the figure's layout size, else 700 × 500.
    scale
        Pixel density (PNG).

    Raises
    ------
    RenderError
        When no Chromium is found, the browser fails or a render exceeds
        :data:`RENDER_TIMEOUT_S`.
    """
    figure = _figure_dict(fig)
    w, h = _size(figure, width, height)
    opts = {"format": fmt, "width": w, "height": h, "scale": scale}
    _wait_prepared()
    from dashboard import render_service

    data = render_service.render_if_served(figure, opts)
    if data is not None:
        return data
    if _in_job_process():
        return _oneshot(figure, opts)
    return render_here(figure, opts)


def render_here(
    figure: dict,
    opts: dict[str, Any],
    *,
    nice: int = 0,
    timeout_s: float = RENDER_TIMEOUT_S,
    start_timeout_s: float = START_TIMEOUT_S,
) -> bytes:
    """Render on this process's browser (started on first use, one render at a time).

    ``nice`` applies when this call starts the browser (the render service's is niced).
    A browser start over ``start_timeout_s`` or a render over ``timeout_s`` fails and closes
    the browser (the next render starts a new one).

    Raises
    ------
    RenderError
        When the browser fails or the render exceeds :data:`RENDER_TIMEOUT_S`.
    """
    global _browser, browsers_started, renders
    fmt = str(opts["format"])
    with _lock:
        if _browser is not None and _browser.pid != os.getpid():
            _browser = None  # forked: the parent's browser thread does not exist here
        if _browser is not None and not _browser.alive():
            # its event loop ended (Chromium died under load): start a new one for this render
            # instead of failing it
            _browser.close()
            _browser = None
        try:
            if _browser is None:
                _browser = _Browser(nice=nice, start_timeout_s=start_timeout_s)
                browsers_started += 1
            data = _browser.render(figure, opts, timeout_s)
        except Exception as exc:
            if _browser is not None:
                _browser.close()
                _browser = None
            raise RenderError(f"rendering the figure as {fmt.upper()} failed: {exc}") from exc
        renders += 1
        return data


def _in_job_process() -> bool:
    """Whether this is a short-lived multiprocessing child (a diskcache background job)."""
    import multiprocessing

    if multiprocessing.parent_process() is not None:
        return True
    try:
        import multiprocess  # Dash's DiskcacheManager starts jobs with it
    except ImportError:
        return False
    return multiprocess.parent_process() is not None


def _oneshot(figure: dict, opts: dict[str, Any]) -> bytes:
    """Render on a browser started for this figure and closed before returning."""
    browser = None
    try:
        browser = _Browser()
        return browser.render(figure, opts)
    except Exception as exc:
        raise RenderError(
            f"rendering the figure as {opts['format'].upper()} failed: {exc}"
        ) from exc
    finally:
        if browser is not None:
            browser.close()


_prepare: threading.Thread | None = None


def prepare_in_background() -> None:
    """Get a renderer ready while the caller loads its data (the CLI's exports).

    In a background thread: when the host's render service answers, later renders go there;
    otherwise this process's browser is started (about 2–3 s, overlapping the dataset load).
    Errors are left for the render itself to report.
    """
    global _prepare
    if _prepare is not None:
        return

    def work() -> None:
        global _browser, browsers_started
        from dashboard import render_service

        if render_service.connect_default():
            return
        with contextlib.suppress(Exception), _lock:
            if _browser is None or _browser.pid != os.getpid():
                _browser = _Browser()
                browsers_started += 1

    _prepare = threading.Thread(target=work, name="quartiersatlas-render-start", daemon=True)
    _prepare.start()


def _wait_prepared() -> None:
    if _prepare is not None and _prepare.ident != threading.get_ident():
        _prepare.join(START_TIMEOUT_S)


def close() -> None:
    """Close this process's browser (it restarts on the next :func:`to_image`)."""
    global _browser
    with _lock:
        if _browser is not None and _browser.pid == os.getpid():
            _browser.close()
        _browser = None


def is_running() -> bool:
    """Whether this process holds a started browser."""
    return _browser is not None and _browser.pid == os.getpid()


def _after_fork_in_child() -> None:
    global _lock, _starting_browser
    # a render thread of the parent may hold the lock at the fork; the child has no such thread.
    # The forking thread itself holds _starting_browser (a job is forked inside
    # no_browser_starting): a job that starts a browser of its own must find it free.
    _lock = threading.Lock()
    _starting_browser = threading.Lock()


atexit.register(close)
os.register_at_fork(after_in_child=_after_fork_in_child)

__all__ = [
    "RenderError",
    "close",
    "is_running",
    "lower_thread_priority",
    "no_browser_starting",
    "prepare_in_background",
    "render_here",
    "to_image",
]
