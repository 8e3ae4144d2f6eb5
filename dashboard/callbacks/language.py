"""Language switch: every translated text node and the labels of the options."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dash
from dash import ALL, Input, Output

from dashboard import ids, layout
from dashboard.i18n import check_lang, dropdown_labels, label, t

if TYPE_CHECKING:
    from dashboard.context import AppContext


def texts(ctx: AppContext, lang: str, keys: list[str]) -> dict[str, Any]:
    """Everything the language callback returns for ``lang``."""
    lang = check_lang(lang)
    cats = [{"label": label(c, lang), "value": c.id} for c in ctx.dataset.categories]
    return {
        "i18n": [t(k, lang) for k in keys],
        "view": layout.simple_options(layout.VIEW_KEYS, lang),
        "categories": layout.category_options(ctx, lang),
        "unit": layout.simple_options(layout.UNIT_KEYS, lang),
        "speed": layout.simple_options(layout.SPEED_KEYS, lang),
        "level": layout.level_options(ctx, lang),
        "layers": layout.simple_options(layout.LAYER_KEYS, lang),
        "basemap": layout.simple_options(layout.BASEMAP_KEYS, lang),
        "group": layout.group_options(ctx, lang),
        "scenario_category": cats,
        "placeholder": t("address_placeholder", lang),
        "notes": layout.notes(ctx, lang),
        "methods": t("methods_text", lang, n=ctx.options.small_count_threshold),
        "upload_help": t(
            "upload_help",
            lang,
            mb=f"{ctx.options.upload_max_bytes / 1024 / 1024:g}",
            cats=", ".join(ctx.category_ids),
        ),
        "play": t("play", lang),
        "dropdown_labels": dropdown_labels(lang),
    }


DROPDOWNS: tuple[str, ...] = (
    ids.YEAR,
    ids.GROUP,
    ids.AREA_SELECT,
    ids.SCENARIO_CATEGORY,
    ids.ADDRESS,
)
"""Dropdowns whose own texts (search box placeholder, "no options") follow the language."""


def register(app: dash.Dash, ctx: AppContext) -> None:
    """Register the language callback."""

    @app.callback(
        Output({"type": ids.I18N_TYPE, "key": ALL}, "children"),
        Output(ids.VIEW_TABS, "options"),
        Output(ids.CATEGORIES, "options"),
        Output(ids.DISTANCE_UNIT, "options"),
        Output(ids.SPEED, "options"),
        Output(ids.LEVEL, "options"),
        Output(ids.LAYERS, "options"),
        Output(ids.BASEMAP, "options"),
        Output(ids.DISTANCE_MODE, "options"),
        Output(ids.REQUIRE, "options"),
        Output(ids.GROUP, "options"),
        Output(ids.SCENARIO_CATEGORY, "options"),
        Output(ids.ADDRESS, "placeholder"),
        Output(ids.AREA_SELECT, "placeholder"),
        Output(ids.NOTES_BODY, "children"),
        Output(ids.METHODS_BODY, "children"),
        Output(ids.UPLOAD_HELP, "children"),
        Output(ids.CHANGE_PLAY, "children", allow_duplicate=True),
        *[Output(dropdown, "labels") for dropdown in DROPDOWNS],
        Input(ids.LANG, "value"),
        # the page is built in German; the view callback sets the language a link asks for
        prevent_initial_call=True,
    )
    def switch_language(lang: str) -> tuple:
        keys = [o["id"]["key"] for o in dash.ctx.outputs_list[0]]
        out = texts(ctx, lang, keys)
        return (
            out["i18n"],
            out["view"],
            out["categories"],
            out["unit"],
            out["speed"],
            out["level"],
            out["layers"],
            out["basemap"],
            layout.mode_options(ctx, check_lang(lang)),
            layout.simple_options(layout.REQUIRE_KEYS, check_lang(lang)),
            out["group"],
            out["scenario_category"],
            out["placeholder"],
            t("area_choose", check_lang(lang)),
            out["notes"],
            out["methods"],
            out["upload_help"],
            out["play"],
            *[out["dropdown_labels"]] * len(DROPDOWNS),
        )
