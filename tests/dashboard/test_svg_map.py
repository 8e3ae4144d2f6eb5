"""The exported map drawn in SVG (dashboard.svg_map): colours, holes, missing values, extent.

The SVG figure is checked as data (shapes and traces) and as pixels rendered by kaleido.
"""

from __future__ import annotations

import io
import math
import shutil

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image
from plotly.colors import get_colorscale, sample_colorscale, unlabel_rgb

from dashboard import svg_map
from dashboard.export_map import (
    MAP_DOMAIN_X,
    MAP_PADDING,
    export_figure,
    render_figure,
    view_figure,
    view_ranges,
)
from dashboard.state import ViewState

needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None and shutil.which("google-chrome") is None,
    reason="kaleido needs a Chromium",
)


def square(west: float, south: float, east: float, north: float) -> list[list[float]]:
    """A closed ring, counter-clockwise."""
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def feature(fid: str, *rings: list[list[float]]) -> dict:
    return {"type": "Feature", "id": fid, "properties": {}, "geometry": {
        "type": "Polygon", "coordinates": list(rings)}}  # fmt: skip


@pytest.fixture
def holed() -> go.Figure:
    """A ring-shaped area (its hole in the outer ring's orientation), an island in the hole,
    and an area without a value next to it."""
    features = [
        # the hole runs the same way round as the outer ring: only the even-odd rule leaves it
        # empty
        feature("ring", square(8.40, 49.00, 8.44, 49.03), square(8.41, 49.01, 8.43, 49.02)),
        feature("island", square(8.416, 49.013, 8.424, 49.017)),
        feature("empty", square(8.45, 49.00, 8.47, 49.03)),
    ]
    fig = go.Figure(
        go.Choroplethmap(
            geojson={"type": "FeatureCollection", "features": features},
            featureidkey="id",
            locations=["ring", "island", "empty"],
            z=[20.0, 80.0, None],
            colorscale="Blues",
            zmin=0,
            zmax=100,
            marker={"opacity": 1.0, "line": {"width": [0.6, 3.5, 0.6], "color": "#ffffff"}},
            colorbar={"title": {"text": "Anteil (%)"}},
        )
    )
    fig.add_trace(
        go.Scattermap(
            lat=[49.005],
            lon=[8.46],
            mode="markers",
            name="Treff",
            marker={"size": 12, "color": "#E69F00", "opacity": 0.95},
        )
    )
    return fig


def expected_rgb(scale: str, position: float) -> tuple[int, ...]:
    """plotly's own sampling of ``scale`` at ``position`` (0–1)."""
    (colour,) = sample_colorscale(get_colorscale(scale), [position])
    return tuple(round(c) for c in unlabel_rgb(colour))


def rgba(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in text[text.index("(") + 1 : -1].split(","))


def shape_of(shapes: list, path: str) -> dict:
    (found,) = [s for s in shapes if path in s["path"] and s["fillcolor"] != "rgba(0,0,0,0)"]
    return found


# ---------------------------------------------------------------------------------------------
# as data


def test_mercator_y_is_web_mercator_in_degrees():
    assert float(svg_map.mercator_y(0.0)) == pytest.approx(0.0, abs=1e-12)
    # the ordinate of 85.0511° (the edge of the Web Mercator square) is 180°
    assert float(svg_map.mercator_y(85.0511287798)) == pytest.approx(180.0, abs=1e-6)
    assert float(svg_map.mercator_y(49.0)) == pytest.approx(
        math.degrees(math.log(math.tan(math.pi / 4 + math.radians(49.0) / 2)))
    )


def test_area_colour_is_the_scale_colour_of_its_value(holed):
    shapes = svg_map.area_shapes(holed.data[0])
    paths = svg_map.feature_paths(holed.data[0].geojson, "id")
    for area, value in (("ring", 20.0), ("island", 80.0)):
        colour = rgba(shape_of(shapes, paths[area])["fillcolor"])
        assert colour[:3] == expected_rgb("Blues", value / 100), area
        assert colour[3] == 1.0


def test_an_area_without_a_value_is_not_drawn(holed):
    shapes = svg_map.area_shapes(holed.data[0])
    empty = svg_map.feature_paths(holed.data[0].geojson, "id")["empty"]
    assert not any(empty in s["path"] for s in shapes)
    assert len(shapes) == 3  # two fills, the island's own outline


def test_an_outline_unlike_the_others_is_drawn_above_every_fill(holed):
    shapes = svg_map.area_shapes(holed.data[0])
    island = svg_map.feature_paths(holed.data[0].geojson, "id")["island"]
    *fills, outline = shapes
    assert outline["path"] == island and outline["fillcolor"] == "rgba(0,0,0,0)"
    assert outline["line"] == {"width": 3.5, "color": "#ffffff"}
    assert all(s["line"] == {"width": 0.6, "color": "#ffffff"} for s in fills)
    assert all(s["fillrule"] == "evenodd" and s["layer"] == "below" for s in shapes)


def test_marker_opacity_and_scale_alpha_multiply():
    trace = go.Choroplethmap(
        geojson={"type": "FeatureCollection", "features": [feature("a", square(0, 0, 1, 1))]},
        locations=["a"],
        z=[50.0],
        colorscale=[[0.0, "rgba(204,121,167,0.05)"], [1.0, "rgba(120,20,80,0.72)"]],
        zmin=0,
        zmax=100,
        marker={"opacity": 0.5},
    )
    (shape,) = svg_map.area_shapes(trace)
    assert rgba(shape["fillcolor"]) == pytest.approx(
        (162, 70, 124, (0.05 + 0.72) / 2 * 0.5), abs=1e-3
    )


def test_points_legend_and_colour_bar_are_kept(holed):
    holed.update_layout(
        map={"layers": [{"sourcetype": "geojson", "type": "line", "color": "#4a4a4a",
                         "line": {"width": 0.8}, "name": "borders",
                         "source": {"type": "Feature", "properties": {}, "geometry": {
                             "type": "MultiLineString",
                             "coordinates": [[[8.40, 49.0], [8.47, 49.0]]]}}}]}
    )  # fmt: skip
    assert svg_map.can_draw(holed)
    page = svg_map.svg_figure(holed, x_range=[8.39, 8.48], y_range=[56.2, 56.3])
    lines, bar, points = page.data
    assert lines.mode == "lines" and lines.line.color == "#4a4a4a" and lines.line.width == 0.8
    assert list(lines.x) == [8.4, 8.47, None]
    assert bar.marker.showscale and bar.marker.colorbar.title.text == "Anteil (%)"
    assert (bar.marker.cmin, bar.marker.cmax) == (0, 100) and bar.marker.opacity == 0
    assert points.type == "scatter" and points.name == "Treff"
    assert (points.marker.size, points.marker.color) == (12, "#E69F00")
    assert points.y[0] == pytest.approx(float(svg_map.mercator_y(49.005)), abs=1e-5)
    assert page.layout.yaxis.scaleanchor == "x" and page.layout.xaxis.visible is False
    assert not any(t.type in svg_map.MAP_TRACES for t in page.data)


def test_a_raster_basemap_keeps_the_maplibre_map(holed):
    holed.update_layout(
        map={"layers": [{"sourcetype": "raster", "source": ["https://tiles/{z}/{x}/{y}.png"]}]}
    )
    assert not svg_map.can_draw(holed)
    page = export_figure(holed, title="t", bounds_lonlat=(8.40, 49.0, 8.47, 49.03))
    assert page.layout.map.zoom > 10 and page.data[0].type == "choroplethmap"
    assert page.data[0].marker.opacity == 1.0  # printed opaque on this map too


def test_the_extent_is_the_maplibre_view_of_the_bounds(holed):
    bounds = (8.40, 49.0, 8.47, 49.03)
    page = export_figure(holed, title="t", bounds_lonlat=bounds, page_format="a4")
    margin = page.layout.margin
    plot_w = (page.layout.width - margin.l - margin.r) * (MAP_DOMAIN_X[1] - MAP_DOMAIN_X[0])
    plot_h = page.layout.height - margin.t - margin.b
    x0, x1 = page.layout.xaxis.range
    y0, y1 = page.layout.yaxis.range
    # one scale on both axes, filling the map area
    assert (x1 - x0) / (y1 - y0) == pytest.approx(plot_w / plot_h)
    south, north = (float(svg_map.mercator_y(v)) for v in bounds[1::2])
    assert x0 < bounds[0] and bounds[2] < x1 and y0 < south and north < y1
    # the bounds take the map's size less the padding on the axis that limits them
    share = max((bounds[2] - bounds[0]) / (x1 - x0), (north - south) / (y1 - y0))
    assert share == pytest.approx(1 - 2 * MAP_PADDING)
    assert tuple(page.layout.xaxis.domain) == MAP_DOMAIN_X


def test_without_bounds_the_figure_centre_and_zoom_are_kept(holed):
    holed.update_layout(map={"center": {"lon": 8.42, "lat": 49.01}, "zoom": 13.6})
    page = export_figure(holed, title="t")
    x0, x1 = page.layout.xaxis.range
    y0, y1 = page.layout.yaxis.range
    assert (x0 + x1) / 2 == pytest.approx(8.42)
    assert (y0 + y1) / 2 == pytest.approx(float(svg_map.mercator_y(49.01)))
    x_range, _ = view_ranges({"lon": 8.42, "lat": 49.01}, 13.6, width_px=100, height_px=100)
    assert x_range[1] - x_range[0] == pytest.approx(100 * 360 / (512 * 2**13.6))


def test_the_export_of_a_view_is_drawn_from_its_map_values(tiny_ctx):
    from dashboard.callbacks.map import map_update
    from dashboard.leaflet_map import scale_colours

    state = ViewState(categories=("meeting",), distance=500.0, year=2022, area="01")
    layers = map_update(tiny_ctx, state)["layers"]
    areas = layers["areas"]
    fig, _ = view_figure(tiny_ctx, state, still=True)
    page = export_figure(fig, title="t", bounds_lonlat=tiny_ctx.geo["district"].bounds)
    paths = svg_map.feature_paths(tiny_ctx.geo["district"].geojson, "id")
    shapes = [s.to_plotly_json() for s in page.layout.shapes]
    values = [None if v != v else round(float(v), 1) for v in areas["values"]]
    assert values == [80.0, 0.0, 0.0, None]
    colours, _ = scale_colours(values, areas["scale"], areas["zmin"], areas["zmax"])
    for area, value, colour in zip(tiny_ctx.geo["district"].ids, values, colours, strict=True):
        if value is None:
            assert not any(paths[area] in s["path"] for s in shapes)
            continue
        fill = rgba(shape_of(shapes, paths[area])["fillcolor"])
        assert fill == (*(float(c) for c in unlabel_rgb(colour)), 1.0)  # printed opaque
    # the selected area's orange outline, drawn after the area fills (below the gap hexagons)
    (selected,) = [i for i, s in enumerate(shapes) if s["line"].get("color") == "#e69f00"]
    assert shapes[selected]["path"] == paths["01"]
    assert shapes[selected]["fillcolor"] == "rgba(0,0,0,0)"
    assert all(paths[a] not in s["path"] for s in shapes[selected + 1 :] for a in paths)
    bars = [t.marker.colorbar.title.text for t in page.data if t.marker.showscale]
    assert bars == [areas["colorbar"], layers["gaps"]["colorbar"]]


# ---------------------------------------------------------------------------------------------
# rendered


def pixel(image: Image.Image, page: go.Figure, lon: float, lat: float) -> tuple[int, ...]:
    """The colour at ``lon``/``lat`` of a page rendered at scale 1 without margins."""
    x0, x1 = page.layout.xaxis.range
    y0, y1 = page.layout.yaxis.range
    y = float(svg_map.mercator_y(lat))
    col = (lon - x0) / (x1 - x0) * page.layout.width
    row = (y1 - y) / (y1 - y0) * page.layout.height
    return image.convert("RGB").getpixel((round(col), round(row)))


@needs_chromium
def test_rendered_areas_have_their_colour_holes_stay_empty(holed):
    centre_y = float(svg_map.mercator_y(49.015))
    page = svg_map.svg_figure(
        holed, x_range=[8.39, 8.48], y_range=[centre_y - 0.045, centre_y + 0.045]
    )
    page.update_layout(width=600, height=600, margin=dict(l=0, r=0, t=0, b=0), showlegend=False)
    page.update_traces(marker_showscale=False, selector={"mode": "markers"})
    image = Image.open(io.BytesIO(render_figure(page, fmt="png", scale=1)))
    close = lambda a, b: max(abs(p - q) for p, q in zip(a, b, strict=True)) <= 2  # noqa: E731
    assert close(pixel(image, page, 8.405, 49.005), expected_rgb("Blues", 0.2))  # the ring
    assert close(pixel(image, page, 8.42, 49.015), expected_rgb("Blues", 0.8))  # the island
    assert pixel(image, page, 8.412, 49.018) == (255, 255, 255)  # the hole around the island
    assert pixel(image, page, 8.455, 49.025) == (255, 255, 255)  # the area without a value
    assert np.asarray(image.convert("RGB")).min() < 200  # the marker and the fills are there


@pytest.mark.parametrize(
    "lang, label", [("de", "Geplante Einrichtung"), ("en", "Planned facility")]
)
def test_a_planned_facility_on_an_export_is_named_in_the_legend(tiny_ctx, lang, label):
    lon, lat = tiny_ctx.geo["district"].center["lon"], tiny_ctx.geo["district"].center["lat"]
    state = ViewState(
        categories=("meeting",),
        distance=500.0,
        year=2022,
        lang=lang,
        added=(("meeting", lat, lon),),
    )
    fig, _ = view_figure(tiny_ctx, state, still=True)
    page = export_figure(fig, title="t", bounds_lonlat=tiny_ctx.geo["district"].bounds)
    named = [tr for tr in page.data if tr.name == label]
    assert len(named) == 1 and named[0].showlegend is not False
    assert list(named[0].x) and list(named[0].y)
    # a kind with nothing to draw has no legend entry
    assert not any(tr.name and "Standort" in tr.name for tr in page.data)
