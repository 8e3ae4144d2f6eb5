"""Worker start: a fresh process until it has answered its first page, cold and warm cache.

Each measurement is a new Python process (as a gunicorn worker is) that imports the app, builds
it (``create_app``: dataset, display geometry, distance tables, default view) and answers
``GET /`` and ``GET /_dash-layout``. The clock starts before the first import and stops after the
second response; the parts are printed. "cold" starts with an empty distance cache
(``$QUARTIERSATLAS_CACHE``), so the process computes the distances (KD-tree, or Dijkstra on the
walking network) and writes them; "warm" is the next process, which reads them
(``layers.store.distances.distance_table_for``). Budget (issue 16): a worker serves in ≤ 2 s.

    .venv/bin/python benchmarks/worker_start.py [--data data/karlsruhe] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
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


if __name__ == "__main__":
    main()
