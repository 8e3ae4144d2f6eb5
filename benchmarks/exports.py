"""Export benchmark: the reused renderer next to the old browser-per-job baseline, in one run.

Usage::

    .venv/bin/python benchmarks/exports.py            # bundled Karlsruhe, 3 warm runs each
    .venv/bin/python benchmarks/exports.py --runs 5 --no-cli

What the clocks measure:

* **In-process, per export** (map PNG, map PDF, profile PDF of the first district), with the
  dataset and app context already loaded, the clock started before building the figure and
  stopped when the file's bytes are there. ``reused cold`` is the first export of the process
  (it starts the one browser), ``reused warm`` the median of the next ``--runs``; ``baseline``
  renders every export with a fresh kaleido browser (what every export did before
  :mod:`dashboard.render`), median of ``--runs``.
* **CLI, cold**: ``quartiersatlas export --out x.png|x.pdf`` and ``quartiersatlas profile --area
  <id> --out x.pdf`` in a fresh process (Python start, dataset load, browser start included),
  wall clock around the subprocess, best of two.

Budgets (issue 16): map PNG/PDF and profile PDF ≤ 2 s warm, ≤ 5 s cold.
"""

from __future__ import annotations

import argparse
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


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _exports(ctx, state) -> dict[str, Callable[[], bytes]]:
    from dashboard.callbacks.export import map_export, profile_export

    return {
        "map PNG": lambda: map_export(ctx, state, "png", "a4")[0],
        "map PDF": lambda: map_export(ctx, state, "pdf", "a4")[0],
        "profile PDF": lambda: profile_export(ctx, state)[0],
    }


def in_process(runs: int) -> dict[str, dict[str, float]]:
    """Cold, warm and baseline seconds per export kind."""
    from unittest import mock

    from dashboard import render
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
    out: dict[str, dict[str, float]] = {}
    for name, work in exports.items():
        out[name] = {"cold": _timed(work)} if not out else {}
    for name, work in exports.items():
        out[name]["warm"] = statistics.median(_timed(work) for _ in range(runs))
    render.close()

    def oneshot(fig, fmt, width=None, height=None, *, scale=1.0):
        figure = render._figure_dict(fig)
        w, h = render._size(figure, width, height)
        return render._oneshot(figure, {"format": fmt, "width": w, "height": h, "scale": scale})

    with mock.patch.object(render, "to_image", oneshot):
        for name, work in exports.items():
            out[name]["baseline"] = statistics.median(_timed(work) for _ in range(runs))
    out["browsers started (reused)"] = {"count": float(render.browsers_started)}
    return out


def cli(area: str) -> dict[str, float]:
    """Best of two wall-clock seconds of each CLI export in a fresh process."""
    exe = Path(sys.executable).with_name("quartiersatlas")
    folder = Path(tempfile.mkdtemp())
    commands = {
        "export --out x.png": [str(exe), "export", "--out", str(folder / "x.png")],
        "export --out x.pdf": [str(exe), "export", "--out", str(folder / "x.pdf")],
        "profile --out x.pdf": [
            str(exe),
            "profile",
            "--area",
            area,
            "--out",
            str(folder / "p.pdf"),
        ],
    }
    out = {}
    for name, command in commands.items():
        times = []
        for _ in range(2):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        out[name] = min(times)
    return out


def main() -> None:
    """Run and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-cli", action="store_true")
    args = parser.parse_args()
    results = in_process(args.runs)
    print(f"{'export (in process)':<22}{'reused cold':>13}{'reused warm':>13}{'baseline':>11}")
    for name, row in results.items():
        if "count" in row:
            continue
        cold = f"{row['cold']:.2f} s" if "cold" in row else "–"
        warm = row["warm"]
        flag = "" if warm <= WARM_BUDGET_S else "  (over the 2 s budget)"
        print(f"{name:<22}{cold:>13}{warm:>11.2f} s{row['baseline']:>9.2f} s{flag}")
    print(
        f"browsers started by the reused renderer: {int(results['browsers started (reused)']['count'])}"
    )
    if not args.no_cli:
        from layers.dataset import default_dataset_path, load_dataset

        area = str(load_dataset(default_dataset_path()).districts["id"].iloc[0])
        print(f"\n{'CLI, fresh process':<22}{'wall':>9}")
        for name, seconds in cli(area).items():
            flag = "" if seconds <= COLD_BUDGET_S else "  (over the 5 s cold budget)"
            print(f"{name:<22}{seconds:>7.2f} s{flag}")


if __name__ == "__main__":
    main()
