"""All user-facing strings of the dashboard (German default, English) and locale number formats.

Every text of the interface is in :data:`TEXT` as ``key -> (de, en)``; :func:`t` looks one up.
Numbers are formatted by :func:`fmt_number` with the locale's decimal and thousands marks
(German ``1.234,5``, English ``1,234.5``). Babel is not a dependency: the two locales the app
speaks need only these two marks, so a small formatter keeps the app light.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

from layers.sources import SourceSummary, source_summary

LANGS: tuple[str, ...] = ("de", "en")
DEFAULT_LANG = "de"

_MARKS = MappingProxyType({"de": (",", "."), "en": (".", ",")})
"""Per language: (decimal mark, thousands separator)."""

_DATE_FORMATS = MappingProxyType({"de": "%d.%m.%Y", "en": "%Y-%m-%d"})
"""Per language: how a calendar date is written."""

_PERCENT_SIGN = MappingProxyType({"de": " %", "en": "%"})
"""Per language: the percent sign after the number (German sets a space before it)."""

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
        "proposal": ("Vorschlag", "proposal"),
        "layers": ("Kartenebenen", "Map layers"),
        "layer_facilities": ("Einrichtungen", "Facilities"),
        "layer_gaps": ("Versorgungslücken (Sechsecke)", "Gaps (hexagons)"),
        "layer_change": ("Demografischer Wandel statt Versorgung", "Demographic change overlay"),
        "layer_upload": ("Eigene Einrichtungen (Upload)", "Own facilities (upload)"),
        "change_years": ("Wandel: Jahre", "Change: years"),
        "play": ("▶ Jahre abspielen", "▶ Play years"),
        "pause": ("Anhalten", "Pause"),
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
        "legend_gaps_short": ("Einw.", "Residents"),
        "min_short": ("Min.", "min"),
        "level_empty": (
            "Die Ebene „{level}“ hat in diesem Datensatz keine Gebiete: {note}",
            "The level “{level}” has no areas in this dataset: {note}",
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
        "source_created": ("Erstellt: {date}", "Created: {date}"),
        "yes": ("ja", "yes"),
        "no": ("nein", "no"),
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
        "compare_title_change": (
            "Demografischer Wandel: {change}",
            "Demographic change: {change}",
        ),
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
        "component": ("Komponente", "Component"),
        "value": ("Wert", "Value"),
        "weight": ("Gewicht", "Weight"),
        # results of layers/ rendered as text (profile and need index: ids -> sentences)
        "proposal_name": ("{name} (Vorschlag)", "{name} (proposal)"),
        "planning_area_official": ("Zuordnung der Stadt", "the city's mapping"),
        "projection_label": (
            "Trendfortschreibung, keine amtliche Prognose",
            "trend projection, not an official forecast",
        ),
        "group_under_6": (
            "unter 6 Jahre (Summe aus unter 3 und 3 bis unter 6)",
            "under 6 years (sum of under 3 and 3 to under 6)",
        ),
        "group_under_18": (
            "unter 18 Jahre (Summe der Altersgruppen unter 18)",
            "under 18 years (sum of the age groups under 18)",
        ),
        "note_population_projected": (
            "Bevölkerung {year}: {projection}",
            "Population {year}: {projection}",
        ),
        "note_planning_areas_proposal": (
            "Die Planungsgebiete sind ein berechneter Vorschlag, keine amtliche Zuordnung.",
            "The planning areas are a computed proposal, not an official mapping.",
        ),
        "note_facilities_located_only": (
            "Zählt nur Einrichtungen mit Koordinaten innerhalb des Gebiets.",
            "Counts only facilities with coordinates inside the area.",
        ),
        "note_coverage_not_computed": ("Versorgung nicht berechnet", "Coverage not computed"),
        "note_no_comparison_year": (
            "kein Vergleichsjahr vor {year}",
            "no comparison year before {year}",
        ),
        "note_group_missing": (
            "Gruppe '{group}' nicht in den Daten",
            "group '{group}' not in the data",
        ),
        "note_group_no_values": (
            "Gruppe '{group}' hat keine Werte für {year_from} und {year_to} "
            "(Jahre mit Werten: {years})",
            "group '{group}' has no values for {year_from} and {year_to} "
            "(years with values: {years})",
        ),
        "note_areas_without_value": ("{n} Gebiet(e) ohne Wert", "{n} area(s) without a value"),
        "note_change_no_values": (
            "Keine Veränderung für „{group}“: keine Werte für {missing} (Jahre mit Werten: {years})",
            "No change for “{group}”: no values for {missing} (years with values: {years})",
        ),
        "note_coverage_no_values": (
            "keine Versorgungswerte für diese Kategorie",
            "no coverage values for this category",
        ),
        "note_coverage_no_facility": (
            "keine Einrichtung dieser Kategorie erreichbar (fehlt in den Daten)",
            "no facility of this category within reach (missing from the data)",
        ),
        "years_none": ("keine", "none"),
        "need_growth_under_6": (
            "Veränderung Kinder unter 6 Jahren (%)",
            "Change in children under 6 (%)",
        ),
        "need_growth_under_18": (
            "Veränderung Kinder und Jugendliche unter 18 Jahren (%)",
            "Change in children and young people under 18 (%)",
        ),
        "need_growth_65_plus": (
            "Veränderung Menschen ab 65 Jahren (%)",
            "Change in people aged 65 and over (%)",
        ),
        "need_growth_total": (
            "Veränderung Gesamtbevölkerung (%)",
            "Change in total population (%)",
        ),
        "need_growth": ("Veränderung {group} (%)", "Change in {group} (%)"),
        "measure_stadtteilkoordination": ("Stadtteilkoordination", "District coordination"),
        "measure_buergerzentrum": (
            "Bürgerzentrum / Stadtteilhaus",
            "Community centre / neighbourhood house",
        ),
        "need_uncovered": (
            "Anteil nicht versorgter Einwohner, {category} (%)",
            "Share of residents not covered, {category} (%)",
        ),
        # scenario
        "scenario_title": ("Was wäre wenn?", "What if?"),
        "scenario_help": (
            "Wählen Sie das Angebot der geplanten Einrichtung (die Karte zeigt dann dessen "
            "Versorgung) und klicken Sie in die Karte, um sie zu setzen. Ein Klick auf eine "
            "gezeigte Einrichtung schaltet sie ab oder wieder an.",
            "Choose the service of the planned facility (the map then shows its coverage) and "
            "click the map to place it. Clicking a facility on the map switches it off or on "
            "again.",
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
        "before": ("vorher (%)", "before (%)"),
        "after": ("nachher (%)", "after (%)"),
        "planned": ("Geplant", "Planned"),
        "switched_off": ("abgeschaltet", "switched off"),
        # legend entries of the markers on an exported map
        "marker_added": ("Geplante Einrichtung", "Planned facility"),
        "marker_removed": ("Abgeschaltete Einrichtung", "Switched-off facility"),
        "marker_suggested": ("Vorgeschlagener Standort", "Suggested site"),
        "marker_location": ("Gewählter Standort", "Chosen location"),
        "marker_upload": ("Hochgeladener Punkt", "Uploaded point"),
        "suggest_title": ("Vorschläge für Standorte", "Suggested sites"),
        "suggest_k": ("Anzahl Standorte", "Number of sites"),
        "suggest_button": ("Vorschläge berechnen", "Suggest sites"),
        "suggest_row": (
            "Standort {i}: +{gain} Einwohner zusätzlich versorgt",
            "Site {i}: +{gain} more residents covered",
        ),
        "suggest_take": ("Alle Vorschläge ins Szenario übernehmen", "Add all to the scenario"),
        # what-if
        "whatif_gain": ("{n} Einwohner zusätzlich versorgt", "{n} more residents covered"),
        "whatif_loss": ("{n} Einwohner verlieren die Versorgung", "{n} residents lose coverage"),
        "whatif_no_change": ("keine Änderung der Versorgung", "no change in coverage"),
        "whatif_counts": (
            "{added} geplant, {removed} abgeschaltet",
            "{added} planned, {removed} switched off",
        ),
        "whatif_all_selected": (
            "Alle gewählten Angebote zusammen",
            "All selected services together",
        ),
        "whatif_col_shares": ("Versorgt vorher → nachher", "Covered before → after"),
        "whatif_pp": ("{n} Prozentpunkte", "{n} percentage points"),
        "whatif_col_residents": ("Änderung (Einwohner)", "Change (residents)"),
        "whatif_planned_not_counted": (
            "{n} geplante Einrichtung(en) eines Angebots, das die Karte nicht zeigt ({cats}), "
            "zählen hier nicht mit. Wählen Sie das Angebot aus, um ihre Wirkung zu sehen.",
            "{n} planned facilities of a service the map does not show ({cats}) are not "
            "counted here. Choose that service to see their effect.",
        ),
        "whatif_siting_greedy": (
            "Schrittweise berechnet: Jeder Standort erreicht die meisten noch nicht versorgten "
            "Einwohner; das Ergebnis liegt bei mindestens {bound} des bestmöglichen Zugewinns. "
            "Geprüft wurden {candidates} mögliche Standorte (Rasterzellen von {cell} m, in "
            "denen Menschen wohnen).",
            "Computed step by step: each site reaches the most residents not yet covered; the "
            "result is at least {bound} of the best possible gain. {candidates} possible sites "
            "were checked (grid cells of {cell} m where people live).",
        ),
        "whatif_siting_mclp": (
            "Exakt optimiert über die {offered} aussichtsreichsten von {candidates} möglichen "
            "Standorten (Rasterzellen von {cell} m, in denen Menschen wohnen), mit dem "
            "schrittweisen Verfahren gegengeprüft.",
            "Optimised exactly over the {offered} most promising of {candidates} possible sites "
            "(grid cells of {cell} m where people live), checked against the step-by-step "
            "method.",
        ),
        "whatif_siting_greedy_won": (
            "Das schrittweise Verfahren erreichte mehr Einwohner als die exakte Optimierung "
            "über die {offered} aussichtsreichsten von {candidates} möglichen Standorten "
            "(Rasterzellen von {cell} m); sein Ergebnis wird gezeigt.",
            "The step-by-step method reached more residents than the exact optimisation over "
            "the {offered} most promising of {candidates} possible sites (grid cells of "
            "{cell} m); its result is shown.",
        ),
        "whatif_note_unknown": (
            "Zu dieser Berechnung gibt es einen Hinweis ohne Übersetzung.",
            "This calculation has a note without a translation.",
        ),
        "whatif_no_district": ("außerhalb der Stadtteile", "outside the districts"),
        "whatif_near_address": (
            "nächste Adresse: {address} ({m}\u00a0m)",
            "nearest address: {address} ({m}\u00a0m)",
        ),
        "whatif_no_address": (
            "keine Adresse in der Nähe (Adressdaten des Datensatzes)",
            "no address nearby (the dataset's address data)",
        ),
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
        "coord_map_point": (
            "Punkt auf der Karte ({lat}, {lon})",
            "Point on the map ({lat}, {lon})",
        ),
        "coord_print_title": (
            "Quartiersatlas: Angebote in der Nähe",
            "Quartiersatlas: services nearby",
        ),
        "coord_rule": ("Fußweg {d}, Gehtempo {speed}.", "Walking distance {d}, pace {speed}."),
        "coord_straight_line": (
            "Entfernungen und Minuten in Luftlinie; der echte Weg ist meist länger.",
            "Distances and minutes as the crow flies; the real walk is usually longer.",
        ),
        "coord_straight_short": ("Luftlinie", "straight line"),
        "coord_printed": ("Stand der Liste: {date}", "List as of {date}"),
        "coord_unnamed": ("{kind} (ohne Namen in der Quelle)", "{kind} (no name in the source)"),
        "coord_unnamed_plain": ("Einrichtung ohne Namen", "Unnamed facility"),
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
        "upload_undecodable": (
            "Die Datei konnte nicht gelesen werden.",
            "The upload could not be decoded.",
        ),
        "upload_no_points": (
            "Die Datei enthält keine Einrichtung mit Koordinaten.",
            "The file holds no facility with coordinates.",
        ),
        "upload_zip_unreadable": (
            "Die ZIP-Datei kann nicht gelesen werden.",
            "The zip file cannot be read.",
        ),
        "upload_zip_members": (
            "Die ZIP-Datei enthält {n} Dateien; höchstens {max} sind erlaubt.",
            "The zip file holds {n} files; at most {max} are allowed.",
        ),
        "upload_zip_shp": (
            "Die ZIP-Datei muss genau ein Shapefile (.shp mit .shx, .dbf, .prj) enthalten.",
            "The zip file must hold exactly one .shp file (with .shx, .dbf, .prj).",
        ),
        "upload_zip_too_big": (
            "Die Dateien in der ZIP-Datei sind entpackt zu groß (mehr als {size} MB, "
            "höchstens {mb} MB).",
            "The files in the zip are too large unpacked (more than {size} MB, at most {mb} MB).",
        ),
        "upload_too_many_rows": (
            "Die Datei hat {n} Zeilen; höchstens {max} sind erlaubt. Bitte aufteilen.",
            "The file has {n} rows; at most {max} are allowed. Please split it.",
        ),
        "upload_too_many_vertices": (
            "Die Datei hat bis zu {n} Koordinatenpaare; höchstens {max} sind erlaubt.",
            "The file has up to {n} coordinate pairs; at most {max} are allowed.",
        ),
        "upload_quota_files": (
            "Ihr Arbeitsbereich ist voll (höchstens {max} Dateien). Bitte zuerst eine löschen.",
            "Your workspace is full (at most {max} files). Please delete one first.",
        ),
        "upload_quota_bytes": (
            "Ihr Arbeitsbereich ist voll (höchstens {max} MB). Bitte zuerst eine Datei löschen.",
            "Your workspace is full (at most {max} MB). Please delete a file first.",
        ),
        # workspace
        "ws_title": ("Mein Arbeitsbereich", "My workspace"),
        "ws_private": (
            "Nur in diesem Browser sichtbar; nach {days} Tagen ohne Nutzung gelöscht.",
            "Visible only in this browser; deleted after {days} days without use.",
        ),
        "ws_user": ("Angemeldet als {user}.", "Signed in as {user}."),
        "ws_uploads": ("Hochgeladene Listen", "Uploaded lists"),
        "ws_no_uploads": ("Noch keine hochgeladene Liste.", "No uploaded list yet."),
        "ws_upload_count": ("{n} Einrichtungen", "{n} facilities"),
        "ws_name": ("Name", "Name"),
        "ws_delete": ("Löschen", "Delete"),
        "ws_download": ("Herunterladen", "Download"),
        "ws_scenarios": ("Gespeicherte Szenarien", "Saved scenarios"),
        "ws_no_scenarios": ("Noch kein gespeichertes Szenario.", "No saved scenario yet."),
        "ws_scenario_name": ("Name des Szenarios", "Scenario name"),
        "ws_save": ("Aktuelle Ansicht speichern", "Save current view"),
        "ws_saved": ("Gespeichert: {name}", "Saved: {name}"),
        "ws_open": ("Öffnen", "Open"),
        "ws_share": ("Link zum Teilen", "Share link"),
        "ws_unshare": ("Teilen beenden", "Stop sharing"),
        "ws_share_hint": (
            "Wer diesen Link hat, kann dieses Szenario ansehen (nur dieses):",
            "Anyone with this link can view this scenario (only this one):",
        ),
        "ws_deleted": ("Gelöscht.", "Deleted."),
        "ws_renamed": ("Umbenannt.", "Renamed."),
        "ws_name_empty": (
            "Bitte einen Namen eingeben (1 bis 80 Zeichen).",
            "Please enter a name (1 to 80 characters).",
        ),
        "ws_quota_scenarios": (
            "Höchstens {max} Szenarien; bitte zuerst eines löschen.",
            "At most {max} scenarios; please delete one first.",
        ),
        "ws_unavailable": (
            "Der Arbeitsbereich ist gerade nicht erreichbar. Bitte später erneut versuchen.",
            "The workspace is not available right now. Please try again later.",
        ),
        # notes & methods
        "notes_title": ("Datenstand und Hinweise", "Data status and notes"),
        "notes_seed": (
            "Die mitgelieferte Einrichtungsliste ist eine echte, aber unvollständige Startliste: "
            "Anteile und Lücken unterschätzen das tatsächliche Angebot. Eine eigene, "
            "vollständigere Liste können Sie unter „Eigene Einrichtungsliste“ hochladen; wie "
            "die Daten der Stadt dauerhaft eingebunden werden, beschreibt die Dokumentation.",
            "The bundled facility list is a real but incomplete seed list: shares and gaps "
            "understate what is really there. Upload a fuller list of your own under “Your own "
            "facility list”; the documentation describes how to add the city's data for good.",
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
        # words of export file names (lower case, no spaces)
        "file_map": ("karte", "map"),
        "file_change": ("wandel", "change"),
        "file_profile": ("profil", "profile"),
        "file_table": ("tabelle", "table"),
        "file_coverage": ("versorgung", "coverage"),
        # the one-page profile sheet (PDF)
        "sheet_profile": ("Gebietsprofil", "Area profile"),
        "sheet_district": ("Stadtteil", "District"),
        "sheet_planning_area": ("Planungsgebiet", "Planning area"),
        "sheet_year": ("Jahr", "Year"),
        "sheet_walk": ("Fußweg", "walking distance"),
        "sheet_residents": ("Einwohner", "Residents"),
        "sheet_planning": ("Planungsgebiet", "Planning area"),
        "sheet_coordinator": ("Koordination", "Coordinator"),
        "sheet_programme": ("Programm", "Programme"),
        "sheet_need": ("Bedarfsindex", "Need index"),
        "sheet_rank": ("Rang {rank} von {of}", "rank {rank} of {of}"),
        "sheet_need_note": ("höher = mehr Bedarf; {a}–{b}", "higher = more need; {a}–{b}"),
        "sheet_since": ("seit", "since"),
        "sheet_none": ("keine Angabe", "none recorded"),
        "sheet_coverage": ("Versorgung im Fußweg von {r} m", "Coverage within {r} m walk"),
        "sheet_category": ("Angebot", "Service"),
        "sheet_covered_pct": ("versorgt (%)", "covered (%)"),
        "sheet_city_pct": ("Stadt (%)", "city (%)"),
        "sheet_facilities": ("Einrichtungen je Angebot", "Facilities per service"),
        "sheet_count": ("Anzahl", "count"),
        "sheet_per_1000": ("je 1.000 EW", "per 1,000 res."),
        "sheet_city_per_1000": ("Stadt je 1.000", "city per 1,000"),
        "sheet_age": ("Altersstruktur {y}", "Age structure {y}"),
        "sheet_group": ("Gruppe", "Group"),
        "sheet_share_pct": ("Anteil (%)", "share (%)"),
        "sheet_change": ("Bevölkerungsentwicklung", "Population change"),
        "sheet_period": ("Zeitraum", "period"),
        "sheet_change_pct": ("Veränderung (%)", "change (%)"),
        "sheet_components": ("Bedarfsindex: Bestandteile", "Need index: components"),
        "sheet_component": ("Bestandteil", "Component"),
        "sheet_value": ("Wert", "value"),
        "sheet_normalised": ("normiert (0–1)", "normalised (0–1)"),
        "sheet_weight": ("Gewicht", "weight"),
        "sheet_list": ("Einrichtungen im Gebiet", "Facilities in the area"),
        "sheet_name": ("Name", "Name"),
        "sheet_address": ("Adresse", "Address"),
        "sheet_missing": ("ohne Wert: {groups}", "no value: {groups}"),
        "sheet_trend": ("Einwohner je Jahr", "Residents per year"),
        # exports
        "note_population_jump": (
            "Sprung in der Einwohnerzahl {year_from}–{year_to}: {change_pct:+d} % in einem Jahr. "
            "Die Werte sind unverändert gezeigt; ein so großer Schritt ist oft ein Bruch in der "
            "Statistik (etwa eine Gebietsänderung oder eine Erstaufnahmeeinrichtung).",
            "Jump in the number of residents {year_from}–{year_to}: {change_pct:+d} % in one "
            "year. The values are shown unchanged; a step this large is often a break in the "
            "statistics (such as a boundary change or a reception centre).",
        ),
        "note_population_jump_reverts": (
            "Sprung in der Einwohnerzahl {year_from}–{year_to}: {change_pct:+d} % in einem Jahr, "
            "im Jahr darauf großteils zurück. Die Werte sind unverändert gezeigt; ein solcher "
            "Schritt ist oft ein Bruch in der Statistik (etwa eine Erstaufnahmeeinrichtung).",
            "Jump in the number of residents {year_from}–{year_to}: {change_pct:+d} % in one "
            "year, largely reversed the year after. The values are shown unchanged; such a step "
            "is often a break in the statistics (such as a reception centre).",
        ),
        "measure_quartiersentwicklung_pilot": (
            "Pilotgebiet Soziale Quartiersentwicklung",
            "Pilot area of social neighbourhood development",
        ),
        "sheet_not_reached": ("nicht erreicht (EW)", "not reached (res.)"),
        "profile_not_reached": (
            "{category}: {share} versorgt · {n} Einwohner nicht erreicht",
            "{category}: {share} covered · {n} residents not reached",
        ),
        "sheet_status": ("Stand {date}", "as of {date}"),
        "sheet_locator": ("Lage in der Stadt", "Location in the city"),
        "export_running": ("Export wird erstellt …", "Preparing the export …"),
        "meta_sheet": ("Metadaten", "Metadata"),
        "meta_key": ("Angabe", "Item"),
        "meta_value": ("Wert", "Value"),
        "meta_table": ("Tabelle", "Table"),
        "meta_categories": ("Angebote", "Services"),
        "meta_rule": ("Regel bei mehreren Angeboten", "Rule for several services"),
        "meta_rule_all": ("alle gewählten Angebote", "all chosen services"),
        "meta_rule_each": ("je Angebot", "per service"),
        "meta_distance": ("Entfernung", "Distance"),
        "meta_distance_value": (
            "{m} m = {min} min bei {speed} km/h ({mode})",
            "{m} m = {min} min at {speed} km/h ({mode})",
        ),
        "meta_mode_straight": ("Luftlinie", "straight line"),
        "meta_mode_network": ("Fußwegenetz", "walking network"),
        "meta_year": ("Jahr (gewählt)", "Year (asked)"),
        "meta_year_used": ("Jahr (verwendet)", "Year (used)"),
        "meta_period": ("Zeitraum", "Period"),
        "meta_group": ("Bevölkerungsgruppe", "Population group"),
        "meta_level": ("Gebietsebene", "Area level"),
        "meta_scenario": ("Szenario", "Scenario"),
        "meta_scenario_none": ("keines (Bestand)", "none (existing facilities)"),
        "meta_scenario_value": (
            "{added} geplant, {removed} abgeschaltet",
            "{added} planned, {removed} switched off",
        ),
        "meta_created": ("Exportiert am", "Exported on"),
        "meta_sources": ("Quellen und Lizenzen", "Sources and licences"),
        "meta_completeness": ("Vollständigkeit", "Completeness"),
        "meta_completeness_text": (
            "Die Einrichtungsliste ist unvollständig: Anteile und Lücken unterschätzen das "
            "tatsächliche Angebot.",
            "The facility list is incomplete: shares and gaps understate what is really there.",
        ),
        "meta_csv_note": (
            "Metadaten dieser Tabelle: Datei {name}",
            "Metadata of this table: file {name}",
        ),
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
        # map orientation and legends
        "play_label": ("Jahre nacheinander abspielen", "Play the years one after another"),
        "pause_label": ("Abspielen anhalten", "Pause playing the years"),
        # honest parameters
        "require": ("Mehrere Angebote", "Several services"),
        "require_all": ("alle gewählten Angebote zugleich", "all selected services at once"),
        "require_each": ("je Angebot einzeln", "each service separately"),
        "rule_all": ("alle gewählten Angebote", "all selected services"),
        "rule_each": ("je Angebot", "each service"),
        "rule_all_cats": ("alle gewählten Angebote ({cats})", "all selected services ({cats})"),
        "title_share": (
            "Anteil der {group} ({year}), die {what} in {d} erreichen",
            "Share of {group} ({year}) reaching {what} within {d}",
        ),
        "title_share_each": (
            "Anteil der {group} ({year}), die {what} in {d} erreichen – je Angebot einzeln; "
            "Tabelle: {cats}",
            "Share of {group} ({year}) reaching {what} within {d} – each service separately; "
            "table: {cats}",
        ),
        "group_phrase_total": ("Einwohner", "residents"),
        "group_phrase_under_3": ("unter 3-Jährigen", "children under 3"),
        "group_phrase_3_to_6": ("3- bis unter 6-Jährigen", "children aged 3 to under 6"),
        "group_phrase_6_to_15": ("6- bis unter 15-Jährigen", "children aged 6 to under 15"),
        "group_phrase_15_to_18": ("15- bis unter 18-Jährigen", "young people aged 15 to under 18"),
        "group_phrase_0_to_19": ("0- bis 19-Jährigen", "residents aged 0 to 19"),
        "group_phrase_20_to_64": ("20- bis 64-Jährigen", "residents aged 20 to 64"),
        "group_phrase_65_plus": ("65-Jährigen und Älteren", "residents aged 65 and over"),
        "group_phrase_other": (
            "Einwohner der Gruppe „{label}“",
            "residents in the group “{label}”",
        ),
        "dist_m": ("{m} {how}", "{m} {how}"),
        "dist_min": (
            "{n} Min. bei {speed} km/h ({m} {how})",
            "{n} min at {speed} km/h ({m} {how})",
        ),
        "how_euclidean": ("Luftlinie", "straight-line"),
        "how_network": ("entlang des Fußwegenetzes", "along the walking network"),
        "col_residents": ("{group} ({year})", "{group} ({year})"),
        "col_share": ("{what} (%)", "{what} (%)"),
        "col_share_at": ("{what} in {d} (%)", "{what} within {d} (%)"),
        "col_uncovered": ("{what}: nicht erreicht", "{what}: not reached"),
        "colorbar_share": ("{what} (%)", "{what} (%)"),
        "tip_context": ("{group}, {year} · {d}", "{group}, {year} · {d}"),
        "tip_line": (
            "{what}: {share} · {uncovered} von {residents} nicht erreicht",
            "{what}: {share} · {uncovered} of {residents} not reached",
        ),
        "tip_hidden": ("{what}: {share}", "{what}: {share}"),
        "city_summary": (
            "Stadt gesamt: {share} erreichen {what}; {uncovered} nicht erreicht ({group}, {year})",
            "Whole city: {share} reach {what}; {uncovered} not reached ({group}, {year})",
        ),
        "note_year_substituted": (
            "Für „{group}“ gibt es keine Zahlen für {asked}. Gezeigt werden die Zahlen von {used}.",
            "There are no figures for “{group}” in {asked}. The figures of {used} are shown.",
        ),
        "note_unknown": (
            "Zu diesen Zahlen gibt es einen Hinweis, der hier nicht übersetzt ist.",
            "There is a note on these figures that is not translated here.",
        ),
        "jump_note": (
            "Sprung in der Reihe {steps}. Möglicherweise ein Bruch in der Statistik; die Zahlen "
            "sind nicht geglättet.",
            "Jump in the series {steps}. Possibly a break in the statistics; the figures are not "
            "smoothed.",
        ),
        "jump_short": ("Sprung {steps}", "Jump {steps}"),
        "jump_explained": (
            "Sprung: Die Einwohnerzahl eines Gebiets ändert sich von einem Jahr zum nächsten um "
            "mehr als ein Fünftel. Möglicherweise ein Bruch in der Statistik (z. B. eine "
            "Unterkunft öffnet und schließt, eine Grenze ändert sich); die Zahlen sind nicht "
            "geglättet.",
            "Jump: an area's population changes by more than a fifth from one year to the next. "
            "Possibly a break in the statistics (e.g. a shelter opening and closing, a boundary "
            "change); the figures are not smoothed.",
        ),
        "jump_step": ("{y0}→{y1}: {change}{back}", "{y0}→{y1}: {change}{back}"),
        "jump_back": (" (im Folgejahr wieder zurück)", " (back again the following year)"),
        "col_note": ("Hinweis", "Note"),
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


def fmt_numbers(
    values: Sequence[float], lang: str = DEFAULT_LANG, *, decimals: int = 0
) -> list[str]:
    """:func:`fmt_number` of every value (the same text), for many values at once.

    Examples
    --------
    >>> fmt_numbers([1234.5, float("nan"), 7], "de")
    ['1.234', '–', '7']
    >>> fmt_numbers([1234.5, 0.25], "en", decimals=1)
    ['1,234.5', '0.2']
    >>> fmt_numbers([])
    []
    """
    decimal, thousands = _MARKS[check_lang(lang)]
    marks = str.maketrans({",": thousands, ".": decimal})
    texts = [
        f"{number:,.{decimals}f}" if math.isfinite(number) else "–"
        for number in np.asarray(values, dtype=float).tolist()
    ]
    if not texts:  # "".split() would give one empty text
        return []
    # one translation of the joined texts instead of three replacements per number
    return "\n".join(texts).translate(marks).split("\n")


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
    return fmt_percents([fraction], lang, decimals=decimals, sign=sign)[0]


def fmt_percents(
    fractions: Sequence[float | None],
    lang: str = DEFAULT_LANG,
    *,
    decimals: int = 1,
    sign: bool = False,
) -> list[str]:
    """:func:`fmt_percent` of every fraction, for many at once.

    A value that rounds to zero has no sign; ``sign`` puts ``+`` before positive values.

    Examples
    --------
    >>> fmt_percents([0.4531, None, -0.00001], "de")
    ['45,3 %', '–', '0,0 %']
    >>> fmt_percents([0.05, -0.05], "en", sign=True)
    ['+5.0%', '-5.0%']
    >>> fmt_percents([])
    []
    """
    numbers = np.asarray(fractions, dtype=float) * 100.0
    texts = fmt_numbers(np.abs(numbers), lang, decimals=decimals)
    mark = _PERCENT_SIGN[check_lang(lang)]

    def prefix(number: float, text: str) -> str:
        if not text.strip("0,."):
            return ""
        return "-" if number < 0 else ("+" if sign and number > 0 else "")

    return [
        text if text == "–" else prefix(n, text) + text + mark
        for n, text in zip(numbers.tolist(), texts, strict=True)
    ]


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


def plotly_separators(lang: str = DEFAULT_LANG) -> str:
    """Plotly's ``layout.separators`` for the locale: decimal mark, then thousands separator.

    Examples
    --------
    >>> plotly_separators("de"), plotly_separators("en")
    (',.', '.,')
    """
    return "".join(_MARKS[check_lang(lang)])


def csv_dialect(lang: str = DEFAULT_LANG) -> tuple[str, str]:
    """Field separator and decimal mark of a CSV for the locale's spreadsheet.

    German Excel reads ``;`` and a decimal comma, English ``,`` and a decimal point.

    Examples
    --------
    >>> csv_dialect("de"), csv_dialect("en")
    ((';', ','), (',', '.'))
    """
    decimal = _MARKS[check_lang(lang)][0]
    return ("," if decimal == "." else ";"), decimal


def fmt_date(date: dt.date, lang: str = DEFAULT_LANG) -> str:
    """Format a calendar date for the locale (``06.12.2026`` / ``2026-12-06``).

    Examples
    --------
    >>> fmt_date(dt.date(2026, 12, 6)), fmt_date(dt.date(2026, 12, 6), "en")
    ('06.12.2026', '2026-12-06')
    """
    return date.strftime(_DATE_FORMATS[check_lang(lang)])


def source_line(
    sources: SourceSummary | Iterable[Any],
    lang: str = DEFAULT_LANG,
    *,
    created: dt.date | None = None,
    extra: str = "",
) -> str:
    """The one source line ("Quellen: … Stand: …") under maps, in exports and tables.

    Parameters
    ----------
    sources
        A :class:`layers.sources.SourceSummary`, or the layer sources to summarise
        (``dataset.metadata.sources`` or the profile's ``sources`` dicts).
    lang
        Language of the line.
    created
        Export date, added as "Erstellt: …" (exports only; the app's line has none).
    extra
        Text appended at the end (for example a method note).

    Examples
    --------
    >>> source_line([{"attribution": "Stadt", "licence": "CC BY 4.0", "date": "2024"}], "en")
    'Sources: Stadt (Licence: CC BY 4.0). Date: 2024.'
    """
    summary = sources if isinstance(sources, SourceSummary) else source_summary(sources)
    credits = [
        c.name + (f" ({t('licence', lang)}: {c.licence})" if c.licence else "")
        for c in summary.credits
    ]
    parts = [
        t(
            "source_line",
            lang,
            sources="; ".join(dict.fromkeys(credits)) or t("source_unknown", lang),
            date=", ".join(summary.dates) or t("source_unknown", lang),
        )
    ]
    if created is not None:
        parts.append(t("source_created", lang, date=fmt_date(created, lang)))
    if extra:
        parts.append(extra)
    return " · ".join(parts)


def label(item: object, lang: str) -> str:
    """Label of a catalogue item (category or group) with ``label_de``/``label_en`` in ``lang``.

    Examples
    --------
    >>> from layers.catalogue import default_group
    >>> label(default_group("under_18"), "en")
    'under 18 years'
    """
    return data_label(
        getattr(item, "id", ""), getattr(item, "label_de", ""), getattr(item, "label_en", ""), lang
    )


def data_label(item_id: str, label_de: str | None, label_en: str | None, lang: str) -> str:
    """Pick a dataset's own label in ``lang``: German else the id; English else German.

    Examples
    --------
    >>> data_label("care", "Pflege", "", "en")
    'Pflege'
    """
    de = label_de or item_id
    en = label_en or de
    return en if lang == "en" else de
