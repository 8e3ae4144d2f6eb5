"""The shared export renderer survives a browser controller that ends its loop."""

import time

import pytest


def test_a_browser_loop_that_exits_fails_the_next_render_instead_of_a_thread():
    """Chromium dying under the controller ends its loop with SystemExit (seen under load)."""
    import asyncio
    import threading

    from dashboard.render import RenderError, _Browser

    browser = _Browser.__new__(_Browser)  # the loop and its thread, without starting Chromium
    browser._loop = asyncio.new_event_loop()
    browser._thread = threading.Thread(target=browser._run, daemon=True)
    browser._thread.start()

    def die() -> None:
        raise SystemExit

    browser._loop.call_soon_threadsafe(die)
    browser._thread.join(5)
    assert not browser._thread.is_alive()

    async def anything() -> int:
        return 1

    with pytest.raises(RenderError, match="stopped"):
        browser._call(anything(), 1.0)
    browser._loop.close()


def test_the_page_serves_several_figures_and_reloads_after_the_render_returned(
    monkeypatch,
) -> None:
    """kaleido reloads its page after every figure before returning; here every N-th, after."""
    import asyncio
    from types import SimpleNamespace

    from dashboard import render

    monkeypatch.setattr(render, "PAGE_RENDERS", 2)
    cls = render._kaleido_class()

    class Tab:
        def __init__(self, fail: bool) -> None:
            self.tab = SimpleNamespace(target_id="abcd")
            self.release = asyncio.Event()
            self.fail = fail
            self.reloads = 0

        async def reload(self) -> None:
            self.reloads += 1
            await self.release.wait()
            if self.fail:
                raise RuntimeError("page gone")

    async def scenario(fail: bool) -> None:
        browser = cls.__new__(cls)
        browser.tabs_ready = asyncio.Queue()
        tab = Tab(fail)
        await asyncio.wait_for(browser._return_kaleido_tab(tab), 1.0)
        assert browser.tabs_ready.get_nowait() is tab and tab.reloads == 0  # reused as is
        await asyncio.wait_for(browser._return_kaleido_tab(tab), 1.0)  # returns at once
        await asyncio.sleep(0)
        assert browser.tabs_ready.empty() and tab.reloads == 1  # the reload still runs
        tab.release.set()
        assert await asyncio.wait_for(browser.tabs_ready.get(), 1.0) is tab  # then it is back

    asyncio.run(scenario(fail=False))
    asyncio.run(scenario(fail=True))  # a failed reload returns the tab; its next render fails


@pytest.mark.slow
@pytest.mark.skipif(__import__("shutil").which("chromium") is None, reason="needs Chromium")
def test_a_reused_page_draws_the_same_image_as_a_fresh_one(monkeypatch) -> None:
    from dashboard import render

    web_map = {
        "data": [
            {"type": "scattermap", "lat": [49.0, 49.01], "lon": [8.4, 8.41], "mode": "markers"}
        ],
        "layout": {
            "map": {"style": "white-bg", "center": {"lat": 49.005, "lon": 8.405}, "zoom": 12}
        },
    }
    bars = {"data": [{"type": "bar", "y": [3, 1, 2]}], "layout": {}}
    png = {"format": "png", "width": 300, "height": 200, "scale": 1}
    monkeypatch.setattr(render, "PAGE_RENDERS", 1)  # kaleido's order: a fresh page each time
    browser = render._Browser()
    try:
        fresh = browser.render(web_map, png)
    finally:
        browser.close()
    monkeypatch.setattr(render, "PAGE_RENDERS", 10)
    browser = render._Browser()
    try:
        on_one_page = [browser.render(fig, png) for fig in (web_map, bars, web_map, web_map)]
    finally:
        browser.close()
    assert fresh.startswith(b"\x89PNG")
    assert on_one_page[0] == on_one_page[2] == on_one_page[3] == fresh


def test_a_stopped_browser_is_replaced_before_the_next_render(monkeypatch):
    """A browser whose loop ended is closed (its Chromium killed) and a new one renders."""
    import subprocess
    import sys

    from dashboard import render

    class Stopped:
        pid = __import__("os").getpid()
        closed = False

        def alive(self) -> bool:
            return False

        def close(self) -> None:
            Stopped.closed = True

    class Fresh:
        def __init__(self, nice: int = 0, start_timeout_s: float = 60.0) -> None:
            self.pid = __import__("os").getpid()

        def alive(self) -> bool:
            return True

        def render(self, figure, opts, timeout_s=60.0) -> bytes:
            return b"png"

    real_browser = render._Browser
    monkeypatch.setattr(render, "_browser", Stopped())
    monkeypatch.setattr(render, "_Browser", Fresh)
    assert render.render_here({"data": [], "layout": {}}, {"format": "png"}) == b"png"
    assert Stopped.closed and isinstance(render._browser, Fresh)
    monkeypatch.setattr(render, "_browser", None)

    # the leftover Chromium of a closed browser, its children included, is ended before the
    # next one starts, not left running
    import psutil

    child = "import time; time.sleep(60)"
    parent = f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {child!r}]); time.sleep(60)"
    sleeper = subprocess.Popen([sys.executable, "-c", parent])
    top = psutil.Process(sleeper.pid)
    deadline = time.monotonic() + 20
    while not top.children() and time.monotonic() < deadline:
        time.sleep(0.05)
    dead = real_browser.__new__(real_browser)
    dead._kaleido = type("K", (), {"subprocess": sleeper})()
    processes = dead._browser_processes()
    assert sorted(p.pid for p in processes) == sorted([sleeper.pid, top.children()[0].pid])
    real_browser._end_processes(processes)
    assert sleeper.poll() is not None
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in processes)


def test_no_export_job_is_forked_while_a_browser_starts(monkeypatch):
    """A job forked during the browser's start kept its Popen waiting (the 60 s export stall)."""
    import threading

    import dash

    from dashboard import jobs, render

    held_while_opening: list[bool] = []

    class StartingKaleido:
        async def open(self) -> None:
            held_while_opening.append(render._starting_browser.locked())

        async def close(self) -> None:
            return None

    monkeypatch.setattr(render, "_new_kaleido", StartingKaleido)
    browser = render._Browser(nice=0)
    browser.close()
    assert held_while_opening == [True]
    assert not render._starting_browser.locked()

    forked: list[float] = []
    monkeypatch.setattr(
        dash.DiskcacheManager, "call_job_fn", lambda *a: forked.append(time.monotonic()) or 1
    )
    monkeypatch.setattr(jobs, "wait_for_job", lambda pid: None)
    monkeypatch.setattr(jobs, "reap_finished_jobs", lambda: None)
    manager_class = jobs._reaping_manager()
    manager = manager_class.__new__(manager_class)
    with render.no_browser_starting():  # as a browser's start holds it
        job = threading.Thread(target=manager.call_job_fn, args=("key", print, (), None))
        job.start()
        time.sleep(0.3)
        assert forked == []  # the job waits for the start
    job.join(10)
    assert len(forked) == 1


def test_a_job_forked_while_no_browser_may_start_can_start_its_own():
    """The forking thread holds the start lock; the job (a one-shot browser) must find it free."""
    import os

    from dashboard import render

    with render.no_browser_starting():
        pid = os.fork()
        if pid == 0:  # the job
            os._exit(1 if render._starting_browser.locked() else 0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
