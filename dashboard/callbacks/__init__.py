"""Callbacks of the dashboard, one module per feature; each has ``register(app, ctx)``.

The callbacks close over the app's :class:`~dashboard.context.AppContext` (no module globals).
Each registered callback is a thin wrapper around a plain function that tests call directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import dash

    from dashboard.context import AppContext


def register_all(app: dash.Dash, ctx: AppContext) -> None:
    """Register every feature's callbacks on ``app``."""
    from dashboard.callbacks import (
        coordinator,
        export,
        filters,
        language,
        map,
        profile,
        scenario,
        upload,
        view,
        workspace,
    )

    for module in (
        view,
        filters,
        language,
        map,
        profile,
        scenario,
        coordinator,
        upload,
        workspace,
        export,
    ):
        module.register(app, ctx)
