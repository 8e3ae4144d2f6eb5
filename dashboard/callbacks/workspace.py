"""The workspace panel: list, rename, download, delete uploads; save, open, share scenarios.

Every callback takes the workspace from the request (:func:`dashboard.workspace.current_workspace`),
never from the browser's payload; item ids from the page are only looked up inside that
workspace, so a forged id reaches nothing of another workspace.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import dash
from dash import ALL, Input, Output, State, dcc, html

from dashboard import ids
from dashboard.i18n import fmt_number, t
from dashboard.workspace import DOWNLOAD_PATH, SHARE_PATH
from layers.errors import StoreError
from layers.store.workspaces import QuotaError, WorkspaceError, WorkspaceStore

if TYPE_CHECKING:
    from dashboard.context import AppContext
    from dashboard.workspace import Workspaces


def share_url(root: str, token: str) -> str:
    """The link that opens one shared scenario.

    Examples
    --------
    >>> share_url("https://atlas.example/", "abc")
    'https://atlas.example/share/abc'
    """
    return root.rstrip("/") + SHARE_PATH + token


def name_field(kind: str, item_id: int, name: str, lang: str) -> html.Label:
    """The editable name of an upload or scenario (renamed when the field loses focus)."""
    return html.Label(
        [
            html.Span(t("ws_name", lang), className="visually-hidden"),
            dcc.Input(
                id=ids.ws_rename(kind, item_id),
                value=name,
                debounce=True,
                maxLength=80,
                className="ws-name",
            ),
        ]
    )


def panel_children(
    store: WorkspaceStore, workspace: str, lang: str, *, root: str, note: str
) -> list[Any]:
    """The lists of uploads and scenarios of ``workspace`` (all text escaped by Dash)."""
    uploads = store.uploads(workspace)
    scenarios = store.scenarios(workspace)
    upload_items = [
        html.Li(
            className="ws-item",
            children=[
                name_field("upload", item.id, item.name, lang),
                html.Span(
                    t("ws_upload_count", lang, n=fmt_number(item.n_facilities, lang)),
                    className="hint",
                ),
                html.A(
                    t("ws_download", lang),
                    href=f"{root.rstrip('/')}{DOWNLOAD_PATH}{item.id}.geojson",
                    className="btn btn-secondary",
                ),
                html.Button(
                    t("ws_delete", lang),
                    id=ids.ws_action("delete-upload", item.id),
                    className="btn btn-secondary ws-delete-upload",
                ),
            ],
        )
        for item in uploads
    ]
    scenario_items = [
        html.Li(
            className="ws-item",
            children=[
                name_field("scenario", item.id, item.name, lang),
                html.A(t("ws_open", lang), href=f"?{item.query}", className="btn btn-secondary"),
                html.Button(
                    t("ws_unshare" if item.share_token else "ws_share", lang),
                    id=ids.ws_action("unshare" if item.share_token else "share", item.id),
                    className="btn btn-secondary",
                ),
                html.Button(
                    t("ws_delete", lang),
                    id=ids.ws_action("delete-scenario", item.id),
                    className="btn btn-secondary",
                ),
                *(
                    [html.Code(share_url(root, item.share_token), className="ws-share-link")]
                    if item.share_token
                    else []
                ),
            ],
        )
        for item in scenarios
    ]
    return [
        html.P(note, className="hint"),
        html.H4(t("ws_uploads", lang)),
        html.Ul(upload_items, className="ws-list")
        if upload_items
        else html.P(t("ws_no_uploads", lang), className="hint"),
        html.H4(t("ws_scenarios", lang)),
        html.Ul(scenario_items, className="ws-list")
        if scenario_items
        else html.P(t("ws_no_scenarios", lang), className="hint"),
    ]


def workspace_note(spaces: Workspaces, lang: str) -> str:
    """Whose workspace this is: the signed-in user, or this browser (with the expiry)."""
    user = spaces.user()
    if user:
        return t("ws_user", lang, user=user)
    return t("ws_private", lang, days=f"{spaces.settings.expire_days:g}")


def apply_action(
    ctx: AppContext,
    store: WorkspaceStore,
    workspace: str,
    trigger: Any,
    value: Any,
    *,
    scenario_name: str | None,
    state: dict | None,
    lang: str,
    root: str,
) -> tuple[str, bool]:
    """Do what the clicked button or edited name asks; (message, uploads changed).

    Raises ``PreventUpdate`` for a trigger that asks nothing (a button that just appeared,
    a name field re-rendered with its own name).
    """
    from dashboard.callbacks.url_state import default_state
    from dashboard.state import ViewState, to_query

    if trigger == ids.WS_SAVE:
        if not value:
            raise dash.exceptions.PreventUpdate
        query = to_query(ViewState.from_dict(state), defaults=default_state(ctx))
        item = store.save_scenario(workspace, name=scenario_name or "", query=query)
        return t("ws_saved", lang, name=item.name), False
    if not isinstance(trigger, dict):
        raise dash.exceptions.PreventUpdate
    item_id = int(trigger.get("id", -1))
    if trigger.get("type") == "ws-rename":
        kind = trigger.get("kind")
        items = store.uploads(workspace) if kind == "upload" else store.scenarios(workspace)
        current = {i.id: i.name for i in items}
        if value is None or current.get(item_id) in (None, value):
            raise dash.exceptions.PreventUpdate
        rename = store.rename_upload if kind == "upload" else store.rename_scenario
        rename(workspace, item_id, str(value))
        return t("ws_renamed", lang), False
    if not value:
        raise dash.exceptions.PreventUpdate
    action = trigger.get("action")
    if action == "delete-upload":
        if not store.delete_upload(workspace, item_id):
            raise dash.exceptions.PreventUpdate
        return t("ws_deleted", lang), True
    if action == "delete-scenario":
        if not store.delete_scenario(workspace, item_id):
            raise dash.exceptions.PreventUpdate
        return t("ws_deleted", lang), False
    if action == "share":
        token = store.share_scenario(workspace, item_id)
        return f"{t('ws_share_hint', lang)} {share_url(root, token)}", False
    if action == "unshare":
        store.unshare_scenario(workspace, item_id)
        return t("ws_deleted", lang), False
    raise dash.exceptions.PreventUpdate


def error_text(exc: Exception, lang: str) -> str:
    """A workspace error for the user, without server details."""
    if isinstance(exc, QuotaError) and exc.limit == "scenarios":
        return t("ws_quota_scenarios", lang, max=exc.allowed)
    if isinstance(exc, StoreError):
        return t("ws_unavailable", lang)
    return t("ws_name_empty", lang)


def register(app: dash.Dash, ctx: AppContext) -> None:
    """Register the panel's two callbacks: render the lists, act on a button or name field."""

    # filled when the panel is first opened (its summary clicked), not on every page load:
    # a page load costs one request
    @app.callback(
        Output(ids.WS_BODY, "children"),
        Input(ids.WS_SUMMARY, "n_clicks"),
        Input(ids.LANG, "value"),
        Input(ids.WS_REFRESH, "data"),
        Input(ids.UPLOAD_STORE, "data"),
        prevent_initial_call=True,
    )
    def render(_opened: object, lang: str | None, _refresh: object, _uploads: object) -> list[Any]:
        from flask import request

        from dashboard.workspace import current_workspaces

        lang = lang or "de"
        spaces = current_workspaces()
        try:
            return panel_children(
                spaces.store,
                spaces.current(),
                lang,
                root=request.url_root,
                note=workspace_note(spaces, lang),
            )
        except StoreError:
            return [html.P(t("ws_unavailable", lang), className="error")]

    @app.callback(
        Output(ids.WS_REFRESH, "data"),
        Output(ids.WS_MESSAGE, "children"),
        Output(ids.UPLOAD_STORE, "data", allow_duplicate=True),
        Input({"type": "ws-action", "action": ALL, "id": ALL}, "n_clicks"),
        Input({"type": "ws-rename", "kind": ALL, "id": ALL}, "value"),
        Input(ids.WS_SAVE, "n_clicks"),
        State(ids.WS_SCENARIO_NAME, "value"),
        State(ids.STATE, "data"),
        State(ids.LANG, "value"),
        prevent_initial_call=True,
    )
    def act(_clicks: list, _names: list, _save: int | None, name: str | None, state, lang):
        from flask import request

        from dashboard.workspace import current_workspace

        lang = lang or "de"
        triggered = dash.ctx.triggered[0] if dash.ctx.triggered else {}
        store, workspace = current_workspace()
        try:
            message, uploads_changed = apply_action(
                ctx,
                store,
                workspace,
                dash.ctx.triggered_id,
                triggered.get("value"),
                scenario_name=name,
                state=state,
                lang=lang,
                root=request.url_root,
            )
        except (WorkspaceError, StoreError) as exc:
            return dash.no_update, html.P(error_text(exc, lang), className="error"), dash.no_update
        upload_data = {"rev": store.revision(workspace)} if uploads_changed else dash.no_update
        return time.time_ns(), html.P(message, className="ok"), upload_data
