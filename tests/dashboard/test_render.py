"""The shared export renderer survives a browser controller that ends its loop."""

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


def test_the_used_page_reloads_after_the_render_has_returned() -> None:
    """kaleido reloads its page after every figure; the bytes no longer wait for it."""
    import asyncio
    from types import SimpleNamespace

    from dashboard.render import _kaleido_class

    cls = _kaleido_class()

    class Tab:
        def __init__(self, fail: bool) -> None:
            self.tab = SimpleNamespace(target_id="abcd")
            self.release = asyncio.Event()
            self.fail = fail

        async def reload(self) -> None:
            await self.release.wait()
            if self.fail:
                raise RuntimeError("page gone")

    async def scenario(fail: bool) -> None:
        browser = cls.__new__(cls)
        browser.tabs_ready = asyncio.Queue()
        tab = Tab(fail)
        await asyncio.wait_for(browser._return_kaleido_tab(tab), 1.0)  # returns at once
        assert browser.tabs_ready.empty()  # the reload still runs
        tab.release.set()
        assert await asyncio.wait_for(browser.tabs_ready.get(), 1.0) is tab  # then it is back

    asyncio.run(scenario(fail=False))
    asyncio.run(scenario(fail=True))  # a failed reload returns the tab; its next render fails
