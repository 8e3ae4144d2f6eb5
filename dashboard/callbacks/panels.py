"""Which panels an input concerns: the view callback fires a panel only when its inputs change.

Every panel (profile, what-if, coordinator list, compare map, page classes, export button) has
a key: the part of the :class:`~dashboard.state.ViewState` it shows. The callback that computes
the new state (``dashboard.callbacks.map``) writes a panel's key into the panel's trigger store
only when the key changes, so a change of walking distance does not send six requests for
panels that are hidden or do not depend on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dash import no_update

from dashboard import ids
from dashboard.callbacks.coordinator import coordinator_key
from dashboard.callbacks.filters import distance_hint, view_classes
from dashboard.callbacks.profile import profile_key
from dashboard.callbacks.scenario import scenario_key
from dashboard.state import ViewState


def _page_key(state: ViewState) -> list:
    return [view_classes(state), distance_hint(state)]


def _compare_key(state: ViewState) -> list | None:
    if state.view != "compare":
        return None
    return [state.level, state.group, state.year_from, state.year_to, state.lang]


def _profile_key(state: ViewState) -> list | None:
    return profile_key(state) if state.view in ("plan", "compare") else None


def _scenario_key(state: ViewState) -> list | None:
    return scenario_key(state) if state.view == "scenario" else None


def _coordinator_key(state: ViewState) -> list | None:
    return coordinator_key(state) if state.view == "coordinator" else None


def _export_key(state: ViewState) -> list:
    return [state.area, state.level, state.lang]


PANELS: tuple[tuple[str, Callable[[ViewState], Any]], ...] = (
    (ids.PAGE_TRIGGER, _page_key),
    (ids.PROFILE_TRIGGER, _profile_key),
    (ids.SCENARIO_TRIGGER, _scenario_key),
    (ids.COORD_TRIGGER, _coordinator_key),
    (ids.COMPARE_TRIGGER, _compare_key),
    (ids.EXPORT_TRIGGER, _export_key),
)
"""(trigger store id, key of the state); a key of ``None`` means the panel is not shown."""


def panel_triggers(before: ViewState | None, after: ViewState) -> list[Any]:
    """The value of every trigger store in :data:`PANELS` order: the new key, or ``no_update``.

    A panel fires when its key differs from the key of the state before (always on the first
    state, ``before=None``) and it is shown.

    Examples
    --------
    >>> def fired(before, after):
    ...     values = panel_triggers(before, after)
    ...     return [store for (store, _), v in zip(PANELS, values) if v is not no_update]
    >>> s = ViewState(categories=("meeting",), distance=500.0)
    >>> fired(s, s.with_(distance=550.0))  # no area chosen: the profile shows a hint
    []
    >>> fired(s.with_(area="01"), s.with_(area="01", distance=550.0))
    ['profile-trigger']
    >>> fired(s, s.with_(view="scenario"))
    ['page-trigger', 'scenario-trigger']
    """
    values: list[Any] = []
    for _, key in PANELS:
        new = key(after)
        if new is None or (before is not None and key(before) == new):
            values.append(no_update)
        else:
            values.append(new)
    return values
