"""Quartiersatlas dashboard: the Dash app, its figures and exports, and the command line."""
