"""The host's render service: round trip, failover, fallback, and refused messages."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from dashboard import jobs, render, render_service

TINY = {"data": [{"type": "bar", "y": [1, 2]}], "layout": {"width": 60, "height": 40}}
TINY_OPTS = {"format": "png", "width": 60, "height": 40, "scale": 1.0}
needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Chromium")

OWNER = """
import os, sys, time
from dashboard import render_service
service = render_service.serve_in_background(sys.argv[1])
while not service.serving:
    time.sleep(0.05)
if sys.argv[2] == "fork" and os.fork() == 0:  # a job child that outlives its worker
    time.sleep(60)
    os._exit(0)
time.sleep(300)
"""


@pytest.fixture
def folder() -> Iterator[Path]:
    # a short path: a Unix socket path has at most 107 bytes
    path = Path(tempfile.mkdtemp(prefix="qa-rs-")) / "render"
    yield path
    shutil.rmtree(path.parent, ignore_errors=True)


@pytest.fixture
def fake_service(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A service thread in this process whose "browser" answers b"IMG" + the format."""
    calls: list[dict] = []

    def fake_render(
        figure: dict,
        opts: dict,
        *,
        nice: int = 0,
        timeout_s: float = render.RENDER_TIMEOUT_S,
        start_timeout_s: float = render.START_TIMEOUT_S,
    ) -> bytes:
        calls.append({**opts, "timeout_s": timeout_s, "start_timeout_s": start_timeout_s})
        return b"IMG" + opts["format"].encode()

    monkeypatch.setattr(render, "render_here", fake_render)
    service = render_service.RenderService(folder, nice=0).start()
    _wait_for(lambda: service.serving and bool(calls))
    # the first, tiny render that starts the browser may not hold the service for a minute:
    # neither its browser start nor its render
    assert calls[0]["timeout_s"] == render.WARM_UP_TIMEOUT_S < render.RENDER_TIMEOUT_S
    assert calls[0]["start_timeout_s"] == render.WARM_UP_TIMEOUT_S < render.START_TIMEOUT_S
    yield folder
    service.stop()


def test_a_hung_warm_up_is_tried_once_more_before_serving(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tries: list[float] = []

    def first_hangs(figure: dict, opts: dict, **limits: float) -> bytes:
        tries.append(time.monotonic())
        if len(tries) == 1:
            raise render.RenderError("rendering the figure as PNG failed: TimeoutError()")
        return b"IMG"

    monkeypatch.setattr(render, "render_here", first_hangs)
    service = render_service.RenderService(folder, nice=0).start()
    try:
        _wait_for(lambda: len(tries) == render_service.WARM_UP_TRIES)
        _wait_for(lambda: render_service.answers(folder))
        assert len(tries) == 2  # warm after the second start, no third
    finally:
        service.stop()


def _wait_for(condition, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def _raw(folder: Path, data: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(render_service.socket_path(folder)))
        sock.sendall(data)
        return render_service.recv_message(sock, 1 << 20)


def _frame(obj: object) -> bytes:
    payload = json.dumps(obj).encode()
    return struct.pack(">I", len(payload)) + payload


def test_round_trip_through_the_socket_with_private_permissions(fake_service: Path) -> None:
    assert render_service.render_remote(fake_service, TINY, TINY_OPTS) == b"IMGpng"
    pdf_opts = {**TINY_OPTS, "format": "pdf"}
    assert render_service.render_remote(fake_service, TINY, pdf_opts) == b"IMGpdf"
    sock = render_service.socket_path(fake_service)
    assert stat.S_ISSOCK(sock.stat().st_mode)
    assert stat.S_IMODE(sock.stat().st_mode) == 0o600
    assert stat.S_IMODE(fake_service.stat().st_mode) == 0o700


def test_numpy_figures_are_sent_as_json(fake_service: Path) -> None:
    import numpy as np

    figure = {"data": [{"type": "bar", "y": np.arange(3)}], "layout": {}}
    assert render_service.render_remote(fake_service, figure, TINY_OPTS) == b"IMGpng"


@pytest.mark.parametrize(
    ("request_obj", "message"),
    [
        ({"figure": TINY, "options": {**TINY_OPTS, "format": "exe"}}, "format must be"),
        ({"figure": TINY, "options": {**TINY_OPTS, "width": 0}}, "width must be"),
        ({"figure": TINY, "options": {**TINY_OPTS, "height": 1e9}}, "height must be"),
        ({"figure": TINY, "options": {**TINY_OPTS, "scale": 100}}, "scale must be"),
        ({"figure": TINY, "options": {**TINY_OPTS, "scale": True}}, "scale must be"),
        ({"figure": {"data": "x"}, "options": TINY_OPTS}, "figure must be"),
        ({"figure": TINY}, "options must be"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_requests_are_refused(fake_service: Path, request_obj: object, message: str) -> None:
    reply = _raw(fake_service, _frame(request_obj))
    assert reply[:1] == b"\x01" and message in reply[1:].decode(), reply


def test_not_json_and_oversized_messages_are_refused_before_reading(fake_service: Path) -> None:
    reply = _raw(fake_service, struct.pack(">I", 5) + b"\x80abcd")
    assert reply[:1] == b"\x01" and b"not JSON" in reply
    # only the header is sent: the size is refused without waiting for 1 GB of body
    reply = _raw(fake_service, struct.pack(">I", 1 << 30))
    assert reply[:1] == b"\x01" and b"exceeds the limit" in reply
    # the service still serves afterwards
    assert render_service.render_remote(fake_service, TINY, TINY_OPTS) == b"IMGpng"


def test_oversized_replies_are_refused_by_the_client(fake_service: Path, monkeypatch) -> None:
    monkeypatch.setattr(render_service, "MAX_REPLY_BYTES", 3)
    with pytest.raises(render.RenderError, match="refused"):
        render_service.render_remote(fake_service, TINY, TINY_OPTS)


def test_without_a_service_the_caller_renders_itself(folder: Path, monkeypatch) -> None:
    monkeypatch.setattr(render_service, "_client_folder", None)
    render_service.use(folder)  # nothing listens there
    assert render_service.render_if_served(TINY, TINY_OPTS) is None
    # a socket file left by an owner that died: refused, so again the caller renders
    folder.mkdir(parents=True)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(render_service.socket_path(folder)))
    stale.close()
    assert render_service.render_if_served(TINY, TINY_OPTS) is None
    with pytest.raises(render_service.ServiceUnavailable):
        render_service.render_remote(folder, TINY, TINY_OPTS)


def test_the_cli_finds_the_service_of_its_jobs_folder(fake_service: Path, monkeypatch) -> None:
    monkeypatch.setattr(render_service, "_client_folder", None)
    monkeypatch.setenv("QUARTIERSATLAS_JOBS_DIR", str(fake_service.parent))
    assert render_service.connect_default()
    assert render_service._client_folder == fake_service
    monkeypatch.setenv("QUARTIERSATLAS_JOBS_DIR", str(fake_service.parent / "elsewhere"))
    monkeypatch.setattr(render_service, "_client_folder", None)
    assert not render_service.connect_default()


def test_the_service_can_be_turned_off(folder: Path, monkeypatch) -> None:
    monkeypatch.setenv(render_service.ENABLED_ENV, "0")
    monkeypatch.setattr(render_service, "_client_folder", None)
    assert render_service.serve_in_background(folder) is None
    assert render_service._client_folder is None


@pytest.mark.parametrize(
    ("variable", "read"),
    [
        ("QUARTIERSATLAS_RENDER_NICE", render_service.render_nice),
        ("QUARTIERSATLAS_JOB_NICE", jobs.job_nice),
    ],
)
def test_both_priority_settings_are_read_alike(variable: str, read) -> None:
    assert read({}) == 10 and read({variable: ""}) == 10
    assert read({variable: "0"}) == 0 and read({variable: " 19 "}) == 19
    for bad in ("x", "-1", "20", "1.5", "ten"):
        # a typo is an error naming the variable, never a priority nobody chose
        with pytest.raises(
            ValueError, match=f"\\${variable}={bad!r} must be a whole number from 0 to 19"
        ):
            read({variable: bad})


def test_a_bad_render_priority_stops_the_server_config_and_the_service(
    folder: Path, monkeypatch
) -> None:
    from dashboard.wsgi import ServerConfig

    with pytest.raises(ValueError, match="QUARTIERSATLAS_RENDER_NICE"):
        ServerConfig.from_env({"QUARTIERSATLAS_RENDER_NICE": "-5"})
    with pytest.raises(ValueError, match="QUARTIERSATLAS_JOB_NICE"):
        ServerConfig.from_env({"QUARTIERSATLAS_JOB_NICE": "high"})
    monkeypatch.setenv("QUARTIERSATLAS_RENDER_NICE", "25")
    with pytest.raises(ValueError, match="QUARTIERSATLAS_RENDER_NICE"):
        render_service.RenderService(folder)
    assert render_service.RenderService(folder, nice=3).nice == 3


def _start_owner(folder: Path, mode: str = "") -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen(
        [sys.executable, "-c", OWNER, str(folder), mode or "-"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _chromium_of(proc: psutil.Process) -> list[psutil.Process]:
    return [p for p in proc.children(recursive=True) if "chrom" in p.name().lower()]


def _gone(procs: list[psutil.Process]) -> bool:
    """Whether every process has ended and been reaped (a zombie is not gone)."""
    for proc in procs:
        try:
            proc.status()
        except psutil.NoSuchProcess:
            continue
        return False
    return True


@needs_chromium
@pytest.mark.slow
def test_a_forked_job_renders_on_the_service_and_another_worker_takes_over(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _start_owner(folder, "fork")
    second = None
    try:
        _wait_for(lambda: render_service.answers(folder))
        monkeypatch.setattr(render_service, "_client_folder", None)
        monkeypatch.setattr(render_service, "remote_renders", 0)
        render_service.use(folder)
        started = render.browsers_started
        png = render.to_image(TINY, "png")
        assert png.startswith(b"\x89PNG")
        assert render_service.remote_renders == 1 and render.browsers_started == started
        owner = psutil.Process(first.pid)
        chromium = _chromium_of(owner)
        assert chromium and all(p.nice() >= render_service.DEFAULT_NICE for p in chromium)
        job_child = next(p for p in owner.children() if p.cmdline() == owner.cmdline())

        second = _start_owner(folder)  # waits on the lock while the first one serves
        time.sleep(1.0)
        assert not _chromium_of(psutil.Process(second.pid))
        first.send_signal(signal.SIGKILL)  # the owner dies; its forked job child lives on
        first.wait(10)
        assert job_child.is_running()
        _wait_for(lambda: _chromium_of(psutil.Process(second.pid)), 60)
        _wait_for(lambda: render_service.answers(folder), 60)
        assert render_service.render_remote(folder, TINY, TINY_OPTS).startswith(b"\x89PNG")
        _wait_for(lambda: _gone(chromium), 30)  # the dead owner's Chromium ended, reaped
        job_child.kill()
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(30)
