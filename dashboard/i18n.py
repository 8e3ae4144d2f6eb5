"""All user-facing strings of the dashboard (German default, English) and locale number formats.

Every text of the interface is in :data:`TEXT` as ``key -> (de, en)``; :func:`t` looks one up.
Numbers are formatted by :func:`fmt_number` with the locale's decimal and thousands marks
(German ``1.234,5``, English ``1,234.5``). Babel is not a dependency: the two locales the app
speaks need only these two marks, so a small formatter keeps the app light.
"""

from __future__ import annotations

import math
from types import MappingProxyType

LANGS: tuple[str, ...] = ("de", "en")
DEFAULT_LANG = "de"

_MARKS = MappingProxyType({"de": (",", "."), "en": (".", ",")})
"""Per language: (decimal mark, thousands separator)."""

TEXT: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {
        # header
        "app_title": ("Quartiersatlas", "Quartiersatlas"),
        "app_subtitle": (
            "Soziale Infrastruktur und demografischer Wandel",
            "Social infrastructure and demographic change",
        ),
        "views_label": ("Ansicht", "View"),
        "view_plan": ("Planung", "Planning"),
        "view_scenario": ("Was wäre wenn", "What if"),
        "view_coordinator": ("Vor Ort", "On site"),
        "view_compare": ("Vergleich", "Compare"),
        "present": ("Präsentation", "Present"),
        "present_exit": ("Präsentation beenden", "Exit presentation"),
        "share": ("Link teilen", "Share link"),
        "share_hint": (
            "Dieser Link stellt die aktuelle Ansicht wieder her:",
            "This link restores the current view:",
        ),
        "language": ("Sprache", "Language"),
        # controls
        "controls": ("Einstellungen", "Settings"),
        "categories": ("Angebote", "Services"),
        "distance": ("Fußweg", "Walking distance"),
        "unit_m": ("Meter", "metres"),
        "unit_min": ("Minuten", "minutes"),
        "speed": ("Gehtempo", "Walking speed"),
        "speed_normal": ("normal (4,5 km/h)", "normal (4.5 km/h)"),
        "speed_senior": ("langsam/Senioren (3,0 km/h)", "slow/seniors (3.0 km/h)"),
        "distance_hint": ("entspricht {m} m Luftlinie", "equals {m} m straight line"),
        "year": ("Jahr", "Year"),
        "group": ("Bevölkerungsgruppe", "Population group"),
        "level": ("Gebietsebene", "Area level"),
        "level_district": ("Stadtteile", "Districts"),
        "level_planning_area": ("Planungsräume", "Planning areas"),
        "proposal": ("Vorschlag", "proposal"),
        "layers": ("Kartenebenen", "Map layers"),
        "layer_facilities": ("Einrichtungen", "Facilities"),
        "layer_gaps": ("Versorgungslücken (Sechsecke)", "Gaps (hexagons)"),
        "layer_change": ("Demografischer Wandel statt Versorgung", "Demographic change overlay"),
        "layer_upload": ("Eigene Einrichtungen (Upload)", "Own facilities (upload)"),
        "change_years": ("Wandel: Jahre", "Change: years"),
        "play": ("▶ Jahre abspielen", "▶ Play years"),
        "pause": ("⏸ Anhalten", "⏸ Pause"),
        "basemap": ("Hintergrundkarte", "Basemap"),
        "distance_mode": ("Entfernung messen", "Measure distance"),
        "mode_euclidean": ("Luftlinie", "Straight line"),
        "mode_network": ("entlang des Fußwegenetzes", "along the walking network"),
        "mode_network_short": ("Fußweg (Netz)", "walk (network)"),
        "basemap_none": ("ohne (offline)", "none (offline)"),
        "basemap_osm": ("OpenStreetMap (online)", "OpenStreetMap (online)"),
        "settings": ("Weitere Einstellungen", "More settings"),
        # map
        "map_label": ("Karte", "Map"),
        "legend_share": (
            "Anteil der Einwohner, die {cats} in {d} erreichen (%)",
            "Share of residents reaching {cats} within {d} (%)",
        ),
        "legend_share_short": ("Versorgt (%)", "Covered (%)"),
        "legend_change": (
            "Veränderung {group} {y0}–{y1} (%)",
            "Change {group} {y0}–{y1} (%)",
        ),
        "legend_change_short": ("Veränderung (%)", "Change (%)"),
        "legend_gaps": (
            "Sechsecke: nicht versorgte Einwohner (Schätzung)",
            "Hexagons: residents not covered (estimate)",
        ),
        "legend_facilities": ("Punkte: Einrichtungen nach Angebot", "Dots: facilities by service"),
        "legend_hidden": (
            "Grau: weniger als {n} Einwohner – kein Anteil ausgewiesen",
            "Grey: fewer than {n} residents – no share shown",
        ),
        "all_selected": ("alle gewählten Angebote", "all selected services"),
        "no_category": (
            "Bitte mindestens ein Angebot wählen.",
            "Please choose at least one service.",
        ),
        "source_line": ("Quellen: {sources}. Stand: {date}.", "Sources: {sources}. Date: {date}."),
        "source_unknown": ("ohne Angabe", "not stated"),
        "hover_area_share": (
            "%{customdata[0]}<br>Versorgt: %{customdata[1]}<br>Einwohner: %{customdata[2]}",
            "%{customdata[0]}<br>Covered: %{customdata[1]}<br>Residents: %{customdata[2]}",
        ),
        "hover_area_change": (
            "%{customdata[0]}<br>Veränderung: %{customdata[1]}<br>%{customdata[2]}",
            "%{customdata[0]}<br>Change: %{customdata[1]}<br>%{customdata[2]}",
        ),
        "hover_gap": (
            "Nicht versorgt: %{customdata[0]} von %{customdata[1]} Einw.",
            "Not covered: %{customdata[0]} of %{customdata[1]} residents",
        ),
        "hidden_value": ("< {n} Einw. (ausgeblendet)", "< {n} residents (hidden)"),
        "table_toggle": ("Tabelle zur Karte", "Table of the map"),
        "area": ("Gebiet", "Area"),
        "residents": ("Einwohner", "Residents"),
        "covered": ("Versorgt", "Covered"),
        "share_pct": ("Anteil (%)", "Share (%)"),
        "change_pct": ("Veränderung (%)", "Change (%)"),
        "city": ("Stadt gesamt", "Whole city"),
        "compare_title_left": ("Versorgung", "Coverage"),
        "compare_title_right": ("Demografischer Wandel", "Demographic change"),
        # profile
        "profile_hint": (
            "Klicken Sie auf ein Gebiet in der Karte, um sein Profil zu öffnen.",
            "Click an area on the map to open its profile.",
        ),
        "close": ("Schließen", "Close"),
        "area_choose": ("Gebiet wählen …", "Choose an area …"),
        "profile_population": ("Bevölkerung", "Population"),
        "profile_trend": ("Entwicklung {group}", "Trend {group}"),
        "profile_age": ("Altersstruktur {year}", "Age structure {year}"),
        "profile_coverage": ("Versorgung je Angebot", "Coverage per service"),
        "profile_facilities": ("Einrichtungen im Gebiet", "Facilities in the area"),
        "profile_need": ("Bedarfsindex", "Need index"),
        "profile_programme": ("Programme", "Programmes"),
        "profile_sources": ("Quellen", "Sources"),
        "profile_none": ("keine", "none"),
        "profile_no_programme": (
            "Keine Programmdaten im Datensatz.",
            "No programme data in the dataset.",
        ),
        "profile_need_rank": (
            "Rang {rank} von {n} (Wert {score}; höher = mehr Bedarf)",
            "Rank {rank} of {n} (score {score}; higher = more need)",
        ),
        "profile_need_missing": (
            "Bedarfsindex nicht berechenbar: {reason}",
            "Need index not available: {reason}",
        ),
        "area_value": ("Gebiet", "Area"),
        "city_average": ("Stadtdurchschnitt", "City average"),
        "since": ("seit", "since"),
        "name": ("Name", "Name"),
        "subcategory": ("Art", "Type"),
        "address": ("Adresse", "Address"),
        "distance_m": ("Entfernung", "Distance"),
        # scenario
        "scenario_title": ("Was wäre wenn?", "What if?"),
        "scenario_help": (
            "Wählen Sie ein Angebot und klicken Sie in die Karte, um eine geplante Einrichtung "
            "zu setzen. Ein Klick auf eine bestehende Einrichtung schaltet sie ab oder wieder an.",
            "Choose a service and click the map to place a planned facility. Clicking an existing "
            "facility switches it off or on again.",
        ),
        "scenario_category": (
            "Angebot der geplanten Einrichtung",
            "Service of the planned facility",
        ),
        "scenario_clear": ("Szenario leeren", "Clear scenario"),
        "scenario_empty": (
            "Noch keine Änderung. Klicken Sie in die Karte.",
            "No change yet. Click the map.",
        ),
        "scenario_summary": (
            "{added} geplant, {removed} abgeschaltet: {gain} Einwohner mehr versorgt "
            "({before} → {after})",
            "{added} planned, {removed} switched off: {gain} more residents covered "
            "({before} → {after})",
        ),
        "gain": ("Zugewinn (Prozentpunkte)", "Gain (percentage points)"),
        "before": ("vorher (%)", "before (%)"),
        "after": ("nachher (%)", "after (%)"),
        "planned": ("Geplant", "Planned"),
        "switched_off": ("abgeschaltet", "switched off"),
        "suggest_title": ("Vorschläge für Standorte", "Suggested sites"),
        "suggest_k": ("Anzahl Standorte", "Number of sites"),
        "suggest_button": ("Vorschläge berechnen", "Suggest sites"),
        "suggest_row": ("Standort {i}: +{gain} Einwohner", "Site {i}: +{gain} residents"),
        "suggest_take": ("Alle Vorschläge ins Szenario übernehmen", "Add all to the scenario"),
        # coordinator
        "coord_title": ("Angebote in der Nähe", "Services nearby"),
        "coord_help": (
            "Adresse eingeben, in die Karte klicken oder den eigenen Standort verwenden.",
            "Type an address, click the map, or use your location.",
        ),
        "address_placeholder": ("Adresse suchen …", "Search address …"),
        "geolocate": ("Mein Standort", "My location"),
        "geo_denied": (
            "Standort nicht verfügbar: {reason}",
            "Location not available: {reason}",
        ),
        "geo_outside": (
            "Der Standort liegt außerhalb des Stadtgebiets.",
            "The location is outside the city.",
        ),
        "coord_nearest": ("Nächstes Angebot je Art", "Nearest service per type"),
        "coord_within": ("Innerhalb von {d}", "Within {d}"),
        "coord_missing": (
            "Innerhalb von {d} fehlt: {cats}",
            "Missing within {d}: {cats}",
        ),
        "coord_all_there": (
            "Alle gewählten Angebote sind in {d} erreichbar.",
            "All selected services are within {d}.",
        ),
        "coord_print": ("Liste drucken", "Print list"),
        "coord_location": ("Standort", "Location"),
        "coord_none": ("keine Einrichtung im Datensatz", "no facility in the dataset"),
        "walk_min": ("ca. {min} Min. zu Fuß", "about {min} min walk"),
        # upload
        "upload_title": ("Eigene Einrichtungsliste", "Your own facility list"),
        "upload_help": (
            "CSV, GeoJSON, GeoPackage oder gezipptes Shapefile (höchstens {mb} MB). Spalten: "
            "name, category ({cats}), lat/lon oder x/y.",
            "CSV, GeoJSON, GeoPackage or zipped Shapefile (at most {mb} MB). Columns: "
            "name, category ({cats}), lat/lon or x/y.",
        ),
        "upload_drop": ("Datei hierher ziehen oder auswählen", "Drop a file here or choose one"),
        "upload_ok": (
            "{n} Einrichtungen geladen und gespeichert ({file}).",
            "{n} facilities loaded and saved ({file}).",
        ),
        "upload_errors": (
            "Die Datei wurde nicht übernommen – {n} Fehler:",
            "The file was not taken over – {n} error(s):",
        ),
        "upload_too_big": (
            "Die Datei ist zu groß ({size} MB, höchstens {mb} MB).",
            "The file is too large ({size} MB, at most {mb} MB).",
        ),
        "upload_type": (
            "Dateityp nicht unterstützt: erlaubt sind .csv, .geojson, .json, .gpkg, .zip.",
            "File type not supported: allowed are .csv, .geojson, .json, .gpkg, .zip.",
        ),
        "upload_warnings": ("Hinweise:", "Notes:"),
        # notes & methods
        "notes_title": ("Datenstand und Hinweise", "Data status and notes"),
        "notes_seed": (
            "Die mitgelieferte Einrichtungsliste ist eine echte, aber unvollständige Startliste. "
            "Aktuelle Daten holen Sie mit „quartiersatlas fetch“; die eigene Liste der Stadt "
            "importieren Sie über „Eigene Einrichtungsliste“ oder den Datensatz "
            "(„quartiersatlas validate“).",
            "The bundled facility list is a real but incomplete seed list. Fetch current data "
            "with `quartiersatlas fetch`; import the city's own list via “Your own facility "
            "list” or the dataset (`quartiersatlas validate`).",
        ),
        "notes_unlocated": (
            "{n} Einrichtungen ohne Koordinaten sind nicht auf der Karte.",
            "{n} facilities without coordinates are not on the map.",
        ),
        "methods_title": ("Methoden", "Methods"),
        "methods_text": (
            "Versorgt ist, wer die nächste Einrichtung eines Angebots innerhalb der gewählten "
            "Entfernung erreicht (Luftlinie im metrischen Koordinatensystem, oder entlang des "
            "Fußwegenetzes, wenn der Datensatz eines hat). Minuten werden mit dem gewählten "
            "Gehtempo in Meter umgerechnet: normal 4,5 km/h (75 m/min), langsam bzw. Senioren "
            "3,0 km/h (50 m/min). Einwohner werden auf Adresspunkte (oder ein 100-m-Raster) "
            "verteilt, sodass jede Summe je Stadtteil der amtlichen Zahl entspricht. Mehrere "
            "Angebote: Anteil der Einwohner, die alle gewählten Angebote erreichen. Gebiete mit "
            "weniger als {n} Einwohnern zeigen keinen Anteil. Die Sechsecke zeigen, wo nicht "
            "versorgte Einwohner wohnen (geschätzt). Der demografische Wandel ist die "
            "Veränderung der Einwohnerzahl einer Gruppe zwischen zwei Jahren in Prozent. "
            "Standortvorschläge maximieren die neu versorgten Einwohner (MCLP).",
            "A resident is covered when the nearest facility of a service is within the chosen "
            "distance (straight line in the metric CRS, or along the walking network when the "
            "dataset has one). Minutes are converted to metres at the chosen walking speed: "
            "normal 4.5 km/h (75 m/min), slow or seniors 3.0 km/h (50 m/min). Residents are "
            "spread over address points (or a 100 m grid) so that each district sums to the "
            "official figure. Several services: share of residents reaching all of them. Areas "
            "with fewer than {n} residents show no share. Hexagons show where uncovered "
            "residents live (estimate). Demographic change is a group's change between two "
            "years in percent. Suggested sites maximise newly covered residents (MCLP).",
        ),
        # exports
        "export_title": ("Exportieren", "Export"),
        "export_page": ("Seite", "Page"),
        "export_png": ("Karte als PNG", "Map as PNG"),
        "export_pdf": ("Karte als PDF", "Map as PDF"),
        "export_profile": ("Profil als PDF", "Profile as PDF"),
        "export_profile_hint": (
            "Für das Profil zuerst ein Gebiet wählen.",
            "Choose an area first for its profile.",
        ),
        "export_csv": ("Tabelle als CSV", "Table as CSV"),
        "export_xlsx": ("Tabelle als XLSX", "Table as XLSX"),
        "export_busy": ("Export wird erstellt …", "Preparing the export …"),
        "export_done": ("Heruntergeladen: {name}", "Downloaded: {name}"),
        "area_id": ("Gebiets-ID", "Area ID"),
        # dcc.Dropdown's own texts (its search box says "Search" otherwise)
        "dd_search": ("Suchen", "Search"),
        "dd_clear_search": ("Suche löschen", "Clear search"),
        "dd_clear_selection": ("Auswahl löschen", "Clear selection"),
        "dd_no_options_found": ("Keine Treffer", "No options found"),
        "dd_select_all": ("Alle auswählen", "Select all"),
        "dd_deselect_all": ("Keine auswählen", "Deselect all"),
        "dd_selected_count": ("{num_selected} ausgewählt", "{num_selected} selected"),
        "error": ("Fehler: {msg}", "Error: {msg}"),
        "job_queue": (
            "Warteschlange: Platz {n}. Der Auftrag startet, sobald ein Platz frei ist.",
            "Queue: position {n}. The job starts as soon as a slot is free.",
        ),
        "job_busy": (
            "Der Server ist gerade ausgelastet. Bitte in einer Minute erneut versuchen.",
            "The server is busy right now. Please try again in a minute.",
        ),
        "job_rate": (
            "Zu viele Aufträge in der letzten Minute. Bitte kurz warten.",
            "Too many jobs in the last minute. Please wait a moment.",
        ),
        "licence": ("Lizenz", "Licence"),
    }
)


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """Return the text ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``.

    Raises
    ------
    KeyError
        If ``key`` is not in :data:`TEXT`.

    Examples
    --------
    >>> t("year", "en")
    'Year'
    >>> t("distance_hint", "de", m="300")
    'entspricht 300 m Luftlinie'
    """
    de, en = TEXT[key]
    text = en if lang == "en" else de
    return text.format(**values) if values else text


DROPDOWN_LABEL_KEYS: tuple[str, ...] = (
    "search",
    "clear_search",
    "clear_selection",
    "no_options_found",
    "select_all",
    "deselect_all",
    "selected_count",
)
"""Keys of ``dcc.Dropdown(labels=...)`` (Dash 4); each is ``dd_<key>`` in :data:`TEXT`."""


def dropdown_labels(lang: str = DEFAULT_LANG) -> dict[str, str]:
    """The ``labels`` of a ``dcc.Dropdown`` in ``lang`` (search box placeholder and the like).

    Examples
    --------
    >>> dropdown_labels("de")["search"]
    'Suchen'
    """
    # {num_selected} is filled in by the component, so the text is taken unformatted
    return {key: t(f"dd_{key}", lang) for key in DROPDOWN_LABEL_KEYS}


def check_lang(lang: object) -> str:
    """Return ``lang`` if it is a supported language, else the default (German)."""
    return lang if lang in LANGS else DEFAULT_LANG  # type: ignore[return-value]


def fmt_number(value: float | int | None, lang: str = DEFAULT_LANG, *, decimals: int = 0) -> str:
    """Format a number with the locale's decimal and thousands marks; ``–`` for missing.

    Examples
    --------
    >>> fmt_number(12345.678, "de", decimals=1)
    '12.345,7'
    >>> fmt_number(12345.678, "en", decimals=1)
    '12,345.7'
    >>> fmt_number(float("nan"))
    '–'
    """
    if value is None:
        return "–"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(number):
        return "–"
    decimal, thousands = _MARKS[check_lang(lang)]
    text = f"{number:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def fmt_percent(
    fraction: float | None, lang: str = DEFAULT_LANG, *, decimals: int = 1, sign: bool = False
) -> str:
    """Format a fraction (0…1) as a percentage for the locale (``"45,3 %"`` / ``"45.3%"``).

    Examples
    --------
    >>> fmt_percent(0.4531, "de")
    '45,3 %'
    >>> fmt_percent(0.05, "en", sign=True)
    '+5.0%'
    """
    if fraction is None or not math.isfinite(float(fraction)):
        return "–"
    number = float(fraction) * 100.0
    text = fmt_number(abs(number), lang, decimals=decimals)
    prefix = "-" if number < 0 and text.strip("0,.") else ("+" if sign and number > 0 else "")
    return f"{prefix}{text} %" if check_lang(lang) == "de" else f"{prefix}{text}%"


def fmt_distance(metres: float, lang: str = DEFAULT_LANG) -> str:
    """Format a distance: metres below 1 km, else km with one decimal (``"1,2 km"``).

    Examples
    --------
    >>> fmt_distance(450)
    '450 m'
    >>> fmt_distance(1234, "en")
    '1.2 km'
    """
    if metres is None or not math.isfinite(float(metres)):
        return "–"
    if metres < 1000:
        return f"{fmt_number(round(float(metres) / 10) * 10, lang)} m"
    return f"{fmt_number(float(metres) / 1000, lang, decimals=1)} km"


def label(item: object, lang: str) -> str:
    """Label of a catalogue item (category or group) with ``label_de``/``label_en`` in ``lang``.

    Examples
    --------
    >>> from layers.catalogue import default_group
    >>> label(default_group("under_18"), "en")
    'under 18 years'
    """
    item_id = getattr(item, "id", "")
    de = getattr(item, "label_de", "") or item_id
    en = getattr(item, "label_en", "") or de
    return en if lang == "en" else de
