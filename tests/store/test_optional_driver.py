"""Without psycopg (the `postgis` extra) the database store says how to install it."""

from __future__ import annotations

import sys

import pytest

from layers.errors import StoreError
from layers.store import open_dataset


def test_missing_psycopg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # makes `import psycopg` raise ImportError
    with pytest.raises(StoreError, match=r"pip install 'quartiersatlas\[postgis\]'"):
        open_dataset(database_url="postgresql://planner@127.0.0.1:1/atlas")
