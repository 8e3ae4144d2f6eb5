"""Load test: simulated planners against gunicorn workers, on the file store and on PostGIS.

    .venv/bin/python benchmarks/load.py                       # both stores, 50 users, 60 s each
    .venv/bin/python benchmarks/load.py --store files --users 10 --duration 20

Loopback only (127.0.0.1), bounded in users (≤ 200) and time (≤ 300 s per store, plus start-up),
and it stops by itself: it starts gunicorn (and, for PostGIS, a throw-away PostgreSQL server)
itself and stops them at the end. Each simulated planner does the main flow in a loop, with a
think time of 0.5–1.5 s between actions, as the browser would send it:

1. load the page (``/``, ``/_dash-layout``, ``/_dash-dependencies``) and run the initial callbacks;
2. change the distance, then the categories (the state callback, then every callback that
   depends on the state: map, profile, tables …);
3. click a district on the map (profile);
4. switch to the coordinator view, search an address and pick it (nearby).

On PostGIS, half-way through the run a changed copy of the dataset is loaded with
``quartiersatlas db load`` (a new data version; ``--no-reload`` skips this): the workers swap it
in while serving, and the report says which version they serve at the end.

A request counts as an error when it fails, times out (60 s) or answers anything but HTTP 200
(204 "no update" is fine for callbacks). Prints the number of requests, errors and p50/p95
latencies per step and overall.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from shapely.geometry import shape

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
MAX_USERS = 200
VENV_BIN = ROOT / ".venv" / "bin"
"""gunicorn and the CLI: the checkout's .venv, else the folder of the Python running this (a
git worktree shares another checkout's virtualenv)."""
if not (VENV_BIN / "gunicorn").exists():
    VENV_BIN = Path(sys.executable).parent


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages (empty where /proc is missing)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return ""


MAX_DURATION_S = 300
REQUEST_TIMEOUT_S = 60
THINK_S = (0.5, 1.5)
CALLBACK_DEPTH = 4


# ---------------------------------------------------------------------------------------------
# a minimal Dash client


def _walk(node: Any, values: dict[str, dict[str, Any]]) -> None:
    if isinstance(node, list):
        for child in node:
            _walk(child, values)
        return
    if not isinstance(node, dict) or "props" not in node:
        return
    props = node["props"]
    cid = props.get("id")
    if isinstance(cid, str):
        values[cid] = {k: v for k, v in props.items() if k != "children"}
    for value in props.values():
        if isinstance(value, list | dict):
            _walk(value, values)


def _outputs(spec: str) -> list[tuple[str, str]]:
    parts = spec[2:-2].split("...") if spec.startswith("..") else [spec]
    out = []
    for part in parts:
        cid, _, prop = part.rpartition(".")
        out.append((cid, prop.split("@")[0]))
    return out


class DashClient:
    """Sends the callback requests a browser would send for a change of some properties."""

    def __init__(self, base: str, session: requests.Session, record: Any) -> None:
        self.base = base
        self.session = session
        self.record = record
        self.values: dict[str, dict[str, Any]] = {}
        self.callbacks: list[dict[str, Any]] = []

    def _get(self, path: str, step: str) -> requests.Response:
        start = time.perf_counter()
        try:
            response = self.session.get(self.base + path, timeout=REQUEST_TIMEOUT_S)
        except requests.RequestException as exc:
            self.record(step, time.perf_counter() - start, f"{path}: {type(exc).__name__}")
            raise
        ok = response.status_code == 200
        self.record(
            step, time.perf_counter() - start, None if ok else f"{path}: {response.status_code}"
        )
        return response

    def load_page(self, *, parse: bool) -> None:
        """GET the page, layout and dependencies; run the callbacks of the initial render."""
        self._get("/", "page")
        layout = self._get("/_dash-layout", "page")
        deps = self._get("/_dash-dependencies", "page")
        if parse or not self.callbacks:
            values: dict[str, dict[str, Any]] = {}
            _walk(layout.json(), values)
            self.values = values
            self.callbacks = [
                c
                for c in deps.json()
                if "{" not in c["output"]
                and not c.get("clientside_function")
                and all("{" not in i["id"] for i in c["inputs"])
            ]
        self.values.setdefault("url-location", {})["search"] = ""
        initial = [
            f"{i['id']}.{i['property']}"
            for c in self.callbacks
            if not c.get("prevent_initial_call")
            for i in c["inputs"]
        ]
        self.fire(sorted(set(initial)), step="page")

    def value(self, cid: str, prop: str) -> Any:
        """Current value of a component property (None when unknown)."""
        return self.values.get(cid, {}).get(prop)

    def set_and_fire(self, cid: str, prop: str, value: Any, *, step: str) -> None:
        """Set a property as the user would and run the callbacks that follow."""
        self.values.setdefault(cid, {})[prop] = value
        self.fire([f"{cid}.{prop}"], step=step)

    def fire(self, changed: list[str], *, step: str) -> None:
        """Run every callback triggered by ``changed``, then those triggered by their outputs.

        As in the browser, a callback is not triggered again by its own outputs (the view
        callback writes the URL it reads), but properties it sets with ``dash.set_props`` (the
        view callback's controls) trigger every callback that reads them, itself included.
        """
        pending = {
            prop: None for prop in changed
        }  # prop -> output spec of the callback that set it
        for _ in range(CALLBACK_DEPTH):
            if not pending:
                return
            triggered = pending
            pending = {}
            for callback in self.callbacks:
                inputs = [f"{i['id']}.{i['property']}" for i in callback["inputs"]]
                hit = [p for p in inputs if p in triggered and triggered[p] != callback["output"]]
                if not hit:
                    continue
                outputs, side = self._call(callback, hit, step)
                pending.update({prop: callback["output"] for prop in outputs})
                pending.update({prop: None for prop in side})

    def _call(
        self, callback: dict[str, Any], changed: list[str], step: str
    ) -> tuple[list[str], list[str]]:
        """POST one callback; the properties it set as outputs and with ``set_props``."""
        outputs = _outputs(callback["output"])
        body = {
            "output": callback["output"],
            "outputs": [{"id": c, "property": p} for c, p in outputs]
            if callback["output"].startswith("..")
            else {"id": outputs[0][0], "property": outputs[0][1]},
            "inputs": [
                {
                    "id": i["id"],
                    "property": i["property"],
                    "value": self.value(i["id"], i["property"]),
                }
                for i in callback["inputs"]
            ],
            "state": [
                {
                    "id": s["id"],
                    "property": s["property"],
                    "value": self.value(s["id"], s["property"]),
                }
                for s in callback["state"]
            ],
            "changedPropIds": changed,
        }
        start = time.perf_counter()
        try:
            response = self.session.post(
                self.base + "/_dash-update-component", json=body, timeout=REQUEST_TIMEOUT_S
            )
        except requests.RequestException as exc:
            self.record(step, time.perf_counter() - start, f"callback: {type(exc).__name__}")
            return [], []
        elapsed = time.perf_counter() - start
        if response.status_code == 204:
            self.record(step, elapsed, None)
            return [], []
        if response.status_code != 200:
            self.record(
                step, elapsed, f"callback {callback['output'][:40]}: HTTP {response.status_code}"
            )
            return [], []
        self.record(step, elapsed, None)
        body = response.json()
        return self._apply(body.get("response", {})), self._apply(body.get("sideUpdate", {}))

    def _apply(self, updates: dict[str, dict[str, Any]]) -> list[str]:
        """Keep the updated property values, as the browser does; the properties changed."""
        changed_out = []
        for cid, props in updates.items():
            for prop, value in props.items():
                if isinstance(value, dict) and "__dash_patch_update" in value:
                    continue  # a Patch: the browser applies it to the figure; nothing to chain
                self.values.setdefault(cid, {})[prop] = value
                changed_out.append(f"{cid}.{prop}")
        return changed_out


# ---------------------------------------------------------------------------------------------
# one simulated planner


class Stats:
    """Latencies and errors of all planners (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []

    def record(self, step: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies[step].append(seconds)
            if error is not None:
                self.errors.append(f"{step}: {error}")


def planner(base: str, stats: Stats, deadline: float, seed: int) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    client = DashClient(base, session, stats.record)

    def think() -> bool:
        time.sleep(rng.uniform(*THINK_S))
        return time.monotonic() < deadline

    first = True
    try:
        while time.monotonic() < deadline:
            client.load_page(parse=first)
            first = False
            if not think():
                break
            client.set_and_fire(
                "controls-distance",
                "value",
                rng.choice([300, 500, 750, 1000, 1500]),
                step="distance",
            )
            if not think():
                break
            options = [
                o["value"] if isinstance(o, dict) else o
                for o in client.value("controls-categories", "options") or []
            ]
            if options:
                chosen = rng.sample(options, k=rng.randint(1, len(options)))
                client.set_and_fire("controls-categories", "value", chosen, step="categories")
            if not think():
                break
            # a click inside one of the map's areas, as Leaflet reports it (a position)
            areas = (client.value("map-areas", "data") or {}).get("features") or []
            if areas:
                inside = shape(rng.choice(areas)["geometry"]).representative_point()
                click = {"latlng": {"lat": inside.y, "lng": inside.x}}
                client.set_and_fire("map-graph", "clickData", click, step="profile")
            if not think():
                break
            client.set_and_fire("view-tabs", "value", "coordinator", step="nearby")
            client.set_and_fire(
                "coordinator-address",
                "search_value",
                rng.choice(["Kaiser", "Haupt", "Rhein"]),
                step="nearby",
            )
            found = client.value("coordinator-address", "options") or []
            if found:
                pick = found[0]["value"] if isinstance(found[0], dict) else found[0]
                client.set_and_fire("coordinator-address", "value", pick, step="nearby")
            client.set_and_fire("view-tabs", "value", "plan", step="nearby")
            if not think():
                break
    except requests.RequestException:
        pass  # recorded as an error by the client
    finally:
        session.close()


# ---------------------------------------------------------------------------------------------
# servers


def _pgserver() -> Any:
    name = "qa_pgserver"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, ROOT / "tests" / "store" / "pgserver.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@contextlib.contextmanager
def gunicorn(env: dict[str, str], *, workers: int, log_path: Path) -> Iterator[str]:
    port = _pgserver().free_port()
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            # as docs/deployment.md deploys it: a preloading master, forked workers
            "-c",
            "python:dashboard.gunicorn_conf",
            "-w",
            str(workers),
            "-b",
            f"{HOST}:{port}",
            "--timeout",
            "120",
            "dashboard.wsgi:create_server()",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://{HOST}:{port}"
    try:
        try:
            _wait_for_workers(base, workers, process)
        except RuntimeError:
            log.flush()
            sys.stderr.write(log_path.read_text(errors="replace")[-3000:])
            raise
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()


def _wait_for_workers(base: str, workers: int, process: subprocess.Popen) -> None:
    seen: set[int] = set()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            response = requests.get(base + "/healthz", timeout=30)
            if response.status_code == 200 and response.json()["status"] == "ok":
                seen.add(response.json()["pid"])
                if len(seen) >= workers:
                    return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"only {len(seen)} of {workers} workers became healthy")


@contextlib.contextmanager
def store_env(store: str, data: Path, cache: Path) -> Iterator[dict[str, str]]:
    env = {
        "QUARTIERSATLAS_CACHE": str(cache),
        "QUARTIERSATLAS_USER_DATA": str(cache / "user"),
        "QUARTIERSATLAS_RELOAD_S": "5",
    }
    if store == "files":
        yield {**env, "QUARTIERSATLAS_DATA": str(data), "DATABASE_URL": ""}
        return
    pg = _pgserver()
    server = pg.start_server()
    try:
        subprocess.run(
            [
                str(VENV_BIN / "quartiersatlas"),
                "db",
                "load",
                "--data",
                str(data),
                "--database-url",
                server.url,
            ],
            check=True,
            capture_output=True,
            env={**os.environ, **env},
        )
        yield {**env, "DATABASE_URL": server.url, "QUARTIERSATLAS_DATA": ""}
    finally:
        pg.remove_server(server)


def _swarm(base: str, stats: Stats, *, users: int, duration_s: float) -> float:
    deadline = time.monotonic() + duration_s
    threads = [
        threading.Thread(target=planner, args=(base, stats, deadline, seed), daemon=True)
        for seed in range(users)
    ]
    start = time.monotonic()
    for thread in threads:
        thread.start()
        time.sleep(0.02)  # ramp up over one second
    for thread in threads:
        thread.join(duration_s + 2 * REQUEST_TIMEOUT_S)
    return time.monotonic() - start


def run(
    store: str,
    *,
    data: Path,
    users: int,
    duration_s: float,
    workers: int,
    warmup_s: float,
    reload_midway: bool = False,
) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="qa-load-")))
        env = stack.enter_context(store_env(store, data, tmp))
        base = stack.enter_context(gunicorn(env, workers=workers, log_path=tmp / "gunicorn.log"))
        health = requests.get(base + "/healthz", timeout=30).json()
        if warmup_s > 0:  # fill each worker's caches (distances, indexes) before measuring
            _swarm(base, Stats(), users=min(users, 2 * workers), duration_s=warmup_s)
        stats = Stats()
        reload: dict[str, Any] = {}
        if reload_midway and env.get("DATABASE_URL"):
            timer = threading.Timer(
                duration_s / 2, _load_new_version, args=(data, env, tmp / "changed", reload)
            )
            timer.start()
            stack.callback(timer.cancel)
        wall = _swarm(base, stats, users=users, duration_s=duration_s)
        if reload:
            reload["served"] = _served_versions(base, workers)
    return {"store": store, "health": health, "stats": stats, "wall_s": wall, "reload": reload}


def _load_new_version(data: Path, env: dict[str, str], folder: Path, out: dict[str, Any]) -> None:
    """`db load` a copy of the dataset whose metadata differs (a new data version) under load."""
    shutil.copytree(data, folder)
    manifest = folder / "dataset.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(
        re.sub(r'^description = "', 'description = "(reloaded) ', text, count=1, flags=re.M),
        encoding="utf-8",
    )
    start = time.monotonic()
    result = subprocess.run(
        [str(VENV_BIN / "quartiersatlas"), "db", "load", "--data", str(folder)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )
    out["seconds"] = time.monotonic() - start
    out["exit"] = result.returncode
    out["output"] = (result.stdout + result.stderr).strip().splitlines()[:1]


def _served_versions(base: str, workers: int) -> dict[int, str]:
    """Data version per worker pid, after giving every worker time to swap."""
    seen: dict[int, str] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        health = requests.get(base + "/healthz", timeout=30).json()
        seen[health["pid"]] = health["data_version"]
        if len(seen) >= workers and not health["stale"] and len(set(seen.values())) == 1:
            break
        requests.get(base + "/", timeout=30)  # a request lets the worker notice the new version
        time.sleep(0.1)
    return seen


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(result: dict[str, Any], users: int, workers: int) -> str:
    stats: Stats = result["stats"]
    everything = [v for values in stats.latencies.values() for v in values]
    lines = [
        f"store={result['store']} dataset={result['health']['dataset']} "
        f"data_version={result['health']['data_version']} users={users} workers={workers} "
        f"wall={result['wall_s']:.0f}s requests={len(everything)} "
        f"({len(everything) / result['wall_s']:.1f}/s) errors={len(stats.errors)}",
        f"  {'step':<12}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}",
    ]
    for step in ("page", "distance", "categories", "profile", "nearby"):
        values = stats.latencies.get(step, [])
        if values:
            lines.append(
                f"  {step:<12}{len(values):>9}{_pct(values, 50) * 1000:>9.0f}"
                f"{_pct(values, 95) * 1000:>9.0f}{max(values) * 1000:>9.0f}"
            )
        else:  # a flow that no longer reaches a step must not pass unnoticed
            lines.append(f"  {step:<12}{0:>9}  (no request: the simulated flow missed this step)")
    lines.append(
        f"  {'all':<12}{len(everything):>9}{_pct(everything, 50) * 1000:>9.0f}"
        f"{_pct(everything, 95) * 1000:>9.0f}{max(everything, default=0) * 1000:>9.0f}"
    )
    reload = result.get("reload") or {}
    if reload:
        versions = sorted(set(reload.get("served", {}).values()))
        lines.append(
            f"  db load during the run: exit {reload.get('exit')} in "
            f"{reload.get('seconds', 0):.1f}s; workers now serve {', '.join(versions)} "
            f"(was {result['health']['data_version']})"
        )
    for error in stats.errors[:10]:
        lines.append(f"  error: {error}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", choices=["files", "postgis", "both"], default="both")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per store")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--warmup", type=float, default=20.0, help="seconds of unmeasured load before each run"
    )
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "karlsruhe")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument(
        "--no-reload",
        action="store_true",
        help="PostGIS: do not `db load` a new data version half-way through the run",
    )
    args = parser.parse_args(argv)
    users = max(1, min(args.users, MAX_USERS))
    duration = max(1.0, min(args.duration, MAX_DURATION_S))
    stores = ["files", "postgis"] if args.store == "both" else [args.store]
    failed = 0
    for store in stores:
        before = loadavg()
        result = run(
            store,
            data=args.data,
            users=users,
            duration_s=duration,
            workers=args.workers,
            warmup_s=max(0.0, min(args.warmup, 60.0)),
            reload_midway=not args.no_reload,
        )
        print(report(result, users, args.workers), flush=True)
        print(f"  load average (1/5/15 min): before {before}; after {loadavg()}", flush=True)
        stats: Stats = result["stats"]
        failed += len(stats.errors)
        if args.json:
            everything = [v for values in stats.latencies.values() for v in values]
            print(
                json.dumps(
                    {
                        "store": store,
                        "requests": len(everything),
                        "errors": len(stats.errors),
                        "p50_ms": round(_pct(everything, 50) * 1000, 1),
                        "p95_ms": round(_pct(everything, 95) * 1000, 1),
                    }
                )
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
