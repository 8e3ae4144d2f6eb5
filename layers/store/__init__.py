"""Where a loaded :class:`~layers.dataset.Dataset` comes from: dataset folders or PostGIS.

The file store is :func:`layers.dataset.load_dataset`; the database store is
:mod:`layers.store.postgis`. Both return the same ``Dataset`` (same frames, dtypes and order),
so every command and the app give identical results whichever store they read.
:func:`data_version` is a content hash that names one state of a dataset; caches (precomputed
distance tables, the app's results) are keyed by it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
import weakref
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.dataset import Dataset, default_dataset_path, load_dataset

DATABASE_ENV = "DATABASE_URL"
"""Environment variable with the PostgreSQL/PostGIS connection URL."""

DATASET_NAME_ENV = "QUARTIERSATLAS_DATASET"
"""Environment variable naming the dataset to read from the database (default: the only one)."""

_DATABASE_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2")


def is_database_url(value: str | os.PathLike[str] | None) -> bool:
    """Whether ``value`` is a PostgreSQL URL (``postgresql://…``) rather than a folder."""
    if value is None:
        return False
    scheme = urlsplit(str(value)).scheme.lower()
    return scheme in _DATABASE_SCHEMES


def redact_url(url: str) -> str:
    """``url`` without its password, for messages and logs.

    Examples
    --------
    >>> redact_url("postgresql://planner:secret@db.example:5432/atlas")
    'postgresql://planner@db.example:5432/atlas'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.hostname or ""
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def open_dataset(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    database_url: str | None = None,
    name: str | None = None,
) -> Dataset:
    """Load a dataset from a folder or, when ``database_url`` is given, from PostGIS.

    Parameters
    ----------
    data_dir
        Dataset folder; default :func:`layers.dataset.default_dataset_path`. Ignored when
        ``database_url`` is given.
    database_url
        PostgreSQL URL; the dataset is read with :func:`layers.store.postgis.load_dataset_from_db`.
    name
        Dataset name in the database (default: the only one loaded there).

    Raises
    ------
    StoreError
        If the database cannot be reached or holds no such dataset.
    DatasetError
        If the folder's data has errors.
    """
    if database_url:
        from layers.store.postgis import load_dataset_from_db

        return load_dataset_from_db(database_url, name=name)
    return load_dataset(Path(data_dir) if data_dir is not None else default_dataset_path())


# What a loaded Dataset object is known to be: which database it was read from and its version.
# Set once by the loader for an immutable Dataset and dropped with it (weak keys): a cache of
# facts about that object, not settings changed at runtime.
_DATABASE_SOURCES: weakref.WeakKeyDictionary[Dataset, tuple[str, str]] = weakref.WeakKeyDictionary()
_VERSIONS: weakref.WeakKeyDictionary[Dataset, str] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def remember_database_source(dataset: Dataset, url: str, version: str) -> None:
    """Record that ``dataset`` was read from the database at ``url`` with data version ``version``."""
    with _LOCK:
        _DATABASE_SOURCES[dataset] = (url, version)
        _VERSIONS[dataset] = version


def database_source(dataset: Dataset) -> tuple[str, str] | None:
    """``(url, data version)`` when ``dataset`` was read from a database, else None."""
    with _LOCK:
        return _DATABASE_SOURCES.get(dataset)


def data_version(dataset: Dataset) -> str:
    """Content hash (hex SHA-256, 16 characters) of everything the analyses read from ``dataset``.

    Two datasets with the same tables, catalogues, metadata and network file have the same
    version whatever store they came from; the folder path (``metadata.root``) does not count.
    Computed once per Dataset object (datasets are immutable).
    """
    with _LOCK:
        known = _VERSIONS.get(dataset)
    if known is not None:
        return known
    version = _content_hash(dataset)
    with _LOCK:
        _VERSIONS[dataset] = version
    return version


def _content_hash(dataset: Dataset) -> str:
    digest = hashlib.sha256()
    for field in dataclasses.fields(dataset):
        value = getattr(dataset, field.name)
        if field.name == "groupings" and not value:
            continue  # datasets without groupings keep the version they had before groupings
        digest.update(field.name.encode())
        if field.name == "groupings":
            for grouping in value:
                digest.update(
                    _json_bytes({k: v for k, v in vars(grouping).items() if k != "mapping"})
                )
                _hash_frame(digest, grouping.mapping)
        elif isinstance(value, pd.DataFrame):
            _hash_frame(digest, value)
        elif field.name == "metadata":
            meta = {
                f.name: getattr(value, f.name)
                for f in dataclasses.fields(value)
                if f.name not in ("root", "metric_crs")
            }
            meta["metric_crs"] = value.metric_crs.to_wkt()
            digest.update(_json_bytes(meta))
        elif field.name == "network" and value is not None:
            digest.update(_json_bytes({"approximate": value.approximate, "note": value.note}))
            digest.update(str(value.crs).encode())
            for path in network_files(value.path):
                digest.update(path.name.encode())
                digest.update(hashlib.sha256(path.read_bytes()).digest())
        else:
            digest.update(_json_bytes(value))
    return digest.hexdigest()[:16]


def network_files(path: Path) -> list[Path]:
    """The network file and its sidecars (a Shapefile's ``.dbf``, ``.shx``, ``.prj``, …)."""
    path = Path(path)
    if path.suffix.lower() != ".shp":
        return [path]
    return sorted(p for p in path.parent.glob(f"{path.stem}.*") if p.is_file())


def _hash_frame(digest: hashlib._Hash, frame: pd.DataFrame) -> None:
    digest.update(_json_bytes([[str(c), str(t)] for c, t in frame.dtypes.items()]))
    digest.update(str(len(frame)).encode())
    plain = pd.DataFrame(frame)
    geometry = [c for c in plain.columns if isinstance(plain[c].dtype, gpd.array.GeometryDtype)]
    for column in geometry:
        # WKB bytes straight into the digest: 40,000 address points in ~20 ms, where hashing
        # them as hex strings through pandas took most of a worker's start-up
        geoms = np.asarray(plain[column].array)
        digest.update(str(column).encode())
        types = shapely.get_type_id(geoms)
        digest.update(types.astype(np.int64).tobytes())
        if (types == 0).all():  # points (addresses, facilities): their coordinates say it all
            digest.update(np.ascontiguousarray(shapely.get_coordinates(geoms)).tobytes())
            continue
        wkb = shapely.to_wkb(geoms)
        digest.update(np.fromiter((len(b) for b in wkb), dtype=np.int64, count=len(wkb)).tobytes())
        digest.update(b"".join(wkb))
    if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None:
        digest.update(frame.crs.to_wkt().encode())
    rest = plain.drop(columns=geometry)
    if len(rest.columns):
        hashed = pd.util.hash_pandas_object(rest.astype(object), index=True)
        digest.update(hashed.to_numpy().tobytes())
    else:
        digest.update(pd.util.hash_pandas_object(rest.index).to_numpy().tobytes())


def _json_bytes(value: object) -> bytes:
    return json.dumps(value, default=_json_default, sort_keys=True).encode()


def _json_default(value: object) -> object:
    if isinstance(value, np.ndarray):
        # every element counts (str() of a long array elides the middle with "...")
        digest = hashlib.sha256(f"{value.dtype}{value.shape}".encode())
        if value.dtype == object:
            digest.update(_json_bytes([str(v) for v in value.ravel().tolist()]))
        else:
            digest.update(np.ascontiguousarray(value).tobytes())
        return digest.hexdigest()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Path):
        return str(value)
    return str(value)


__all__ = [
    "DATABASE_ENV",
    "DATASET_NAME_ENV",
    "data_version",
    "database_source",
    "is_database_url",
    "network_files",
    "open_dataset",
    "redact_url",
    "remember_database_source",
]
