"""Server-side CPU time of each step of the load test's flow, in one process, per callback.

``benchmarks/load.py`` measures latency under many users, which on a shared machine mostly
measures the machine. This runs the same simulated planner (its ``DashClient`` and flow) in
process against the app's Flask test client, one planner after another, and prints the CPU
time (``time.process_time``) per step and per callback, so a change can be judged by what a
request costs the server:

    .venv/bin/python benchmarks/load_steps.py [--rounds 20] [--profile distance]

The first round fills the app's caches and is not counted (the load test has a warm-up, too).
``--profile STEP`` prints the cProfile of that step's callbacks (cumulative, top 25).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import json
import os
import pstats
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from shapely.geometry import shape

ROOT = Path(__file__).resolve().parents[1]
# this folder holds a `dashboard.py`: keep it off sys.path so that the package is imported
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
STEPS = ("page", "distance", "categories", "profile", "nearby")


def _load_module() -> Any:
    spec = importlib.util.spec_from_file_location("qa_load", ROOT / "benchmarks" / "load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["qa_load"] = module
    spec.loader.exec_module(module)
    return module


class _Response:
    def __init__(self, response: Any) -> None:
        self.status_code = response.status_code
        self._data = response.get_data()

    def json(self) -> Any:
        return json.loads(self._data)


class TestSession:
    """The two ``requests.Session`` calls the load test's client makes, on a Flask test client."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, url: str, timeout: float = 0) -> _Response:
        return _Response(self.client.get(url))

    def post(self, url: str, json: Any = None, timeout: float = 0) -> _Response:
        return _Response(self.client.post(url, json=json))

    def close(self) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "karlsruhe")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--profile", choices=STEPS, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dump", type=Path, default=None, help="write the cProfile stats here")
    args = parser.parse_args()
    load = _load_module()

    cpu_start = time.process_time()
    os.environ.setdefault("QUARTIERSATLAS_CACHE", tempfile.mkdtemp(prefix="qa-steps-"))
    from dashboard.app import create_app

    app = create_app(data_dir=args.data, user_data_dir=tempfile.mkdtemp())
    print(f"create_app: {time.process_time() - cpu_start:.2f} s CPU")

    step_cpu: dict[str, list[float]] = defaultdict(list)
    callback_cpu: dict[tuple[str, str], list[float]] = defaultdict(list)
    current = {"step": "", "count": True}
    profiler = cProfile.Profile()

    class Client(load.DashClient):
        def _call(self, callback: dict, changed: list[str], step: str) -> list[str]:
            profiling = current["count"] and args.profile == step
            if profiling:
                profiler.enable()
            start = time.process_time()
            out = super()._call(callback, changed, step)
            if profiling:
                profiler.disable()
            if current["count"]:
                callback_cpu[(step, callback["output"][:60])].append(time.process_time() - start)
            return out

    def record(step: str, seconds: float, error: str | None) -> None:
        if error:
            print(f"error in {step}: {error}")

    rng = random.Random(args.seed)
    for round_ in range(args.rounds + 1):
        current["count"] = round_ > 0
        client = Client("", TestSession(app.server.test_client()), record)

        def timed(step: str, action: Any) -> None:
            start = time.process_time()
            action()
            if current["count"]:
                step_cpu[step].append(time.process_time() - start)

        timed("page", lambda: client.load_page(parse=True))  # noqa: B023
        distance = rng.choice([300, 500, 750, 1000, 1500])
        timed(
            "distance",
            lambda: client.set_and_fire("controls-distance", "value", distance, step="distance"),  # noqa: B023
        )
        options = [
            o["value"] if isinstance(o, dict) else o
            for o in client.value("controls-categories", "options") or []
        ]
        chosen = rng.sample(options, k=rng.randint(1, len(options)))
        timed(
            "categories",
            lambda: client.set_and_fire("controls-categories", "value", chosen, step="categories"),  # noqa: B023
        )
        areas = (client.value("map-areas", "data") or {}).get("features") or []
        inside = shape(rng.choice(areas)["geometry"]).representative_point()
        click = {"latlng": {"lat": inside.y, "lng": inside.x}}
        timed(
            "profile",
            lambda: client.set_and_fire("map-graph", "clickData", click, step="profile"),  # noqa: B023
        )

        def nearby() -> None:
            client.set_and_fire("view-tabs", "value", "coordinator", step="nearby")  # noqa: B023
            client.set_and_fire(  # noqa: B023
                "coordinator-address",
                "search_value",
                rng.choice(["Kaiser", "Haupt", "Rhein"]),
                step="nearby",
            )
            found = client.value("coordinator-address", "options") or []  # noqa: B023
            if found:
                pick = found[0]["value"] if isinstance(found[0], dict) else found[0]
                client.set_and_fire("coordinator-address", "value", pick, step="nearby")  # noqa: B023
            client.set_and_fire("view-tabs", "value", "plan", step="nearby")  # noqa: B023

        timed("nearby", nearby)

    print(f"CPU per step (ms, mean of {args.rounds} planners after one warm-up planner)")
    total = 0.0
    for step in STEPS:
        values = step_cpu[step]
        mean = sum(values) / len(values) * 1000
        total += mean
        print(f"  {step:<12}{mean:>9.1f}   max {max(values) * 1000:>7.1f}")
    print(f"  {'flow':<12}{total:>9.1f}")
    print("CPU per callback (ms: mean × calls per planner)")
    for (step, output), values in sorted(callback_cpu.items(), key=lambda kv: -sum(kv[1])):
        mean = sum(values) / len(values) * 1000
        print(f"  {step:<11}{mean:>8.1f} × {len(values) / args.rounds:>4.1f}  {output}")
    if args.profile:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
        if args.dump:
            profiler.dump_stats(args.dump)


if __name__ == "__main__":
    main()
