"""Component ids of the dashboard, as constants and id builders (one place, used everywhere).

Browser tests drive the app through these ids; keep them stable.
"""

from __future__ import annotations

# --- page / url --------------------------------------------------------------------------
URL = "url-location"
PAGE = "page-root"
HEADER = "page-header"
TITLE = "page-title"
VIEW_TABS = "view-tabs"
LANG = "lang-switch"
PRESENT_BUTTON = "present-button"
PRESENT_EXIT = "present-exit-button"
SHARE_BUTTON = "share-button"
SHARE_LINK = "share-link"
SHARE_CLIPBOARD = "share-clipboard"

# --- controls ----------------------------------------------------------------------------
CONTROLS = "controls-panel"
CATEGORIES = "controls-categories"
DISTANCE = "controls-distance"
DISTANCE_UNIT = "controls-distance-unit"
SPEED = "controls-speed"
DISTANCE_HINT = "controls-distance-hint"
YEAR = "controls-year"
GROUP = "controls-group"
LEVEL = "controls-level"
LAYERS = "controls-layers"
CHANGE_YEARS = "controls-change-years"
CHANGE_PLAY = "controls-change-play"
CHANGE_INTERVAL = "controls-change-interval"
BASEMAP = "controls-basemap"
DISTANCE_MODE = "controls-distance-mode"
REQUIRE = "controls-require"
REQUIRE_WRAP = "controls-require-wrap"
NETWORK_NOTE = "controls-network-note"
SMALL_COUNT_NOTE = "controls-small-count-note"

# --- map ---------------------------------------------------------------------------------
MAP = "map-graph"
MAP_LEGEND = "map-legend"
MAP_LEGEND_TITLE = "map-legend-title"
"""The legend's main colour bar title (the map title: it changes with every step)."""
MAP_LEGEND_CITY = "map-legend-city"
"""The legend's city average."""
MAP_LEGEND_GAP_TICKS = ("map-legend-gaps-mid", "map-legend-gaps-top")
"""The gap scale's middle and top tick labels (they follow the distance; the bottom is 0)."""
MAP_SOURCE = "map-source-line"
MAP_TITLE = "map-title"
MAP_NOTES = "map-notes"
MAP_TABLE = "map-table"
MAP_TABLE_TOGGLE = "map-table-toggle"
MAP_TABLE_WRAP = "map-table-wrap"
MAP_AREAS = "map-areas"
"""Areas of the current level (Leaflet GeoJSON; colours and hover text in its ``hideout``)."""
MAP_GAPS = "map-gaps"
MAP_FACILITIES = "map-facilities"
MAP_MARKERS = "map-markers"
"""Planned, switched-off and suggested facilities, the location and uploaded points."""
MAP_STYLE = "map-style-store"
"""Values of the area and gap layers that changed ({component id: values}); ``restyle`` of
``assets/map.js`` follows it (no callback reads it)."""
MAP_TILES = "map-tiles"
"""Layer group of the online basemap (empty offline)."""
COMPARE_MAP = "compare-map-graph"
COMPARE_WRAP = "compare-wrap"
COMPARE_TITLE = "compare-title"
"""Heading of the compare map: the group and the two years of the change it shows."""
COMPARE_LAZY = "compare-lazy"
"""Holds the compare map; its content (and plotly.js) is mounted when the compare view opens."""

# --- side panels ---------------------------------------------------------------------------
SIDE = "side-panel"
PROFILE = "profile-panel"
PROFILE_CLOSE = "profile-close"
PROFILE_TITLE = "profile-title"
NOTES_PANEL = "notes-panel"
METHODS_PANEL = "methods-panel"

# --- what-if / suggest -------------------------------------------------------------------------
SCENARIO_PANEL = "scenario-panel"
SCENARIO_CATEGORY = "scenario-category"
SCENARIO_TABLE = "scenario-table"
SCENARIO_SUMMARY = "scenario-summary"
SCENARIO_CLEAR = "scenario-clear"
SUGGEST_BUTTON = "suggest-button"
SUGGEST_K = "suggest-k"
SUGGEST_RESULT = "suggest-result"

# --- coordinator -----------------------------------------------------------------------------
COORD_PANEL = "coordinator-panel"
ADDRESS = "coordinator-address"
GEOLOCATE = "coordinator-geolocate"
GEO_STORE = "coordinator-geo-store"
GEO_STATUS = "coordinator-geo-status"
COORD_RESULT = "coordinator-result"
COORD_PRINT = "coordinator-print"

# --- upload ---------------------------------------------------------------------------------
UPLOAD = "upload-facilities"
UPLOAD_RESULT = "upload-result"

# --- workspace (uploads and saved scenarios of this browser or user) -------------------------
WS_PANEL = "workspace-panel"
WS_SUMMARY = "workspace-summary"
WS_BODY = "workspace-body"
WS_MESSAGE = "workspace-message"
WS_REFRESH = "workspace-refresh"
WS_SCENARIO_NAME = "workspace-scenario-name"
WS_SAVE = "workspace-save"


def ws_action(action: str, item_id: int) -> dict[str, object]:
    """Id of a workspace button (``delete-upload``, ``delete-scenario``, ``share``, ``unshare``)."""
    return {"type": "ws-action", "action": action, "id": item_id}


def ws_rename(kind: str, item_id: int) -> dict[str, object]:
    """Id of the name field of a workspace item (``kind`` ``upload`` or ``scenario``)."""
    return {"type": "ws-rename", "kind": kind, "id": item_id}


# --- stores ---------------------------------------------------------------------------------
STATE = "state-store"
"""The whole view state (see :mod:`dashboard.state`) as a dict."""
UPLOAD_STORE = "upload-store"
PRINT_DUMMY = "print-dummy"
MAP_BOUNDS = "map-bounds-store"
MAP_SENT = "map-sent-store"
PAGE_TRIGGER = "page-trigger"
PROFILE_TRIGGER = "profile-trigger"
SCENARIO_TRIGGER = "scenario-trigger"
COORD_TRIGGER = "coordinator-trigger"
COMPARE_TRIGGER = "compare-trigger"
EXPORT_TRIGGER = "export-trigger"
RESIZE_DUMMY = "resize-dummy"


def i18n(key: str) -> dict[str, str]:
    """Id of a text node translated by the language callback (``key`` in :mod:`dashboard.i18n`)."""
    return {"type": "i18n", "key": key}


I18N_TYPE = "i18n"


def facility_button(facility_id: str) -> dict[str, str]:
    """Id of a facility's on/off toggle in the what-if list."""
    return {"type": "facility-toggle", "id": facility_id}


SUGGEST_STORE = "suggest-store"
SUGGEST_TAKE = "suggest-take"
NOTES_BODY = "notes-body"
METHODS_BODY = "methods-body"
UPLOAD_HELP = "upload-help"
PROFILE_BODY = "profile-body"
AREA_SELECT = "profile-area-select"
AREA_OPTIONS = "profile-area-options"
"""The district options of ``AREA_SELECT``, handed to it after the first map (``dashboard.deferred``)."""
FACILITY_CARD = "facility-card"
PROFILE_KEY = "profile-key"
SCENARIO_KEY = "scenario-key"
COORD_KEY = "coordinator-key"

# --- exports ---------------------------------------------------------------------------------
EXPORT_PANEL = "export-panel"
EXPORT_PAGE = "export-page-format"
EXPORT_PNG = "export-png"
EXPORT_PDF = "export-pdf"
EXPORT_PROFILE = "export-profile"
EXPORT_CSV = "export-csv"
EXPORT_XLSX = "export-xlsx"
EXPORT_STATUS = "export-status"
EXPORT_QUEUE = "export-queue"
SUGGEST_QUEUE = "suggest-queue"
EXPORT_PROGRESS = "export-progress"


def export_download(kind: str) -> str:
    """Id of the ``dcc.Download`` of one export button (``png``, ``pdf``, ``profile``, ...)."""
    return f"export-download-{kind}"


# map orientation: area names, street context (dashboard.map_context)
MAP_LABELS = "map-labels"
MAP_STREETS = "map-streets"
MAP_BORDERS = "map-borders"
"""Area borders and the city outline (Leaflet GeoJSON lines in their own pane)."""
MAP_DEFERRED = "map-deferred-store"
"""URLs and data of the layers that load after the first map (``dashboard.deferred``)."""
