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
