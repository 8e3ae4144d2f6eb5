"""Worker start: a fresh process until it has answered its first page, cold and warm cache.

Each measurement is a new Python process (as a gunicorn worker is) that imports the app, builds
it (``create_app``: dataset, display geometry, distance tables, default view) and answers
``GET /`` and ``GET /_dash-layout``. The clock starts before the first import and stops after the
second response; the parts are printed. "cold" starts with an empty distance cache
(``$QUARTIERSATLAS_CACHE``), so the process computes the distances (KD-tree, or Dijkstra on the
walking network) and writes them; "warm" is the next process, which reads them
(``layers.store.distances.distance_table_for``). Budget (issue 16): a worker serves in ≤ 2 s.

Then gunicorn as deployed (``-c python:dashboard.gunicorn_conf``: the master preloads the app,
workers are forks of it) against the baseline of plain ``gunicorn -w 2`` (every worker builds
the app itself): a worker is killed (``SIGKILL``, as a crash) and the clock runs from the kill
until ``/healthz`` answers from the worker gunicorn started in its place.

    .venv/bin/python benchmarks/worker_start.py [--data data/karlsruhe] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 2.0

WORKER = """
import json, sys, tempfile, time
t0 = time.perf_counter()
c0 = time.process_time()
from dashboard.app import create_app
from layers.dataset import load_dataset
t_import = time.perf_counter()
dataset = load_dataset(sys.argv[1])
t_load = time.perf_counter()
app = create_app(dataset, user_data_dir=tempfile.mkdtemp(), distance_mode=sys.argv[2])
t_app = time.perf_counter()
client = app.server.test_client()
assert client.get("/").status_code == 200
assert client.get("/_dash-layout").status_code == 200
t_end = time.perf_counter()
print(json.dumps({"import": t_import - t0, "load": t_load - t_import,
                  "create_app": t_app - t_load, "first_page": t_end - t_app,
                  "total": t_end - t0, "cpu": time.process_time() - c0}))
"""


def start_once(data: Path, mode: str, cache: Path) -> dict:
    env = {**os.environ, "QUARTIERSATLAS_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", WORKER, str(data), mode],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _health(base: str) -> dict:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=30) as response:
            return json.loads(response.read())
    except OSError:
        return {}


def _answered_by_new(base: str, old: set[int], deadline: float) -> int:
    while time.monotonic() < deadline:
        pid = _health(base).get("pid")
        if pid is not None and pid not in old:
            return pid
        time.sleep(0.01)
    raise TimeoutError("no new worker answered")


def replaced_worker(data: Path, *, config: bool, repeat: int) -> list[float]:
    """Seconds from killing a gunicorn worker until the one started in its place answers."""
    import psutil

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    options = ["-c", "python:dashboard.gunicorn_conf"] if config else []
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "QUARTIERSATLAS_DATA": str(data),
            "QUARTIERSATLAS_USER_DATA": str(Path(tmp) / "user"),
            "QUARTIERSATLAS_JOBS_DIR": str(Path(tmp) / "jobs"),
            "QUARTIERSATLAS_CACHE": str(Path(tmp) / "cache"),
        }
        command = [str(gunicorn), *options, "-w", "2", "-b", f"127.0.0.1:{port}", "-t", "120"]
        server = subprocess.Popen(
            [*command, "dashboard.wsgi:create_server()"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        master = psutil.Process(server.pid)
        times = []
        try:
            deadline = time.monotonic() + 180
            while len({p.pid for p in master.children()}) < 2 or not _health(base):
                if time.monotonic() > deadline:
                    raise TimeoutError("gunicorn did not start")
                time.sleep(0.1)
            for _ in range(repeat):
                workers = {p.pid for p in master.children()}
                victim = _answered_by_new(base, set(), time.monotonic() + 60)
                killed_at = time.monotonic()
                os.kill(victim, signal.SIGKILL)
                _answered_by_new(base, workers, killed_at + 120)
                times.append(time.monotonic() - killed_at)
                time.sleep(1.0)
        finally:
            server.terminate()
            server.wait(60)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "karlsruhe")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    # cpu: the process's CPU time to its first page (less noisy than wall time on a busy machine)
    keys = ("import", "load", "create_app", "first_page", "total", "cpu")
    print(f"{'mode':10} {'cache':6} " + " ".join(f"{k:>11}" for k in keys) + "  verdict (median s)")
    for mode in ("euclidean", "network"):
        runs: dict[str, list[dict]] = {"cold": [], "warm": []}
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as cache:
                runs["cold"].append(start_once(args.data, mode, Path(cache)))
                runs["warm"].append(start_once(args.data, mode, Path(cache)))
        for kind, results in runs.items():
            med = {k: statistics.median(r[k] for r in results) for k in keys}
            verdict = "ok" if med["total"] <= BUDGET_S else "OVER"
            print(
                f"{mode:10} {kind:6} "
                + " ".join(f"{med[k]:>11.2f}" for k in keys)
                + f"  {verdict if kind == 'warm' else ''}"
            )
    print("\ngunicorn: a killed worker -> its replacement answers (median s of --repeat kills)")
    for label, config in (("plain gunicorn (baseline)", False), ("gunicorn_conf (preload)", True)):
        times = replaced_worker(args.data, config=config, repeat=args.repeat)
        median = statistics.median(times)
        verdict = "ok" if median <= BUDGET_S else "OVER"
        print(f"  {label:28} {median:6.2f}  ({', '.join(f'{t:.2f}' for t in times)})  {verdict}")


if __name__ == "__main__":
    main()
