"""gunicorn with the project's settings: a preloading master, workers that serve at once."""

from __future__ import annotations

import calendar
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from dashboard import gunicorn_conf

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read()


def _serving(base: str, deadline: float, *, other_than: set[int]) -> dict:
    """Ask /healthz until a worker whose pid is not in ``other_than`` answers; its answer."""
    while time.monotonic() < deadline:
        try:
            health = json.loads(_get(f"{base}/healthz")[1])
        except OSError:
            health = {}
        if health.get("pid") is not None and health["pid"] not in other_than:
            return health
        time.sleep(0.02)
    raise AssertionError("no new worker answered")


def test_warm_up_threads_are_waited_for_and_others_left_alone() -> None:
    release = threading.Event()
    warm = threading.Thread(target=lambda: time.sleep(0.2), name="warm-up-compress")
    other = threading.Thread(target=release.wait, name="something-else", daemon=True)
    warm.start()
    other.start()
    try:
        assert gunicorn_conf.finish_warm_up(timeout_s=10) == []
        assert not warm.is_alive()
        assert other.is_alive()  # not a warm-up thread: not joined
        stuck = threading.Thread(target=release.wait, name="warm-up", daemon=True)
        stuck.start()
        assert gunicorn_conf.finish_warm_up(timeout_s=0.05) == ["warm-up"]
    finally:
        release.set()


def test_a_worker_started_again_serves_at_once(tmp_path: Path) -> None:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        pytest.fail(
            f"gunicorn is missing: install it with `pip install -e '.[server]'` ({gunicorn})"
        )
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "QUARTIERSATLAS_USER_DATA": str(tmp_path / "user"),
        "QUARTIERSATLAS_JOBS_DIR": str(tmp_path / "jobs"),
        "PYTHONPATH": str(ROOT),
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [
            str(gunicorn),
            "-c",
            "python:dashboard.gunicorn_conf",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "dashboard.wsgi:create_server()",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        first = _serving(base, time.monotonic() + 180, other_than=set())["pid"]
        master = psutil.Process(server.pid)
        deadline = time.monotonic() + 60
        while len(workers := {p.pid for p in master.children()}) < 2:
            assert time.monotonic() < deadline, "the second worker did not start"
            time.sleep(0.05)
        assert first in workers and len(workers) == 2
        status, page = _get(f"{base}/")
        assert status == 200 and b"_dash-config" in page
        # the master loaded the data once: a worker killed now is replaced by a fork that
        # serves without loading it again
        victim = first
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        health = _serving(base, killed_at + 60, other_than=workers)
        new = health["pid"]
        serving_s = time.monotonic() - killed_at
        assert new not in workers and psutil.Process(new).ppid() == server.pid
        status, layout = _get(f"{base}/_dash-layout")
        assert status == 200 and json.loads(layout)
        print(f"\nworker killed -> a new worker answered /healthz in {serving_s:.2f} s")
        text = (tmp_path / "gunicorn.log").read_text(errors="replace")
        assert "Traceback" not in text, text[-3000:]
        # the replacement loaded nothing of its own: its data were loaded before it was forked
        loaded = calendar.timegm(time.strptime(health["loaded_at"], "%Y-%m-%dT%H:%M:%SZ"))
        assert loaded < psutil.Process(new).create_time(), health
    finally:
        server.terminate()
        server.wait(60)
        log.close()
