"""PostgreSQL/PostGIS store: load a :class:`Dataset` into a database and read it back unchanged.

Layout
------
Each load writes a new schema ``<base>_v<N>`` (``base`` defaults to ``qa_<dataset name>``) with
one table per frame of the dataset (``districts``, ``facilities``, ``unlocated_facilities``,
``population``, ``resident_points``, ``addresses``, ``planning_areas``, ``programme``; geometry
columns are PostGIS ``geometry`` with a GIST index), ``_meta`` (catalogues, metadata, issues and
the column types as JSON) and ``_files`` (the walking network file). The registry
``quartiersatlas.datasets`` points each dataset name at its current schema; the load and the
switch of the pointer are one transaction, so readers see the old version until the new one is
complete, and a load that fails or is killed leaves no trace. Older versions are dropped after
the switch. Precomputed distances live in ``quartiersatlas.distances`` keyed by dataset, data
version (:func:`layers.store.data_version`), distance mode and category.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pandas.api.types import pandas_dtype
from pyproj import CRS

from layers._validate import Issue
from layers.areas import GROUPING_COLUMNS, Grouping
from layers.catalogue import Category, Group
from layers.dataset import Dataset, LayerSource, Metadata, NetworkSpec
from layers.errors import StoreError
from layers.residents import ResidentPoints
from layers.store import data_version, network_files, redact_url, remember_database_source

log = logging.getLogger(__name__)

REGISTRY_SCHEMA = "quartiersatlas"
CACHE_ENV = "QUARTIERSATLAS_CACHE"
"""Environment variable naming the folder where database datasets put their network files."""

CONNECT_TIMEOUT_S = 5
_ORDER = "_ord"
_INDEX = "_index"
_FRAME_FIELDS = (
    "districts",
    "facilities",
    "unlocated_facilities",
    "population",
    "resident_points",
    "addresses",
    "planning_areas",
    "programme",
)
_RESIDENTS_FIELD = "residents"
"""Dataset field stored as the ``resident_points`` table (``Dataset.resident_points``)."""
_OTHER_FIELDS = (
    "metadata",
    "categories",
    "groups",
    "planning_areas_proposal",
    "network",
    "issues",
    "groupings",
)
_NAME_RE = re.compile(r"[^a-z0-9_]+")
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,50}$")


@dataclass(frozen=True)
class LoadResult:
    """What :func:`load_dataset_into_db` wrote."""

    name: str
    schema: str
    version: int
    data_version: str
    rows: Mapping[str, int]
    dropped: tuple[str, ...]


@dataclass(frozen=True)
class DatasetEntry:
    """One dataset registered in a database (see :func:`db_status`)."""

    name: str
    schema: str
    version: int
    data_version: str
    loaded_at: str
    rows: Mapping[str, int]


# ---------------------------------------------------------------------------------------------
# connections


def _conninfo(url: str) -> str:
    """``url`` as libpq understands it (SQLAlchemy driver suffixes removed)."""
    return re.sub(r"^postgres(?:ql)?\+\w+://", "postgresql://", url)


def require_psycopg() -> Any:
    """The ``psycopg`` module; it is an optional dependency (the ``postgis`` extra).

    Raises
    ------
    StoreError
        If psycopg is not installed, saying how to install it.
    """
    try:
        import psycopg
    except ImportError as exc:
        raise StoreError(
            "the PostgreSQL/PostGIS store needs psycopg, which is not installed; install it "
            "with `pip install 'quartiersatlas[postgis]'` (or `pip install 'psycopg[binary]'`)"
        ) from exc
    return psycopg


@contextlib.contextmanager
def connect(url: str, *, autocommit: bool = False) -> Iterator[Any]:
    """Open a connection to ``url``; failures become :class:`StoreError` naming the server.

    Raises
    ------
    StoreError
        "database unreachable at …" when the server does not answer, or the server's message
        when it refuses the connection, or if psycopg is not installed.
    """
    psycopg = require_psycopg()

    try:
        conn = psycopg.connect(
            _conninfo(url), connect_timeout=CONNECT_TIMEOUT_S, autocommit=autocommit
        )
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"database unreachable at {redact_url(url)}: {reason}") from exc
    try:
        with conn:
            yield conn
    except psycopg.OperationalError as exc:
        raise StoreError(
            f"database unreachable at {redact_url(url)}: connection lost ({str(exc).strip()})"
        ) from exc
    except psycopg.Error as exc:
        raise StoreError(f"database error at {redact_url(url)}: {str(exc).strip()}") from exc
    finally:
        conn.close()


def ping(url: str) -> bool:
    """Whether the database at ``url`` answers a trivial query."""
    try:
        with connect(url, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except StoreError:
        return False
    return True


def _q(template: str, **names: str) -> Any:
    """SQL ``template`` with ``{name}`` placeholders filled in as quoted identifiers."""
    from psycopg import sql

    return sql.SQL(template).format(**{k: sql.Identifier(v) for k, v in names.items()})


def _ident(name: str) -> Any:
    from psycopg import sql

    return sql.Identifier(name)


def _ensure_registry(conn: Any) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('quartiersatlas.registry'))")
    conn.execute(_q("CREATE SCHEMA IF NOT EXISTS {reg}", reg=REGISTRY_SCHEMA))
    conn.execute(
        _q(
            """CREATE TABLE IF NOT EXISTS {reg}.datasets (
            name text PRIMARY KEY,
            schema text NOT NULL,
            version integer NOT NULL,
            data_version text NOT NULL,
            loaded_at timestamptz NOT NULL DEFAULT now())""",
            reg=REGISTRY_SCHEMA,
        )
    )
    conn.execute(
        _q(
            """CREATE TABLE IF NOT EXISTS {reg}.distances (
            dataset text NOT NULL,
            data_version text NOT NULL,
            mode text NOT NULL,
            category text NOT NULL,
            n integer NOT NULL,
            distances bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (dataset, data_version, mode, category))""",
            reg=REGISTRY_SCHEMA,
        )
    )


def _has_registry(conn: Any) -> bool:
    row = conn.execute("SELECT to_regclass(%s)", (f"{REGISTRY_SCHEMA}.datasets",)).fetchone()
    return row is not None and row[0] is not None


def schema_base(name: str) -> str:
    """Default schema base of a dataset called ``name`` (``qa_`` + lower-case ASCII).

    Examples
    --------
    >>> schema_base("Karlsruhe Süd 2024")
    'qa_karlsruhe_s_d_2024'
    """
    base = _NAME_RE.sub("_", name.lower()).strip("_") or "dataset"
    return f"qa_{base}"[:50]


# ---------------------------------------------------------------------------------------------
# writing


def load_dataset_into_db(
    dataset: Dataset,
    url: str,
    *,
    schema: str | None = None,
    keep_old: bool = False,
    grant_read: str | None = None,
) -> LoadResult:
    """Write ``dataset`` into the database at ``url`` as a new version and make it current.

    Everything happens in one transaction: until it commits, readers keep seeing the previous
    version; if it fails or the process is killed, nothing changes. Older versions of the same
    dataset are dropped afterwards (unless ``keep_old``), and so are precomputed distances of
    other data versions.

    Parameters
    ----------
    dataset
        A loaded dataset (from :func:`layers.dataset.load_dataset`).
    url
        PostgreSQL URL of a database with the PostGIS extension (or the right to create it).
    schema
        Base name of the schemas (``<schema>_v<N>``); default ``qa_<dataset name>``.
    keep_old
        Keep the previous versions' schemas.
    grant_read
        A database role (the app's) that gets read access to the new version and the registry.

    Returns
    -------
    LoadResult

    Raises
    ------
    StoreError
        If the database is unreachable, PostGIS is missing, or a column cannot be stored.
    """
    base = schema if schema is not None else schema_base(dataset.metadata.name)
    if not _SCHEMA_RE.match(base):
        raise StoreError(
            f"invalid schema name {base!r}: use lower-case letters, digits and _ "
            "(at most 50 characters, not starting with a digit)"
        )
    name = dataset.metadata.name
    version_hash = data_version(dataset)
    tables = {f: getattr(dataset, f) for f in _FRAME_FIELDS}
    meta = _dataset_meta(dataset)
    files = _network_payload(dataset)
    with connect(url) as conn:
        _require_postgis(conn, url)
        _ensure_registry(conn)
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"quartiersatlas:{name}",))
        row = conn.execute(
            _q(
                "SELECT schema, version FROM {reg}.datasets WHERE name = %s FOR UPDATE",
                reg=REGISTRY_SCHEMA,
            ),
            (name,),
        ).fetchone()
        version = _next_version(conn, base, row[1] if row else 0)
        target = f"{base}_v{version}"
        conn.execute(_q("CREATE SCHEMA {target}", target=target))
        table_meta: dict[str, Any] = {}
        rows: dict[str, int] = {}
        for field, frame in tables.items():
            if frame is None:
                table_meta[field] = None
                continue
            table_meta[field] = _write_frame(conn, target, field, frame)
            rows[field] = len(frame)
        _write_meta_and_files(
            conn,
            target,
            {"dataset": meta, "tables": table_meta, "data_version": version_hash},
            files,
        )
        if grant_read:
            for template in (
                "GRANT USAGE ON SCHEMA {schema} TO {role}",
                "GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}",
                "GRANT USAGE ON SCHEMA {reg} TO {role}",
                "GRANT SELECT ON ALL TABLES IN SCHEMA {reg} TO {role}",
            ):
                conn.execute(_q(template, schema=target, reg=REGISTRY_SCHEMA, role=grant_read))
        conn.execute(
            _q(
                """INSERT INTO {reg}.datasets (name, schema, version, data_version)
                VALUES (%s, %s, %s, %s)
                ON CONFLICT (name) DO UPDATE SET schema = EXCLUDED.schema,
                    version = EXCLUDED.version, data_version = EXCLUDED.data_version,
                    loaded_at = now()""",
                reg=REGISTRY_SCHEMA,
            ),
            (name, target, version, version_hash),
        )
        conn.execute(
            _q(
                "DELETE FROM {reg}.distances WHERE dataset = %s AND data_version <> %s",
                reg=REGISTRY_SCHEMA,
            ),
            (name, version_hash),
        )
    dropped: tuple[str, ...] = ()
    if not keep_old:
        dropped = _drop_old_versions(url, base, keep=target)
    log.info("loaded %s into %s (data version %s)", name, target, version_hash)
    return LoadResult(name, target, version, version_hash, rows, dropped)


def _write_meta_and_files(
    conn: Any, target: str, meta: dict[str, Any], files: list[tuple[str, bytes]]
) -> None:
    """The version's ``_meta`` (dataset, tables, data version) and ``_files`` (network) tables."""
    conn.execute(
        _q(
            "CREATE TABLE {target}._meta (key text PRIMARY KEY, value jsonb NOT NULL)",
            target=target,
        )
    )
    for key, value in meta.items():
        conn.execute(
            _q("INSERT INTO {target}._meta (key, value) VALUES (%s, %s::jsonb)", target=target),
            (key, json.dumps(value)),
        )
    conn.execute(
        _q(
            "CREATE TABLE {target}._files (name text PRIMARY KEY, role text NOT NULL, "
            "content bytea NOT NULL)",
            target=target,
        )
    )
    for file_name, content in files:
        conn.execute(
            _q(
                "INSERT INTO {target}._files (name, role, content) VALUES (%s, 'network', %s)",
                target=target,
            ),
            (file_name, content),
        )


def _require_postgis(conn: Any, url: str) -> None:
    row = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone()
    if row is not None:
        return
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except Exception as exc:
        raise StoreError(
            f"the database at {redact_url(url)} has no PostGIS extension and it cannot be "
            f"created ({str(exc).strip()}); run `CREATE EXTENSION postgis;` as a superuser"
        ) from exc


def _next_version(conn: Any, base: str, current: int) -> int:
    rows = conn.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (f"{base}\\_v%",)
    ).fetchall()
    numbers = [current]
    for (nsp,) in rows:
        suffix = nsp[len(base) + 2 :]
        if suffix.isdigit():
            numbers.append(int(suffix))
    return max(numbers) + 1


def _drop_old_versions(url: str, base: str, *, keep: str) -> tuple[str, ...]:
    with connect(url) as conn:
        current = {
            r[0]
            for r in conn.execute(
                _q("SELECT schema FROM {reg}.datasets", reg=REGISTRY_SCHEMA)
            ).fetchall()
        }
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (f"{base}\\_v%",)
        ).fetchall()
        old = [
            nsp
            for (nsp,) in rows
            if nsp != keep and nsp not in current and nsp[len(base) + 2 :].isdigit()
        ]
        for nsp in old:
            conn.execute(_q("DROP SCHEMA {nsp} CASCADE", nsp=nsp))
    return tuple(sorted(old))


def _sql_type(dtype: Any, column: str, table: str) -> str:
    if isinstance(dtype, gpd.array.GeometryDtype):
        return "geometry"
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double precision"
    if pd.api.types.is_string_dtype(dtype) or dtype == np.dtype(object):
        return "text"
    raise StoreError(
        f"column {column!r} of {table} has dtype {dtype}, which the PostGIS store cannot hold "
        "(supported: text, integers, floats, booleans, geometry)"
    )


def _object_na(values: pd.Series, column: str, table: str) -> str | None:
    """How an object column marks missing values (``None`` or ``NaN``); checks the values."""
    kinds = set()
    for value in values:
        if isinstance(value, str):
            continue
        if value is None:
            kinds.add("none")
        elif isinstance(value, float) and np.isnan(value):
            kinds.add("nan")
        else:
            raise StoreError(
                f"column {column!r} of {table} holds a {type(value).__name__} value; "
                "the PostGIS store keeps object columns of text only"
            )
    if len(kinds) > 1:
        raise StoreError(f"column {column!r} of {table} mixes None and NaN as missing values")
    return kinds.pop() if kinds else None


def _write_frame(conn: Any, schema: str, table: str, frame: pd.DataFrame) -> dict[str, Any]:
    from psycopg import sql

    columns = [str(c) for c in frame.columns]
    if len(set(columns)) != len(columns) or {_ORDER, _INDEX} & set(columns):
        raise StoreError(f"{table} has repeated or reserved column names: {columns}")
    is_geo = isinstance(frame, gpd.GeoDataFrame)
    geometry_name = frame.geometry.name if is_geo and "geometry" in frame else None
    if is_geo and geometry_name is None:
        with contextlib.suppress(AttributeError):
            geometry_name = frame.geometry.name
    crs = frame.crs if is_geo else None
    srid = (crs.to_epsg() or 0) if crs is not None else 0
    default_index = isinstance(frame.index, pd.RangeIndex) and frame.index.equals(
        pd.RangeIndex(len(frame))
    )
    specs: list[dict[str, Any]] = []
    for column in columns:
        dtype = frame[column].dtype
        spec = {"name": column, "dtype": str(dtype), "sql": _sql_type(dtype, column, table)}
        if dtype == np.dtype(object):
            spec["na"] = _object_na(frame[column], column, table)
        specs.append(spec)
    index_spec = None
    if not default_index:
        idx_dtype = frame.index.dtype
        index_spec = {
            "dtype": str(idx_dtype),
            "sql": _sql_type(idx_dtype, "index", table),
            "name": frame.index.name,
        }
    column_defs = [sql.SQL("{} bigint PRIMARY KEY").format(_ident(_ORDER))]
    if index_spec:
        column_defs.append(sql.SQL("{} {}").format(_ident(_INDEX), sql.SQL(index_spec["sql"])))
    for spec in specs:
        sql_type = spec["sql"]
        if sql_type == "geometry":
            sql_type = f"geometry(Geometry, {srid})"
        column_defs.append(sql.SQL("{} {}").format(_ident(spec["name"]), sql.SQL(sql_type)))
    conn.execute(
        sql.SQL("CREATE TABLE {}.{} ({})").format(
            _ident(schema), _ident(table), sql.SQL(", ").join(column_defs)
        )
    )
    payload: list[list[Any]] = [list(range(len(frame)))]
    names = [_ORDER]
    if index_spec:
        payload.append(_python_values(pd.Series(frame.index), index_spec["sql"]))
        names.append(_INDEX)
    for spec in specs:
        series = frame[spec["name"]]
        if spec["sql"] == "geometry":
            geoms = np.asarray(series.array)
            geoms = shapely.set_srid(geoms, srid)
            payload.append(
                list(shapely.to_wkb(geoms, hex=True, include_srid=True, output_dimension=3))
            )
        else:
            payload.append(_python_values(series, spec["sql"]))
        names.append(spec["name"])
    copy_sql = sql.SQL("COPY {}.{} ({}) FROM STDIN").format(
        _ident(schema), _ident(table), sql.SQL(", ").join(_ident(n) for n in names)
    )
    with conn.cursor() as cur, cur.copy(copy_sql) as copy:
        for row in zip(*payload, strict=True):
            copy.write_row(row)
    if geometry_name is not None:
        conn.execute(
            sql.SQL("CREATE INDEX {} ON {}.{} USING GIST ({})").format(
                _ident(f"{table}_{geometry_name}_gist"),
                _ident(schema),
                _ident(table),
                _ident(geometry_name),
            )
        )
    conn.execute(sql.SQL("ANALYZE {}.{}").format(_ident(schema), _ident(table)))
    return {
        "columns": specs,
        "geometry": geometry_name,
        "crs": _crs_text(crs) if crs is not None else None,
        "index": index_spec,
        "geo": is_geo,
    }


def _python_values(series: pd.Series, sql_type: str) -> list[Any]:
    values = series.to_numpy(dtype=object)
    if sql_type == "text":
        return [v if isinstance(v, str) else None for v in values]
    if sql_type == "double precision":
        return [float(v) if v is not None and v is not pd.NA else None for v in values]
    if sql_type in ("bigint", "boolean"):
        return [
            None if v is None or v is pd.NA else v.item() if hasattr(v, "item") else v
            for v in values
        ]
    return list(values)


def _crs_text(crs: CRS) -> str:
    authority = crs.to_authority()
    if authority is not None:
        candidate = CRS.from_user_input(":".join(authority))
        if candidate == crs:
            return ":".join(authority)
    return crs.to_wkt()


def _dataset_meta(dataset: Dataset) -> dict[str, Any]:
    from layers.dataset import Dataset as _Dataset

    known = set(_FRAME_FIELDS) | set(_OTHER_FIELDS) | {_RESIDENTS_FIELD}
    unknown = [f.name for f in dataclasses.fields(_Dataset) if f.name not in known]
    if unknown:
        raise StoreError(
            f"the PostGIS store does not know the dataset attribute(s) {unknown}; "
            "extend layers/store/postgis.py before loading"
        )
    meta = dataset.metadata
    network = dataset.network
    return {
        "metadata": {
            "name": meta.name,
            "city": meta.city,
            "metric_crs": _crs_text(meta.metric_crs),
            "description": meta.description,
            "notes": meta.notes,
            "sources": [dataclasses.asdict(s) for s in meta.sources],
            "root": str(meta.root),
            "district_label_de": meta.district_label_de,
            "district_label_en": meta.district_label_en,
        },
        "categories": [dataclasses.asdict(c) for c in dataset.categories],
        "groups": [dataclasses.asdict(g) for g in dataset.groups],
        "planning_areas_proposal": bool(dataset.planning_areas_proposal),
        "network": None
        if network is None
        else {
            "file": Path(network.path).name,
            "approximate": network.approximate,
            "note": network.note,
            "crs": network.crs,
        },
        "issues": [dataclasses.asdict(i) for i in dataset.issues],
        "groupings": [
            {
                **{f: getattr(g, f) for f in _GROUPING_ATTRS},
                "mapping": g.mapping.astype(object).to_dict("records"),
            }
            for g in dataset.groupings
        ],
    }


def _network_payload(dataset: Dataset) -> list[tuple[str, bytes]]:
    if dataset.network is None:
        return []
    try:
        return [(p.name, p.read_bytes()) for p in network_files(dataset.network.path)]
    except OSError as exc:
        raise StoreError(f"cannot read the network file {dataset.network.path}: {exc}") from exc


# ---------------------------------------------------------------------------------------------
# reading


def load_dataset_from_db(url: str, *, name: str | None = None) -> Dataset:
    """Read the current version of dataset ``name`` from the database at ``url``.

    The result equals what :func:`layers.dataset.load_dataset` returned when the dataset was
    loaded (same frames, dtypes, row order, catalogues and issues); ``metadata.root`` is a local
    cache folder holding the network file (``$QUARTIERSATLAS_CACHE``, default
    ``~/.cache/quartiersatlas``).

    Parameters
    ----------
    url
        PostgreSQL URL.
    name
        Dataset name; may be omitted when the database holds exactly one dataset.

    Raises
    ------
    StoreError
        If the database is unreachable, holds no dataset or not the one asked for.
    """
    psycopg = require_psycopg()

    for attempt in range(3):
        try:
            return _read(url, name)
        except StoreError as exc:
            # A concurrent `db load` may drop the version we started reading: read again.
            if attempt < 2 and isinstance(exc.__cause__, psycopg.errors.UndefinedTable):
                continue
            raise
    raise AssertionError("unreachable")


def _read(url: str, name: str | None) -> Dataset:
    with connect(url) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        schema = _current_schema(conn, url, name)
        rows = dict(
            conn.execute(_q("SELECT key, value FROM {schema}._meta", schema=schema)).fetchall()
        )
        meta, table_meta, version = rows["dataset"], rows["tables"], rows["data_version"]
        frames = {
            field: None if spec is None else _read_frame(conn, schema, field, spec)
            for field, spec in table_meta.items()
        }
        files = conn.execute(
            _q(
                "SELECT name, content FROM {schema}._files WHERE role = 'network' ORDER BY name",
                schema=schema,
            )
        ).fetchall()
    dataset = _build_dataset(meta, frames, files, version)
    remember_database_source(dataset, url, version)
    return dataset


def _current_schema(conn: Any, url: str, name: str | None) -> str:
    if not _has_registry(conn):
        raise StoreError(
            f"the database at {redact_url(url)} holds no Quartiersatlas dataset; load one with "
            "`quartiersatlas db load --data DIR --database-url URL`"
        )
    entries = conn.execute(
        _q("SELECT name, schema FROM {reg}.datasets ORDER BY name", reg=REGISTRY_SCHEMA)
    ).fetchall()
    if not entries:
        raise StoreError(
            f"the database at {redact_url(url)} holds no Quartiersatlas dataset; load one with "
            "`quartiersatlas db load --data DIR --database-url URL`"
        )
    names = [e[0] for e in entries]
    if name is None:
        if len(entries) > 1:
            raise StoreError(
                f"the database at {redact_url(url)} holds several datasets; choose one with "
                f"--dataset or $QUARTIERSATLAS_DATASET: {', '.join(names)}"
            )
        return str(entries[0][1])
    for entry_name, schema in entries:
        if entry_name == name:
            return str(schema)
    raise StoreError(
        f"no dataset {name!r} in the database at {redact_url(url)}; loaded: {', '.join(names)}"
    )


def _read_frame(conn: Any, schema: str, table: str, spec: Mapping[str, Any]) -> pd.DataFrame:
    from psycopg import sql

    selected = [sql.SQL("{}").format(_ident(_ORDER))]
    index_spec = spec.get("index")
    if index_spec:
        selected.append(_ident(_INDEX))
    for column in spec["columns"]:
        if column["sql"] == "geometry":
            selected.append(sql.SQL("ST_AsBinary({})").format(_ident(column["name"])))
        else:
            selected.append(_ident(column["name"]))
    query = sql.SQL("SELECT {} FROM {}.{} ORDER BY {}").format(
        sql.SQL(", ").join(selected), _ident(schema), _ident(table), _ident(_ORDER)
    )
    rows = conn.execute(query).fetchall()
    values = list(zip(*rows, strict=True)) if rows else [[] for _ in selected]
    data: dict[str, Any] = {}
    offset = 2 if index_spec else 1
    for i, column in enumerate(spec["columns"]):
        restored = _restore(list(values[offset + i]), column)
        data[column["name"]] = (
            restored.to_numpy(dtype=object) if isinstance(restored, pd.Series) else restored
        )
    index: pd.Index = pd.RangeIndex(len(rows))
    if index_spec:
        index = pd.Index(
            _restore(list(values[1]), {**index_spec, "na": None}), name=index_spec["name"]
        )
    frame = pd.DataFrame(
        {
            name: pd.Series(values, index=index, dtype=object)
            if isinstance(values, np.ndarray) and values.dtype == object
            else pd.Series(values, index=index)
            for name, values in data.items()
        },
        index=index,
        columns=[c["name"] for c in spec["columns"]],
    )
    if spec["geo"]:
        crs = CRS.from_user_input(spec["crs"]) if spec["crs"] else None
        frame = gpd.GeoDataFrame(frame, geometry=spec["geometry"], crs=crs)
    return frame


def _restore(values: list[Any], column: Mapping[str, Any]) -> Any:
    sql_type, dtype = column["sql"], column["dtype"]
    if sql_type == "geometry":
        return gpd.array.from_shapely(
            shapely.from_wkb(
                np.array([bytes(v) if v is not None else None for v in values], dtype=object)
            )
        )
    if dtype == "object":
        na = {"nan": np.nan, "none": None}.get(column.get("na") or "none")
        # A Series keeps dtype object (an array would be inferred as str by pandas 3).
        return pd.Series([na if v is None else v for v in values], dtype=object)
    if sql_type == "double precision":
        return pd.array(
            np.array([np.nan if v is None else v for v in values], dtype=float), dtype=dtype
        )
    return pd.array(values, dtype=pandas_dtype(dtype))


def _build_dataset(
    meta: Mapping[str, Any],
    frames: Mapping[str, pd.DataFrame | None],
    files: list[tuple[str, bytes]],
    version: str,
) -> Dataset:
    m = meta["metadata"]
    root = _materialise(m["name"], version, files)
    metadata = Metadata(
        name=m["name"],
        city=m["city"],
        metric_crs=CRS.from_user_input(m["metric_crs"]),
        description=m["description"],
        notes=m["notes"],
        sources=tuple(LayerSource(**s) for s in m["sources"]),
        root=root,
        # a dataset stored before the labels existed keeps the defaults
        **{k: m[k] for k in ("district_label_de", "district_label_en") if k in m},
    )
    net = meta["network"]
    network = (
        None
        if net is None
        else NetworkSpec(
            path=root / net["file"],
            approximate=net["approximate"],
            note=net["note"],
            crs=net["crs"],
        )
    )
    frames = dict(frames)
    resident_points = frames.pop("resident_points")
    assert resident_points is not None
    return Dataset(
        metadata=metadata,
        residents=ResidentPoints.from_frame(gpd.GeoDataFrame(resident_points)),
        categories=tuple(Category(**c) for c in meta["categories"]),
        groups=tuple(Group(**g) for g in meta["groups"]),
        planning_areas_proposal=bool(meta["planning_areas_proposal"]),
        network=network,
        issues=tuple(Issue(**i) for i in meta["issues"]),
        groupings=_groupings(meta.get("groupings", [])),  # absent in datasets stored before
        **frames,  # type: ignore[arg-type]
    )


_GROUPING_ATTRS = ("id", "label_de", "label_en", "note_de", "note_en", "empty", "file")


def _groupings(stored: list[dict[str, Any]]) -> tuple[Grouping, ...]:
    return tuple(
        Grouping(
            **{f: entry[f] for f in _GROUPING_ATTRS},
            mapping=pd.DataFrame(entry["mapping"], columns=list(GROUPING_COLUMNS), dtype=object),
        )
        for entry in stored
    )


def cache_root() -> Path:
    """Folder for files that database datasets need on disk (``$QUARTIERSATLAS_CACHE``)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "quartiersatlas"


def _materialise(name: str, version: str, files: list[tuple[str, bytes]]) -> Path:
    """Write the dataset's files into ``<cache>/db/<name>-<version>/`` once (atomic rename)."""
    target = cache_root() / "db" / f"{_NAME_RE.sub('_', name.lower()).strip('_')}-{version}"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for file_name, content in files:
            (staging / Path(file_name).name).write_bytes(bytes(content))
        try:
            os.rename(staging, target)
        except OSError:
            if not target.is_dir():  # another process won the race otherwise
                raise
    finally:
        if staging.exists():
            for child in staging.iterdir():
                child.unlink()
            staging.rmdir()
    return target


# ---------------------------------------------------------------------------------------------
# status and distances


def db_status(url: str) -> list[DatasetEntry]:
    """Datasets registered in the database at ``url`` (empty when there are none)."""
    with connect(url) as conn:
        if not _has_registry(conn):
            return []
        entries = conn.execute(
            _q(
                "SELECT name, schema, version, data_version, loaded_at FROM "
                "{reg}.datasets ORDER BY name",
                reg=REGISTRY_SCHEMA,
            )
        ).fetchall()
        result = []
        for name, schema, version, dv, loaded_at in entries:
            tables = conn.execute(
                _q("SELECT value FROM {schema}._meta WHERE key = 'tables'", schema=schema)
            ).fetchone()[0]
            rows = {}
            for table, spec in tables.items():
                if spec is not None:
                    rows[table] = conn.execute(sql_count(schema, table)).fetchone()[0]
            result.append(DatasetEntry(name, schema, int(version), dv, loaded_at.isoformat(), rows))
    return result


def sql_count(schema: str, table: str) -> Any:
    """``SELECT count(*)`` of one table, with quoted identifiers."""
    from psycopg import sql

    return sql.SQL("SELECT count(*) FROM {}.{}").format(_ident(schema), _ident(table))


def current_data_version(url: str, *, name: str | None = None) -> str:
    """Data version of the current version of dataset ``name`` (cheap: one registry row)."""
    with connect(url, autocommit=True) as conn:
        schema = _current_schema(conn, url, name)
        row = conn.execute(
            _q("SELECT data_version FROM {reg}.datasets WHERE schema = %s", reg=REGISTRY_SCHEMA),
            (schema,),
        ).fetchone()
    return str(row[0])


def save_distances(
    url: str,
    *,
    name: str,
    version: str,
    mode: str,
    distances: Mapping[str, np.ndarray],
) -> None:
    """Store precomputed distances (one float array per category) for one data version and mode.

    Rows of other data versions of the dataset are removed by the next ``db load``; readers
    only ever ask for the current version, so stale arrays are never used.
    """
    with connect(url) as conn:
        _ensure_registry(conn)
        for category, values in distances.items():
            array = np.ascontiguousarray(values, dtype="<f8")
            conn.execute(
                _q(
                    """INSERT INTO {reg}.distances
                    (dataset, data_version, mode, category, n, distances)
                    VALUES (%s, %s, %s, %s, %s, %s)
                    ON CONFLICT (dataset, data_version, mode, category)
                    DO UPDATE SET n = EXCLUDED.n, distances = EXCLUDED.distances,
                                  created_at = now()""",
                    reg=REGISTRY_SCHEMA,
                ),
                (name, version, mode, category, int(array.size), array.tobytes()),
            )


def load_distances(url: str, *, name: str, version: str, mode: str) -> dict[str, np.ndarray]:
    """Precomputed distances of ``name`` for data version ``version`` and ``mode`` (may be empty)."""
    with connect(url) as conn:
        if not _has_registry(conn):
            return {}
        rows = conn.execute(
            _q(
                "SELECT category, n, distances FROM {reg}.distances "
                "WHERE dataset = %s AND data_version = %s AND mode = %s",
                reg=REGISTRY_SCHEMA,
            ),
            (name, version, mode),
        ).fetchall()
    result = {}
    for category, n, blob in rows:
        array = np.frombuffer(bytes(blob), dtype="<f8").astype(float)
        if array.size == n:
            result[str(category)] = array
    return result


def distance_mode_key(
    *, distance: str = "euclidean", detour_factor: float | None = None, network_path: Any = None
) -> str:
    """Key of a distance mode for :func:`save_distances` (includes the network file's hash)."""
    if distance == "network" or network_path is not None:
        digest = hashlib.sha256()
        if network_path is not None:
            for path in network_files(Path(network_path)):
                digest.update(path.read_bytes())
        return f"network:{digest.hexdigest()[:16]}"
    factor = 1.0 if detour_factor is None else float(detour_factor)
    return "euclidean" if factor == 1.0 else f"euclidean*{factor:g}"


__all__ = [
    "CACHE_ENV",
    "REGISTRY_SCHEMA",
    "DatasetEntry",
    "LoadResult",
    "cache_root",
    "connect",
    "current_data_version",
    "db_status",
    "distance_mode_key",
    "load_dataset_from_db",
    "load_dataset_into_db",
    "load_distances",
    "ping",
    "save_distances",
    "schema_base",
]
