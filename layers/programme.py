"""Programme status: which districts have a district coordination or a community centre, since when.

Reads the dataset's programme table (``district_id``, ``measure``, ``since``, ``note``,
``source``, ``source_date``) and lays it out per district and per planning area, always with the
source and its date. Measures are ids (``stadtteilkoordination``, ``buergerzentrum`` …); their
labels are rendered by the dashboard (``dashboard.profile_text.measure_label``).
"""

from __future__ import annotations

import pandas as pd

PROGRAMME_COLUMNS = (
    "area_id",
    "area_name",
    "district_id",
    "district_name",
    "measure",
    "since",
    "note",
    "source",
    "source_date",
)


def _text(value: object) -> str:
    return (
        ""
        if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA
        else str(value)
    )


def programme_table(
    programme: pd.DataFrame | None, districts: pd.DataFrame, mapping: pd.DataFrame
) -> pd.DataFrame:
    """Return one row per district and measure, with its area, in districts order.

    Parameters
    ----------
    programme
        The dataset's programme table (``None`` when the dataset has none).
    districts
        Districts with ``id`` and ``name``.
    mapping
        Area mapping (``district_id``, ``area_id``, ``area_name``).

    Returns
    -------
    pandas.DataFrame
        :data:`PROGRAMME_COLUMNS` (empty when there is no programme table).
    """
    if programme is None or programme.empty:
        return pd.DataFrame(columns=list(PROGRAMME_COLUMNS))
    names = dict(zip(districts["id"].astype(str), districts["name"].astype(str), strict=False))
    order = {d: i for i, d in enumerate(districts["id"].astype(str))}
    area = mapping.assign(district_id=mapping["district_id"].astype(str)).set_index("district_id")
    rows = []
    for record in programme.to_dict("records"):
        district = str(record["district_id"])
        rows.append(
            {
                "area_id": area["area_id"].get(district, ""),
                "area_name": area["area_name"].get(district, ""),
                "district_id": district,
                "district_name": names.get(district, district),
                "measure": _text(record.get("measure")),
                "since": _text(record.get("since")),
                "note": _text(record.get("note")),
                "source": _text(record.get("source")),
                "source_date": _text(record.get("source_date")),
                "_order": order.get(district, len(order)),
            }
        )
    frame = pd.DataFrame(rows).sort_values(["_order", "measure"], kind="stable")
    return frame[list(PROGRAMME_COLUMNS)].reset_index(drop=True)


def programme_by_area(
    programme: pd.DataFrame | None, districts: pd.DataFrame, mapping: pd.DataFrame
) -> pd.DataFrame:
    """Summarise the programme per area: for each measure the districts having it, and since when.

    Parameters
    ----------
    programme, districts, mapping
        As for :func:`programme_table`.

    Returns
    -------
    pandas.DataFrame
        One row per area in mapping order: ``area_id``, ``area_name``, ``districts`` (count of
        districts in the area), then per measure ``<measure>_count`` and ``<measure>`` (text such
        as ``"Mühlburg (seit 2018); Daxlanden (seit 2019)"``), and ``sources`` (each source with
        its date, ``"; "``-separated).
    """
    long = programme_table(programme, districts, mapping)
    names = dict(zip(districts["id"].astype(str), districts["name"].astype(str), strict=False))
    areas = list(dict.fromkeys(mapping["area_id"].astype(str)))
    area_names = dict(zip(mapping["area_id"].astype(str), mapping["area_name"], strict=False))
    counts = mapping.groupby(mapping["area_id"].astype(str), sort=False).size()
    measures = list(dict.fromkeys(long["measure"]))
    out = []
    for area_id in areas:
        part = long[long["area_id"] == area_id]
        row: dict[str, object] = {
            "area_id": area_id,
            "area_name": area_names[area_id],
            "districts": int(counts[area_id]),
        }
        for measure in measures:
            hits = part[part["measure"] == measure]
            row[f"{measure}_count"] = int(hits["district_id"].nunique())
            row[measure] = "; ".join(
                names.get(d, d) + (f" (seit {s})" if s else "")
                for d, s in zip(hits["district_id"], hits["since"], strict=True)
            )
        sources = dict.fromkeys(
            s + (f" (Stand {d})" if d else "")
            for s, d in zip(part["source"], part["source_date"], strict=True)
            if s
        )
        row["sources"] = "; ".join(sources)
        out.append(row)
    return pd.DataFrame(out)
