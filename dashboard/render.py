"""One headless browser per process for every static figure (kaleido 1.x), reused and bounded.

Starting Chromium is most of an export's time (about 3 s of the 5–6 s a CLI export took); a
browser started per job also multiplied processes under load (10 parallel exports: ~110
Chromium processes, +3.1 GB). :func:`to_image` keeps one kaleido browser per process, started
on first use, and renders one figure at a time on it (a lock; the process-wide job slots of
:mod:`dashboard.slots` bound how many processes render at once). Each render has a time limit;
a browser that fails or times out is closed and the next render starts a fresh one.

A Dash background job of the diskcache queue is a short-lived ``multiprocess`` child that ends
with ``os._exit`` (no clean-up would run): it renders with a one-shot browser that kaleido closes
when the figure is done, so no Chromium outlives the job. Celery workers and gunicorn workers
are long-lived and keep their browser.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import threading
from typing import Any

log = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0
RENDER_TIMEOUT_S = 60.0
DEFAULT_WIDTH = 700
DEFAULT_HEIGHT = 500
"""plotly's default image size, used when the figure's layout sets none."""


class RenderError(RuntimeError):
    """Rendering failed (no Chromium, a crashed browser, or a render over its time limit)."""


class _Browser:
    """A kaleido instance on its own event-loop thread, owned by the process that made it."""

    def __init__(self) -> None:
        import kaleido

        self.pid = os.getpid()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="quartiersatlas-render", daemon=True)
        self._thread.start()
        self._kaleido = kaleido.Kaleido(n=1)
        try:
            self._call(self._kaleido.open(), START_TIMEOUT_S)
        except BaseException:
            self.close()
            raise

    def _run(self) -> None:
        try:
            self._loop.run_forever()
        except SystemExit:
            # the browser controller ends its loop when Chromium dies under it (seen on a busy
            # machine); the next export then starts a new browser instead of crashing a thread
            log.warning("the export browser stopped; the next export starts a new one")

    def _call(self, coroutine: Any, timeout_s: float) -> Any:
        if not self._thread.is_alive():
            coroutine.close()
            raise RenderError("the export browser has stopped")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout_s)

    def render(self, fig: dict, opts: dict[str, Any]) -> bytes:
        return self._call(self._kaleido.calc_fig(fig, opts=opts), RENDER_TIMEOUT_S)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._call(self._kaleido.close(), 20.0)
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
    global _browser, browsers_started, renders
    figure = _figure_dict(fig)
    w, h = _size(figure, width, height)
    opts = {"format": fmt, "width": w, "height": h, "scale": scale}
    if _in_job_process():
        return _oneshot(figure, opts)
    with _lock:
        if _browser is not None and _browser.pid != os.getpid():
            _browser = None  # forked: the parent's browser thread does not exist here
        try:
            if _browser is None:
                _browser = _Browser()
                browsers_started += 1
            data = _browser.render(figure, opts)
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
    import kaleido

    try:
        return kaleido.calc_fig_sync(figure, opts=opts)
    except Exception as exc:
        raise RenderError(
            f"rendering the figure as {opts['format'].upper()} failed: {exc}"
        ) from exc


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


atexit.register(close)

__all__ = ["RenderError", "close", "is_running", "to_image"]
