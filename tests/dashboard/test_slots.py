"""Bounded jobs: host-wide slots with a queue, the per-client rate, the reused renderer."""

from __future__ import annotations

import os
import shutil
import threading
import time

import psutil
import pytest

from dashboard import render
from dashboard.slots import JobLimits, JobsBusyError, JobSlots, RateLimitedError

needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
    reason="kaleido needs a Chromium",
)


def test_limits_from_env_and_bad_values() -> None:
    limits = JobLimits.from_env(
        {
            "QUARTIERSATLAS_JOB_SLOTS": "3",
            "QUARTIERSATLAS_JOB_RATE": "4",
            "QUARTIERSATLAS_JOB_QUEUE_TIMEOUT_S": "7.5",
        }
    )
    assert limits == JobLimits(slots=3, rate_per_minute=4, queue_timeout_s=7.5)
    assert JobLimits.from_env({}) == JobLimits()
    with pytest.raises(ValueError, match="QUARTIERSATLAS_JOB_SLOTS='x' is not a number"):
        JobLimits.from_env({"QUARTIERSATLAS_JOB_SLOTS": "x"})
    with pytest.raises(ValueError, match="must be positive"):
        JobLimits.from_env({"QUARTIERSATLAS_JOB_RATE": "0"})


def test_no_more_jobs_run_than_slots_and_waiters_see_their_position(tmp_path) -> None:
    slots = JobSlots(tmp_path, JobLimits(slots=2, queue_timeout_s=30))
    running = 0
    peak = 0
    positions: list[int] = []
    lock = threading.Lock()

    def job() -> None:
        nonlocal running, peak
        with slots.slot(on_wait=positions.append):
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.3)
            with lock:
                running -= 1

    threads = [threading.Thread(target=job) for _ in range(6)]
    for thread in threads:
        thread.start()
        time.sleep(0.02)  # arrival order = queue order
    for thread in threads:
        thread.join(30)
    assert peak == 2
    assert positions and min(positions) == 1 and max(positions) <= 4
    assert not list((tmp_path / "queue").iterdir())


def test_a_job_gives_up_after_the_queue_timeout(tmp_path) -> None:
    slots = JobSlots(tmp_path, JobLimits(slots=1, queue_timeout_s=0.5))
    with slots.slot():
        start = time.monotonic()
        with (
            pytest.raises(JobsBusyError, match="all 1 job slots stayed busy"),
            slots.slot(),
        ):
            pass
        assert time.monotonic() - start < 2
    with slots.slot():  # the slot is free again
        pass


def test_dead_waiters_do_not_hold_a_queue_place(tmp_path) -> None:
    slots = JobSlots(tmp_path, JobLimits(slots=1))
    dead = tmp_path / "queue" / f"{1:020d}-999999999-deadbeef"
    dead.touch()
    mine = tmp_path / "queue" / f"{2:020d}-1-cafe"
    mine.touch()
    assert slots.queue_position(mine) == 1
    assert not dead.exists()


def test_rate_limit_per_client(tmp_path) -> None:
    slots = JobSlots(tmp_path, JobLimits(rate_per_minute=3))
    for _ in range(3):
        slots.admit("10.0.0.1", now=1000.0)
    with pytest.raises(RateLimitedError, match="at most 3"):
        slots.admit("10.0.0.1", now=1001.0)
    slots.admit("10.0.0.2", now=1001.0)  # another client is not affected
    slots.admit("10.0.0.1", now=1061.0)  # a minute later the client may start again


def _chromium_children() -> list[psutil.Process]:
    me = psutil.Process()
    out = []
    for child in me.children(recursive=True):
        try:
            if "chrom" in child.name().lower() or child.status() == psutil.STATUS_ZOMBIE:
                out.append(child)
        except psutil.NoSuchProcess:
            continue
    return out


@needs_chromium
@pytest.mark.slow
def test_renderer_reuses_one_browser_and_leaves_no_processes() -> None:
    import plotly.graph_objects as go

    render.close()
    fig = go.Figure(go.Scatter(x=[1, 2, 3], y=[3, 1, 2]))
    started = render.browsers_started
    times = []
    for fmt in ("png", "pdf", "png", "png", "pdf"):
        start = time.perf_counter()
        data = render.to_image(fig, fmt, 400, 300)
        times.append(time.perf_counter() - start)
        assert data[:4] in (b"\x89PNG", b"%PDF")
    assert render.browsers_started == started + 1
    assert render.is_running()
    assert max(times[1:]) < times[0]  # warm renders skip the browser start
    render.close()
    deadline = time.monotonic() + 10
    while _chromium_children() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _chromium_children() == []


def test_render_error_without_a_browser(monkeypatch) -> None:
    import kaleido

    def broken(*args, **kwargs):
        raise RuntimeError("no chromium here")

    render.close()
    monkeypatch.setattr(kaleido.Kaleido, "open", broken)
    with pytest.raises(render.RenderError, match="rendering the figure as PNG failed"):
        render.to_image({"data": [], "layout": {}}, "png")
    assert not render.is_running()


def test_job_processes_run_at_a_lower_priority(tmp_path, monkeypatch) -> None:
    from dashboard.jobs import background_callback_manager, job_nice, reap_finished_jobs

    monkeypatch.setenv("QUARTIERSATLAS_JOB_NICE", "7")
    manager = background_callback_manager(jobs_dir=tmp_path / "jobs")
    out = tmp_path / "nice.txt"

    def job(key, progress_key, args, context) -> None:
        out.write_text(str(os.nice(0)))

    manager.call_job_fn("key", job, (), {})
    deadline = time.monotonic() + 30
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    reap_finished_jobs()
    assert int(out.read_text()) == min(19, os.nice(0) + 7)
    for bad in ("x", "-1", "20"):
        with pytest.raises(ValueError, match="QUARTIERSATLAS_JOB_NICE"):
            job_nice({"QUARTIERSATLAS_JOB_NICE": bad})


def test_a_finished_job_is_collected_without_a_poll_after_it(tmp_path) -> None:
    import psutil

    from dashboard.jobs import background_callback_manager

    manager = background_callback_manager(jobs_dir=tmp_path / "jobs")

    def job(key, progress_key, args, context) -> None:
        pass

    pid = manager.call_job_fn("key", job, (), {})
    deadline = time.monotonic() + 30
    # nothing polls the job: only the manager's own waiter can collect it
    while psutil.pid_exists(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not psutil.pid_exists(pid), psutil.Process(pid).status()
