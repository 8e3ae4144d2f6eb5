"""Shared pieces of the command line: the ``--data`` option, error reporting, atomic output."""

from __future__ import annotations

import functools
import io
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import pandas as pd

from layers._atomic import atomic_write_text
from layers._text import neutralise_frame
from layers.dataset import Dataset, default_dataset_path, load_dataset
from layers.errors import ExportError, LayersError
from layers.store import DATABASE_ENV, DATASET_NAME_ENV

F = TypeVar("F", bound=Callable[..., Any])


_DB_URL_KEY = "quartiersatlas.database_url"
_DB_NAME_KEY = "quartiersatlas.db_dataset"


def _remember(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        if value:
            ctx.meta[key] = value
        return value

    return callback


def data_option(func: F) -> F:
    """Add ``--data DIR`` (default: the bundled dataset, or ``$QUARTIERSATLAS_DATA``).

    Also adds ``--database-url URL`` and ``--db-dataset NAME`` (read the dataset from PostGIS,
    see :func:`open_dataset`); they are kept in the click context, so commands need no extra
    parameters.
    """
    func = click.option(
        "--db-dataset",
        type=str,
        default=None,
        expose_value=False,
        callback=_remember(_DB_NAME_KEY),
        help="Dataset name in the database (default: $QUARTIERSATLAS_DATASET or the only one).",
    )(func)
    func = click.option(
        "--database-url",
        type=str,
        default=None,
        expose_value=False,
        callback=_remember(_DB_URL_KEY),
        help="Read the dataset from PostgreSQL/PostGIS (default: $DATABASE_URL when --data is "
        "not given), e.g. postgresql://user@host:5432/atlas.",
    )(func)
    return click.option(
        "--data",
        "data_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Dataset folder with a dataset.toml (default: the bundled Karlsruhe dataset).",
    )(func)


def level_option(func: F) -> F:
    """Add ``--level`` (default ``district``).

    The valid levels depend on the dataset (``planning_area`` with a mapping, the ids of its
    ``[[groupings]]``), so the value is checked once the dataset is loaded
    (:func:`layers.areas.check_level`), with a message listing the dataset's levels.
    """
    return click.option(
        "--level",
        default="district",
        show_default=True,
        metavar="LEVEL",
        help="district, planning_area, or the id of one of the dataset's [[groupings]] "
        "(e.g. ortschaft).",
    )(func)


def open_dataset(data_dir: Path | None) -> Dataset:
    """Load the dataset named by ``--data``, ``--database-url`` or the environment.

    Precedence: ``--database-url``, then ``--data``, then ``$DATABASE_URL``, then
    ``$QUARTIERSATLAS_DATA``, then the bundled dataset.
    """
    ctx = click.get_current_context(silent=True)
    meta = ctx.meta if ctx is not None else {}
    url = meta.get(_DB_URL_KEY)
    if url and data_dir is not None:
        raise click.UsageError("give either --data or --database-url, not both")
    if url is None and data_dir is None:
        url = os.environ.get(DATABASE_ENV) or None
    if url:
        from layers.store import open_dataset as open_store

        return open_store(
            database_url=url, name=meta.get(_DB_NAME_KEY) or os.environ.get(DATASET_NAME_ENV)
        )
    return load_dataset(data_dir if data_dir is not None else default_dataset_path())


def reports_errors(func: F) -> F:
    """Turn domain errors into a clear message on stderr and exit status 1 (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except LayersError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


OUT_SUFFIXES: dict[str, tuple[str, ...]] = {
    "csv": (".csv", ".txt"),
    "json": (".json", ".geojson"),
    "pdf": (".pdf",),
    "png": (".png",),
    "xlsx": (".xlsx",),
}
"""File name endings accepted by ``--out`` for each output format."""


def check_out_suffix(out: Path | None, fmt: str) -> None:
    """Refuse an ``--out`` file whose ending does not match the format that would be written.

    Raises
    ------
    click.BadParameter
        Naming the file, the format and the endings that fit (``profile --out x.png`` would
        otherwise write JSON into a file called ``.png``).
    """
    if out is None:
        return
    allowed = OUT_SUFFIXES.get(fmt, ())
    if out.suffix.lower() not in allowed:
        raise click.BadParameter(
            f"{out.name!r} does not end in {' or '.join(allowed)}, but the output is {fmt}; "
            f"name the file {out.stem}{allowed[0]} or choose another --format",
            param_hint="--out",
        )


def emit(text: str, out: Path | None) -> None:
    """Write ``text`` to ``out`` atomically, or to stdout when ``out`` is None."""
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        try:
            atomic_write_text(out, text)
        except OSError as exc:
            raise ExportError(
                f"cannot write {out}: {exc.strerror or exc}; nothing was written. "
                "Choose another --out path or free space."
            ) from exc
        click.echo(f"wrote {out}", err=True)


def frame_to_csv(frame: pd.DataFrame) -> str:
    """Render a table as CSV text (comma separated, UTF-8, newline line ends).

    Text cells that a spreadsheet would run as a formula (e.g. a district named
    ``=HYPERLINK(…)``) get a leading ``'`` (:func:`layers._text.neutralise_cell`); numbers, also
    as text, stay as they are.
    """
    buffer = io.StringIO()
    neutralise_frame(frame).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def to_json(obj: Any) -> str:
    """Render ``obj`` as indented UTF-8 JSON (NaN becomes null)."""
    return (
        json.dumps(obj, ensure_ascii=False, indent=2, allow_nan=False, default=_json_default) + "\n"
    )


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
