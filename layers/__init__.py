"""Quartiersatlas analysis core: load a city's dataset and compute coverage and demographic change.

Pure functions on GeoDataFrames; no Dash or plotly imports here.
"""

from __future__ import annotations

__version__ = "0.1.0"
