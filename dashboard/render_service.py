"""One render service per host: a warm browser that every process of the host renders on.

Exports run in many processes: gunicorn workers, the short-lived diskcache job children they
fork, Celery workers. Each starting its own Chromium costs 2–3 s per export and a browser per
job. Instead, one long-lived process of the host owns the *render service*: a Unix socket
``<jobs dir>/render/render.sock`` (mode 0600 in a 0700 folder) served by a background thread
that renders on that process's own :mod:`dashboard.render` browser, one figure at a time, at a
lower CPU priority (``QUARTIERSATLAS_RENDER_NICE``, default 10) so page loads win over exports.

Who owns it: every gunicorn worker starts :func:`serve_in_background` on its first request; the
thread blocks on an ``fcntl.flock`` of ``render.lock`` and the first to get it serves. When the
owner dies the kernel releases the lock and a waiting worker takes over (its browser starts
then). Clients (:func:`render_if_served`) send the figure as JSON and get the bytes back within
a time limit; when nothing answers they return None and the caller renders as before
(:func:`dashboard.render.to_image`).

Messages are length-prefixed (4 bytes, big-endian): the request is a JSON object
``{"figure": {...}, "options": {"format", "width", "height", "scale"}}`` (at most
:data:`MAX_REQUEST_BYTES`, checked before it is read), the reply one status byte (0 = the image
follows, 1 = an error message in UTF-8 follows). Nothing from the socket is unpickled or
evaluated; options are checked against fixed ranges.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import socket
import struct
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dashboard import render

log = logging.getLogger(__name__)

SOCKET_NAME = "render.sock"
LOCK_NAME = "render.lock"
NICE_ENV = "QUARTIERSATLAS_RENDER_NICE"
ENABLED_ENV = "QUARTIERSATLAS_RENDER_SERVICE"
"""Set to ``0`` to turn the service off (every process renders on its own browser again)."""
DEFAULT_NICE = 10
MAX_REQUEST_BYTES = 32 * 1024 * 1024
MAX_REPLY_BYTES = 128 * 1024 * 1024
MAX_CONNECTIONS = 8
CONNECT_TIMEOUT_S = 2.0
READ_REQUEST_TIMEOUT_S = 20.0
CLIENT_TIMEOUT_S = 3 * render.RENDER_TIMEOUT_S
"""How long a client waits for its image: its own render plus the queue ahead of it."""
FORMATS = frozenset({"png", "pdf", "svg", "jpeg", "webp"})
MAX_SIDE_PX = 10_000
MAX_SCALE = 4.0
_OK, _ERROR = b"\x00", b"\x01"
_UNIX_PATH_MAX = 107


class ServiceUnavailable(Exception):
    """No render service answered (no socket, refused, busy or gone before replying)."""


class ProtocolError(ValueError):
    """A message that breaks the protocol (too large, not JSON, bad options)."""


# -- framing -------------------------------------------------------------------------------


def send_message(sock: socket.socket, payload: bytes) -> None:
    """Send ``payload`` with its 4-byte big-endian length in front."""
    sock.sendall(struct.pack(">I", len(payload)) + payload)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError(f"connection closed with {left} of {n} bytes missing")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def recv_message(sock: socket.socket, max_bytes: int) -> bytes:
    """Receive one length-prefixed message; a length over ``max_bytes`` raises before reading.

    Raises
    ------
    ProtocolError
        When the announced length exceeds ``max_bytes``.
    EOFError
        When the peer closes the connection mid-message.
    """
    (length,) = struct.unpack(">I", _recv_exact(sock, 4))
    if length > max_bytes:
        raise ProtocolError(f"message of {length} bytes exceeds the limit of {max_bytes}")
    return _recv_exact(sock, length)


def parse_request(payload: bytes) -> tuple[dict, dict[str, Any]]:
    """The figure and checked render options of a request.

    Raises
    ------
    ProtocolError
        When the payload is not a JSON object with a figure and valid options.
    """
    try:
        request = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"request is not JSON: {exc}") from None
    if not isinstance(request, dict):
        raise ProtocolError("request must be a JSON object")
    figure, options = request.get("figure"), request.get("options")
    if not isinstance(figure, dict) or not isinstance(figure.get("data", []), list):
        raise ProtocolError("figure must be an object with a list of traces")
    if not isinstance(figure.get("layout", {}), dict) or not isinstance(options, dict):
        raise ProtocolError("figure layout and options must be objects")
    fmt, width, height, scale = (options.get(k) for k in ("format", "width", "height", "scale"))
    if fmt not in FORMATS:
        raise ProtocolError(f"format must be one of {', '.join(sorted(FORMATS))}")
    for name, side in (("width", width), ("height", height)):
        if not isinstance(side, int) or isinstance(side, bool) or not 1 <= side <= MAX_SIDE_PX:
            raise ProtocolError(f"{name} must be a whole number of pixels, 1–{MAX_SIDE_PX}")
    if not isinstance(scale, int | float) or isinstance(scale, bool) or not 0 < scale <= MAX_SCALE:
        raise ProtocolError(f"scale must be a number in (0, {MAX_SCALE}]")
    return figure, {"format": fmt, "width": width, "height": height, "scale": float(scale)}


def encode_request(figure: dict, opts: dict[str, Any]) -> bytes:
    """A request as bytes (plotly's JSON encoder: numpy arrays and dates become lists/text)."""
    from plotly.io.json import to_json_plotly

    return (
        '{"figure": ' + to_json_plotly(figure) + ', "options": ' + json.dumps(opts) + "}"
    ).encode()


# -- client --------------------------------------------------------------------------------


def socket_path(folder: str | os.PathLike[str]) -> Path:
    """The service's socket in ``folder`` (``<jobs dir>/render``)."""
    return Path(folder) / SOCKET_NAME


def render_remote(
    folder: str | os.PathLike[str],
    figure: dict,
    opts: dict[str, Any],
    *,
    timeout_s: float = CLIENT_TIMEOUT_S,
) -> bytes:
    """Render on the service in ``folder`` and return the image bytes.

    Raises
    ------
    ServiceUnavailable
        When no service answers, or it went away before replying (render elsewhere).
    dashboard.render.RenderError
        When the service reports an error or the reply takes longer than ``timeout_s``.
    """
    payload = encode_request(figure, opts)
    path = str(socket_path(folder))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(CONNECT_TIMEOUT_S)
        try:
            sock.connect(path)
        except OSError as exc:
            raise ServiceUnavailable(f"no render service at {path}: {exc}") from None
        sock.settimeout(timeout_s)
        try:
            send_message(sock, payload)
            reply = recv_message(sock, MAX_REPLY_BYTES)
        except TimeoutError:
            raise render.RenderError(f"the render service took over {timeout_s:.0f} s") from None
        except (EOFError, ConnectionError) as exc:
            raise ServiceUnavailable(f"the render service closed the connection: {exc}") from None
        except ProtocolError as exc:
            raise render.RenderError(f"the render service's reply was refused: {exc}") from None
    finally:
        sock.close()
    if reply[:1] == _OK:
        return reply[1:]
    message = reply[1:].decode("utf-8", "replace")
    if message == "busy":
        raise ServiceUnavailable("the render service is busy")
    raise render.RenderError(message)


def answers(folder: str | os.PathLike[str]) -> bool:
    """Whether a render service listens in ``folder``."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(CONNECT_TIMEOUT_S)
    try:
        sock.connect(str(socket_path(folder)))
    except OSError:
        return False
    finally:
        sock.close()
    return True


_client_folder: Path | None = None
remote_renders = 0
"""Figures this process had rendered by the service (for tests and the benchmark)."""


def use(folder: str | os.PathLike[str] | None) -> None:
    """Send this process's renders (and its forked children's) to the service in ``folder``."""
    global _client_folder
    enabled = os.environ.get(ENABLED_ENV, "1").strip().lower() not in ("0", "false", "no", "off")
    _client_folder = Path(folder) if folder is not None and enabled else None


def connect_default() -> bool:
    """Use the service of the default jobs folder when one answers (the CLI); True if so."""
    from dashboard.jobs import default_jobs_dir

    folder = default_jobs_dir() / "render"
    if answers(folder):
        use(folder)
    return _client_folder is not None


def render_if_served(figure: dict, opts: dict[str, Any]) -> bytes | None:
    """The image from the host's render service, or None when there is none to ask.

    None also when this process is the service's owner (it renders on its own browser) or when
    the service went away; the caller then renders itself.
    """
    global remote_renders
    folder = _client_folder
    if folder is None or (_owner is not None and _owner.serving and _owner.pid == os.getpid()):
        return None
    try:
        data = render_remote(folder, figure, opts)
    except ServiceUnavailable as exc:
        log.warning("rendering without the render service: %s", exc)
        return None
    remote_renders += 1
    return data


# -- service -------------------------------------------------------------------------------


class RenderService:
    """The owner side: wait for the host's lock, then serve renders on this process's browser.

    Parameters
    ----------
    folder
        ``<jobs dir>/render``, shared by the host's processes (created with mode 0700).
    nice
        How much lower than the process the rendering threads and Chromium run.
    """

    def __init__(self, folder: str | os.PathLike[str], *, nice: int | None = None) -> None:
        self.folder = Path(folder)
        self.nice = render_nice() if nice is None else nice
        self.pid = os.getpid()
        self.serving = False
        self._lock_fd: int | None = None
        self._listener: socket.socket | None = None
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._stopped = threading.Event()
        self.thread = threading.Thread(
            target=self._run, name="quartiersatlas-render-service", daemon=True
        )

    def start(self) -> RenderService:
        """Start the background thread (it returns at once)."""
        self.thread.start()
        return self

    def _run(self) -> None:
        render.lower_thread_priority(self.nice)  # inherited by the handler threads
        try:
            self._acquire()
            if self._stopped.is_set():
                return
            self._listen()
            log.info("render service: serving in %s (pid %d)", self.folder, self.pid)
            self._warm_up()
            self._accept_loop()
        except Exception:
            log.exception("render service stopped")
        finally:
            self._release()

    def _warm_up(self) -> None:
        """Start the browser with a tiny render; a hung start or render is tried once more.

        Each try is bounded by :data:`dashboard.render.WARM_UP_TIMEOUT_S`. A failure is not
        raised: the next export starts a browser and reports what goes wrong.
        """
        for _ in range(WARM_UP_TRIES):
            try:
                render.render_here(
                    *_WARM_UP,
                    nice=self.nice,
                    timeout_s=render.WARM_UP_TIMEOUT_S,
                    start_timeout_s=render.WARM_UP_TIMEOUT_S,
                )
                return
            except render.RenderError as exc:
                log.warning("render service: warming up the browser failed: %s", exc)

    def _acquire(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            self.folder.chmod(0o700)
        fd = os.open(self.folder / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._lock_fd = fd
        fcntl.flock(fd, fcntl.LOCK_EX)  # blocks until the owner before us is gone

    def _listen(self) -> None:
        path = socket_path(self.folder)
        if len(os.fsencode(path)) > _UNIX_PATH_MAX:
            raise OSError(f"socket path {path} is longer than {_UNIX_PATH_MAX} bytes")
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # left by an owner that died; we hold the lock, so it is stale
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            listener.bind(str(path))
        finally:
            os.umask(old_umask)
        path.chmod(0o600)
        listener.listen(MAX_CONNECTIONS)
        self._listener = listener
        self.serving = True

    def _accept_loop(self) -> None:
        listener = self._listener
        if listener is None:  # released already (the interpreter is exiting)
            return
        while not self._stopped.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                if self._stopped.is_set():
                    return
                raise
            if not self._slots.acquire(blocking=False):
                with contextlib.suppress(OSError), conn:
                    send_message(conn, _ERROR + b"busy")
                continue
            threading.Thread(
                target=self._handle, args=(conn,), name="quartiersatlas-render-conn", daemon=True
            ).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            with conn:
                conn.settimeout(READ_REQUEST_TIMEOUT_S)
                try:
                    payload = recv_message(conn, MAX_REQUEST_BYTES)
                except (EOFError, TimeoutError, OSError):
                    return  # a connection check, or a client that gave up
                except ProtocolError as exc:
                    send_message(conn, _ERROR + str(exc).encode())
                    return
                reply = self._render(payload)
                conn.settimeout(READ_REQUEST_TIMEOUT_S)
                with contextlib.suppress(OSError):
                    send_message(conn, reply)
        finally:
            self._slots.release()

    def _render(self, payload: bytes) -> bytes:
        try:
            figure, opts = parse_request(payload)
            return _OK + render.render_here(figure, opts, nice=self.nice)
        except (ProtocolError, render.RenderError) as exc:
            return _ERROR + str(exc).encode("utf-8", "replace")
        except Exception as exc:  # the client reports it; the service keeps serving
            log.exception("render service: a render failed")
            return _ERROR + f"rendering failed: {exc}".encode("utf-8", "replace")

    def stop(self) -> None:
        """Stop serving (tests); the browser stays with the process."""
        self._stopped.set()
        listener = self._listener
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accept loop, which releases
        if self.thread.is_alive():
            self.thread.join(5.0)
        else:
            self._release()

    def _release(self) -> None:
        if self.serving and self.pid == os.getpid():
            with contextlib.suppress(OSError):
                socket_path(self.folder).unlink()
        self.serving = False
        self._close_fds()

    def _close_fds(self) -> None:
        listener, self._listener = self._listener, None
        lock_fd, self._lock_fd = self._lock_fd, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.close()
        if lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(lock_fd)


WARM_UP_TRIES = 2
"""Browser starts the service tries before it serves (each within the warm-up limit)."""
_WARM_UP: tuple[dict, dict[str, Any]] = (
    {"data": [], "layout": {"width": 10, "height": 10}},
    {"format": "png", "width": 10, "height": 10, "scale": 1.0},
)
_owner: RenderService | None = None
_owner_lock = threading.Lock()


def serve_in_background(folder: str | os.PathLike[str]) -> RenderService | None:
    """Compete for the host's render service in ``folder`` (once per process; cheap after).

    Also makes this process a client of that service. Returns None when the service is
    turned off (``QUARTIERSATLAS_RENDER_SERVICE=0``).
    """
    global _owner
    use(folder)
    if _client_folder is None:
        return None
    with _owner_lock:
        if _owner is None or _owner.pid != os.getpid():
            _owner = RenderService(folder).start()
        return _owner


def render_nice(environ: Mapping[str, str] | None = None) -> int:
    """``$QUARTIERSATLAS_RENDER_NICE`` (0–19, default 10); a bad value raises ``ValueError``."""
    from dashboard.jobs import nice_from_env

    return nice_from_env(NICE_ENV, environ, default=DEFAULT_NICE)


def _at_exit() -> None:
    """Remove the socket and free the lock at once, so another worker takes over."""
    if _owner is not None and _owner.pid == os.getpid():
        _owner._stopped.set()  # the accept loop ends quietly instead of failing on a closed socket
        _owner._release()


def _after_fork_in_child() -> None:
    """A forked child (a diskcache job) is a client: it must not keep the owner's lock."""
    if _owner is not None and _owner.pid != os.getpid():
        _owner._close_fds()


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_at_exit)  # before dashboard.render's close (atexit runs in reverse order)

__all__ = [
    "CLIENT_TIMEOUT_S",
    "MAX_REQUEST_BYTES",
    "ProtocolError",
    "RenderService",
    "ServiceUnavailable",
    "answers",
    "connect_default",
    "encode_request",
    "parse_request",
    "recv_message",
    "render_if_served",
    "render_nice",
    "render_remote",
    "send_message",
    "serve_in_background",
    "socket_path",
    "use",
]
