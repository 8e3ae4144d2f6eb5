"""Export benchmark: reused renderer and render service next to a browser per export, one run.

Usage::

    .venv/bin/python benchmarks/exports.py            # bundled Karlsruhe, 3 warm runs each
    .venv/bin/python benchmarks/exports.py --runs 5 --no-cli

What the clocks measure:

* **In-process, per export** (map PNG, map PDF, profile PDF of the first district), with the
  dataset and app context already loaded, the clock started before building the figure and
  stopped when the file's bytes are there. ``reused cold`` is the first export of the process
  (it starts the one browser), ``reused warm`` the median of the next ``--runs``; ``kaleido
  defaults`` the same warm renders on a plain ``kaleido.Kaleido`` (MathJax loaded, page reloaded
  before the bytes return: the renderer before this benchmark's last change); ``service`` sends
  each render to a :mod:`dashboard.render_service` owned by another process (its browser warm
  and niced, as a diskcache job renders in production), median of ``--runs``; ``baseline``
  renders every export with a fresh browser through ``kaleido.calc_fig_sync`` (what a job did
  before the service), median of ``--runs``. Rows alternate between the variants per run, so
  load from other work spreads over all of them. The same exports are also given in CPU
  seconds (this process, its browsers and the service process): on a shared machine the wall
  clock mostly measures the other work, the CPU seconds what an export costs.
* **CLI, cold**: ``quartiersatlas export --out x.png|x.pdf`` and ``quartiersatlas profile --area
  <id> --out x.pdf`` in a fresh process (Python start, dataset load, browser start included),
  wall clock around the subprocess, best of two: ``sequential`` with the browser started when
  the first figure is rendered (before), ``overlapped`` as shipped (the browser starts in a
  background thread while the dataset loads), ``via service`` with the render service of the
  in-process part answering (``QUARTIERSATLAS_JOBS_DIR`` pointing at it).

Budgets (issue 16): map PNG/PDF and profile PDF ≤ 2 s warm, ≤ 5 s cold.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# benchmarks/dashboard.py would shadow the `dashboard` package when run as a script
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

WARM_BUDGET_S = 2.0
COLD_BUDGET_S = 5.0


_last_cpu = [0.0]


def _tree_cpu() -> float:
    """CPU seconds of this process, its live descendants (browsers, the service) and reaped ones."""
    import psutil

    me = psutil.Process()
    own = me.cpu_times()
    total = own.user + own.system + own.children_user + own.children_system
    for proc in me.children(recursive=True):
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def _timed(work: Callable[[], object]) -> float:
    """Wall seconds of ``work``; its CPU seconds (whole process tree) go to ``_last_cpu``."""
    cpu = _tree_cpu()
    start = time.perf_counter()
    work()
    wall = time.perf_counter() - start
    _last_cpu[0] = _tree_cpu() - cpu
    return wall


def _exports(ctx, state) -> dict[str, Callable[[], bytes]]:
    from dashboard.callbacks.export import map_export, profile_export

    return {
        "map PNG": lambda: map_export(ctx, state, "png", "a4")[0],
        "map PDF": lambda: map_export(ctx, state, "pdf", "a4")[0],
        "profile PDF": lambda: profile_export(ctx, state)[0],
    }


OWNER = """
import sys, time
from dashboard import render_service
service = render_service.serve_in_background(sys.argv[1])
time.sleep(float(sys.argv[2]))
"""


def start_service(jobs_dir: Path, seconds: float) -> subprocess.Popen:
    """A render service owned by another process, serving ``jobs_dir/render`` for a while."""
    from dashboard import render_service

    folder = jobs_dir / "render"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(folder), str(seconds)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not render_service.answers(folder):
        if time.monotonic() > deadline or owner.poll() is not None:
            raise RuntimeError("the render service did not start")
        time.sleep(0.1)
    return owner


def in_process(runs: int, jobs_dir: Path) -> dict[str, dict[str, float]]:
    """Cold, warm, service and baseline seconds per export kind."""
    from unittest import mock

    import kaleido

    from dashboard import render, render_service
    from dashboard.app import create_app
    from dashboard.callbacks.url_state import default_state

    app = create_app(user_data_dir=Path(tempfile.mkdtemp()) / "userdata")
    ctx = app.server.extensions["quartiersatlas"]
    state = default_state(ctx)
    state = state.with_(area=str(ctx.geo[ctx.level(state.level)].ids[0]))
    exports = _exports(ctx, state)
    for work in exports.values():  # compute coverage and profile once, outside the clocks
        work()
    render.close()
    before = render.browsers_started
    out: dict[str, dict[str, float]] = {}
    for name, work in exports.items():
        out[name] = {"cold": _timed(work)} if not out else {}

    def oneshot(fig, fmt, width=None, height=None, *, scale=1.0):
        figure = render._figure_dict(fig)
        w, h = render._size(figure, width, height)
        opts = {"format": fmt, "width": w, "height": h, "scale": scale}
        return kaleido.calc_fig_sync(figure, opts=opts)

    def with_service(work):
        render_service.use(jobs_dir / "render")
        try:
            return _timed(work)
        finally:
            render_service.use(None)

    with mock.patch.object(render, "_new_kaleido", lambda: kaleido.Kaleido(n=1)):
        plain = render._Browser()  # a second warm browser, on kaleido's defaults

    def with_kaleido_defaults(work):
        with mock.patch.object(render, "render_here", lambda f, o, **_: plain.render(f, o)):
            return _timed(work)

    variants: dict[str, Callable[[Callable[[], bytes]], float]] = {
        "service": with_service,
        "kaleido defaults": with_kaleido_defaults,
    }
    for name, work in exports.items():  # the first render of each variant is not counted
        for measure in variants.values():
            measure(work)
        samples: dict[str, list[float]] = {key: [] for key in ["warm", *variants, "baseline"]}
        cpu: dict[str, list[float]] = {key: [] for key in samples}
        for _ in range(runs):
            samples["warm"].append(_timed(work))
            cpu["warm"].append(_last_cpu[0])
            for key, measure in variants.items():
                samples[key].append(measure(work))
                cpu[key].append(_last_cpu[0])
            with mock.patch.object(render, "to_image", oneshot):
                samples["baseline"].append(_timed(work))
            cpu["baseline"].append(_last_cpu[0])
        out[name].update({key: statistics.median(values) for key, values in samples.items()})
        out[f"{name} CPU"] = {key: statistics.median(values) for key, values in cpu.items()}
    plain.close()
    out["browsers started (reused)"] = {"count": float(render.browsers_started - before)}
    render.close()
    return out


SEQUENTIAL = (
    "import sys; from dashboard import render; render.prepare_in_background = lambda: None; "
    "from dashboard.cli import main; sys.argv[0] = 'quartiersatlas'; main()"
)
"""The CLI as it was: the browser starts when the first figure is rendered."""
SHIPPED = "import sys; from dashboard.cli import main; sys.argv[0] = 'quartiersatlas'; main()"


def cli(area: str, jobs_dir: Path) -> dict[str, dict[str, float]]:
    """Best of two wall-clock seconds of each CLI export in a fresh process, per variant."""
    folder = Path(tempfile.mkdtemp())
    commands = {
        "export --out x.png": ["export", "--out", str(folder / "x.png")],
        "export --out x.pdf": ["export", "--out", str(folder / "x.pdf")],
        "profile --out x.pdf": ["profile", "--area", area, "--out", str(folder / "p.pdf")],
    }
    no_service = {**os.environ, "QUARTIERSATLAS_JOBS_DIR": str(folder / "no-service")}
    service = {**os.environ, "QUARTIERSATLAS_JOBS_DIR": str(jobs_dir)}
    variants = {
        "sequential": ([sys.executable, "-c", SEQUENTIAL], no_service),
        "overlapped": ([sys.executable, "-c", SHIPPED], no_service),
        "via service": ([sys.executable, "-c", SHIPPED], service),
    }
    out: dict[str, dict[str, float]] = {name: {} for name in commands}
    for name, args in commands.items():
        times: dict[str, list[float]] = {variant: [] for variant in variants}
        for _ in range(2):
            for variant, (prefix, env) in variants.items():
                start = time.perf_counter()
                subprocess.run([*prefix, *args], check=True, capture_output=True, env=env)
                times[variant].append(time.perf_counter() - start)
        out[name] = {variant: min(values) for variant, values in times.items()}
    return out


def main() -> None:
    """Run and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-cli", action="store_true")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    jobs_dir = Path(tempfile.mkdtemp(prefix="qa-bench-"))  # short: a socket path is limited
    owner = start_service(jobs_dir, seconds=3600)
    try:
        results = in_process(args.runs, jobs_dir)
        columns = ("cold", "warm", "kaleido defaults", "service", "baseline")
        heads = ("reused cold", "reused warm", "kaleido dflt", "service", "new browser")
        print(f"{'export (in process)':<20}" + "".join(f"{h:>14}" for h in heads))
        for name, row in results.items():
            if "count" in row or name.endswith(" CPU"):
                continue
            cells = [f"{row[c]:.2f} s" if c in row else "–" for c in columns]
            over = [
                h for h, c in zip(heads[1:4], columns[1:4], strict=True) if row[c] > WARM_BUDGET_S
            ]
            flag = f"  (over the 2 s budget: {', '.join(over)})" if over else ""
            print(f"{name:<20}" + "".join(f"{cell:>14}" for cell in cells) + flag)
        print(f"\n{'CPU s per export':<20}" + "".join(f"{h:>14}" for h in heads))
        for name, row in results.items():
            if name.endswith(" CPU"):
                cells = [f"{row[c]:.2f} s" if c in row else "–" for c in columns]
                print(f"{name[:-4]:<20}" + "".join(f"{cell:>14}" for cell in cells))
        print("(CPU of this process, its browsers and the service process; a one-shot browser")
        print(" is counted once its wrapper is reaped, so 'new browser' may be undercounted)")
        started = int(results["browsers started (reused)"]["count"])
        print(f"browsers started by the reused renderer: {started}")
        if not args.no_cli:
            from layers.dataset import default_dataset_path, load_dataset

            area = str(load_dataset(default_dataset_path()).districts["id"].iloc[0])
            rows = cli(area, jobs_dir)
            variants = list(next(iter(rows.values())))
            print(f"\n{'CLI, fresh process':<22}" + "".join(f"{v:>14}" for v in variants))
            for name, row in rows.items():
                over = [v for v in variants if row[v] > COLD_BUDGET_S]
                flag = f"  (over the 5 s cold budget: {', '.join(over)})" if over else ""
                print(f"{name:<22}" + "".join(f"{row[v]:>12.2f} s" for v in variants) + flag)
    finally:
        owner.terminate()
        owner.wait(30)
        shutil.rmtree(jobs_dir, ignore_errors=True)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
