"""View state ↔ URL query string."""

from __future__ import annotations

import pytest

from dashboard.state import MAX_SCENARIO_POINTS, ViewState, from_query, to_query

CATS = ("meeting", "counselling", "care")


def test_default_state_has_empty_query():
    assert to_query(ViewState()) == ""


def test_full_state_round_trips_through_the_url():
    state = ViewState(
        view="scenario",
        categories=("care", "meeting"),
        distance=10,
        unit="min",
        speed="senior",
        year=2021,
        group="65_plus",
        level="planning_area",
        layers=("facilities", "change"),
        year_from=2010,
        year_to=2020,
        area="03",
        added=(("care", 49.01234, 8.40001), ("meeting", 49.0, 8.5)),
        removed=("ka-0001", "ka-0007"),
        location=(49.00937, 8.40444),
        scenario_category="care",
        lang="en",
        present=True,
        basemap="osm",
        distance_mode="network",
    )
    back = from_query(to_query(state), categories=CATS)
    assert back == state


def test_query_is_readable():
    query = to_query(ViewState(distance=300, lang="en", categories=("care",)))
    assert query == "?cat=care&dist=300&lang=en"


@pytest.mark.parametrize(
    "query",
    [
        "?dist=-5",
        "?dist=abc",
        "?dist=99999",
        "?lang=fr",
        "?view=admin",
        "?unit=km",
        "?loc=999,8",
        "?loc=49",
        "?year=1850",
        "?level=county",
    ],
)
def test_invalid_values_fall_back_to_defaults(query):
    assert from_query(query, categories=CATS, years=(2020, 2021)) == ViewState()


def test_unknown_categories_are_dropped():
    state = from_query("?cat=care,pizza,meeting&add=pizza:49:8;care:49.1:8.4", categories=CATS)
    assert state.categories == ("care", "meeting")
    assert state.added == (("care", 49.1, 8.4),)


def test_scenario_points_are_capped():
    many = ";".join(f"care:49.{i:03d}:8.4" for i in range(MAX_SCENARIO_POINTS + 20))
    assert len(from_query(f"?add={many}").added) == MAX_SCENARIO_POINTS


def test_empty_category_list_survives_the_url():
    state = ViewState(categories=())
    assert (
        from_query(
            to_query(state, defaults=ViewState(categories=CATS)),
            defaults=ViewState(categories=CATS),
        ).categories
        == ()
    )


@pytest.mark.parametrize(
    ("speed", "metres"),
    [("normal", 750.0), ("senior", 500.0)],
)
def test_minutes_convert_at_walking_speed(speed, metres):
    assert ViewState(distance=10, unit="min", speed=speed).radius_m == pytest.approx(metres)


def test_metres_are_metres():
    assert ViewState(distance=650).radius_m == 650


def test_dict_round_trip():
    state = ViewState(added=(("care", 49.0, 8.4),), location=(49.0, 8.4), layers=("gaps",))
    assert ViewState.from_dict(state.to_dict()) == state
    assert ViewState.from_dict(None) == ViewState()
