"""The page carries a small validation skeleton, and every callback id exists in the layout."""

from __future__ import annotations

import json

import pytest
from dash.development.base_component import Component

from dashboard import ids
from dashboard.app import create_app, validation_skeleton


def _ids(component: Component) -> set[str]:
    found = set()
    for c in [component, *component._traverse()]:
        if isinstance(c, Component) and getattr(c, "id", None) is not None:
            found.add(json.dumps(c.id, sort_keys=True) if isinstance(c.id, dict) else c.id)
    return found


@pytest.fixture(scope="module")
def app(tiny_dataset, tmp_path_factory):
    return create_app(tiny_dataset, user_data_dir=tmp_path_factory.mktemp("userdata"))


def test_skeleton_keeps_every_id_and_type_but_no_content(app):
    full = app.layout()
    skeleton = validation_skeleton(full)
    assert _ids(skeleton) == _ids(full)
    full_types = {str(c.id): type(c) for c in [full, *full._traverse()] if getattr(c, "id", None)}
    for bare in skeleton.children:
        assert type(bare) is full_types[str(bare.id)]
        assert set(bare.to_plotly_json()["props"]) == {"id"}


def test_index_page_embeds_the_skeleton_not_the_layout(app):
    page = app.server.test_client().get("/").get_data(as_text=True)
    layout = app.server.test_client().get("/_dash-layout").get_data(as_text=True)
    assert '"validation_layout"' in page
    assert '"coordinates"' in layout and '"coordinates"' not in page  # no geometry twice
    # a second copy of the layout would make the page larger than the layout itself
    assert len(page) < len(layout)


def test_every_callback_id_is_in_the_layout(app):
    """Catches a typo in a callback's Input/Output/State id without a browser."""
    static_ids = {i for i in _ids(app.validation_layout) if not i.startswith("{")}
    pattern_types = {
        json.loads(i)["type"] for i in _ids(app.validation_layout) if i.startswith("{")
    }
    # ids of rows a callback creates later (the workspace panel's list) come from id builders
    pattern_types |= {ids.ws_action("delete", 0)["type"], ids.ws_rename("upload", 0)["type"]}
    for key, callback in app.callback_map.items():
        deps = [*callback["inputs"], *callback["state"]]
        outputs = key.strip(".")
        for dep in deps:
            dep_id = dep["id"]
            if dep_id.startswith("{"):
                assert json.loads(dep_id)["type"] in pattern_types, dep_id
            else:
                assert dep_id in static_ids, (
                    f"callback input/state id {dep_id!r} is not in the layout"
                )
        for out in outputs.split("..."):
            out_id = out.split("@")[0].rsplit(".", 1)[0]
            if out_id and not out_id.startswith("{"):
                assert out_id in static_ids, f"callback output id {out_id!r} is not in the layout"


def test_page_head_preloads_the_lazy_chunks_of_its_components(app):
    page = app.server.test_client().get("/").get_data(as_text=True)
    head = page.split("</head>")[0]
    for chunk in (
        "dash/dcc/async-slider.js",
        "dash/dcc/async-dropdown.js",
        "dash_leaflet/async-GeoJSON.js",
    ):
        assert f'<link rel="preload" href="/_dash-component-suites/{chunk}" as="script">' in head
    assert "async-graph.js" not in head  # the compare chart loads plotly only when opened


def test_warm_up_compresses_the_page_files_for_the_first_visitor(tiny_dataset, tmp_path):
    import hashlib
    import time

    import brotli

    from dashboard.app import STATIC_BROTLI_QUALITY, compress_page_files

    cache = tmp_path / "static"
    app = create_app(tiny_dataset, user_data_dir=tmp_path / "u", static_cache_dir=cache)
    page = app.server.test_client().get("/").get_data(as_text=True)
    renderer = next(url for url in page.split('"') if "dash_renderer" in url)
    # identity: a request that does not ask for brotli starts no compression
    raw = app.server.test_client().get(renderer, headers={"Accept-Encoding": "identity"})
    packed = cache / f"{hashlib.sha256(raw.get_data()).hexdigest()[:24]}.br"
    compress_page_files(app)
    deadline = time.monotonic() + 60
    while not packed.is_file() and time.monotonic() < deadline:
        time.sleep(0.1)
    response = app.server.test_client().get(renderer, headers={"Accept-Encoding": "br"})
    assert response.headers["Content-Encoding"] == "br"
    # the first brotli request already gets the highest level, not Flask-Compress's fast one
    best = brotli.compress(raw.get_data(), quality=STATIC_BROTLI_QUALITY)
    assert len(response.get_data()) == len(best)


def test_the_warm_up_leaves_the_app_out_of_garbage_collection(tiny_dataset, tmp_path):
    import gc

    from dashboard.app import get_context, warm_up_in_background

    app = create_app(tiny_dataset, user_data_dir=tmp_path / "u", static_cache_dir=tmp_path / "s")
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    warm_up_in_background(app).join(120)
    # the dataset, the app's context and its layout are no longer walked by a collection
    assert gc.get_freeze_count() > 1000
    ctx = get_context(app)
    assert gc.is_tracked(ctx) and all(o is not ctx for o in gc.get_objects())
    gc.unfreeze()  # the rest of the test session collects as usual


def test_the_layout_is_served_once_serialised_and_equal_to_the_layout_function(app):
    from dash._utils import to_json

    client = app.server.test_client()
    first = client.get("/_dash-layout")
    assert first.status_code == 200 and first.mimetype == "application/json"
    assert client.get("/_dash-layout").get_data() == first.get_data()
    assert json.loads(first.get_data()) == json.loads(to_json(app.layout()))


def test_a_worker_imports_no_scipy_before_its_first_page(grid_dataset, tmp_path):
    """scipy (about 0.4 s) is imported where distances or graphs are computed, not at start."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, tempfile\n"
        "from dashboard.app import create_app\n"
        "from layers.dataset import load_dataset\n"
        "app = create_app(load_dataset(sys.argv[1]), user_data_dir=tempfile.mkdtemp())\n"
        "client = app.server.test_client()\n"
        "assert client.get('/').status_code == 200\n"
        "assert client.get('/_dash-layout').status_code == 200\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))\n"
    )
    env = {**os.environ, "QUARTIERSATLAS_CACHE": str(tmp_path / "cache")}
    # the first start computes and caches the distances (KD-tree: scipy); the next only reads
    for expected in (None, "[]"):
        out = (
            subprocess.run(
                [sys.executable, "-c", code, str(grid_dataset)],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        if expected is not None:
            assert out == expected
