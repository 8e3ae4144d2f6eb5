"""Language switch: every translated text node and the labels of the options."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dash
from dash import ALL, Input, Output, html

from dashboard import ids, layout
from dashboard.i18n import check_lang, dropdown_labels, fmt_number, label, t

if TYPE_CHECKING:
    from dashboard.context import AppContext


def notes_for(text: str, lang: str) -> list[str]:
    r"""Paragraphs of a dataset's notes for ``lang``.

    Notes may hold both languages: a line starting with ``DE:`` or ``EN:`` and the lines after
    it (up to the next marker) belong to that language; lines before any marker and lines with
    both languages side by side (``… / …``) are always shown.

    Examples
    --------
    >>> notes_for("DE: Hallo\nMehr\nEN: Hello\nMore\nA / B", "en")
    ['Hello', 'More', 'A / B']
    """
    out: list[str] = []
    current: str | None = None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        head = line[:3].upper()
        if head in ("DE:", "EN:"):
            current = head[:2].lower()
            line = line[3:].strip()
        elif " / " in line:
            out.append(line)
            continue
        if current is None or current == lang:
            out.append(line)
    return out


def notes(ctx: AppContext, lang: str) -> list[Any]:
    """The "Datenstand/Hinweise" panel: dataset notes, the seed-list warning, load warnings."""
    meta = ctx.dataset.metadata
    out: list[Any] = [html.P(t("notes_seed", lang), className="note-seed")]
    out.extend(html.P(p) for p in notes_for(meta.notes, lang))
    n_unlocated = len(ctx.dataset.unlocated_facilities)
    if n_unlocated:
        out.append(html.P(t("notes_unlocated", lang, n=fmt_number(n_unlocated, lang))))
    dated = [s for s in meta.sources if s.date or s.licence or s.attribution]
    if dated:
        out.append(
            html.Ul(
                [
                    html.Li(
                        " · ".join(
                            x
                            for x in (
                                s.layer,
                                s.attribution or s.source or s.file,
                                s.licence,
                                s.date,
                            )
                            if x
                        )
                    )
                    for s in meta.sources
                ],
                className="sources",
            )
        )
    return out


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
        "notes": notes(ctx, lang),
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
