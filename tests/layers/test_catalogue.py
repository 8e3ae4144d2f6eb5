"""The default category catalogue: the five Nahraum dimensions with labels and distinct colours."""

from __future__ import annotations

from layers.catalogue import DEFAULT_CATEGORIES, PALETTE


def test_default_catalogue_has_the_five_dimensions_in_order():
    assert [c.id for c in DEFAULT_CATEGORIES] == [
        "meeting",
        "counselling",
        "care",
        "participation",
        "network",
    ]
    labels = {c.id: (c.label("de"), c.label("en")) for c in DEFAULT_CATEGORIES}
    assert labels["participation"] == (
        "Beteiligung und Engagement",
        "Participation and volunteering",
    )
    assert labels["network"] == ("Vernetzung", "Networks")
    assert all(c.description_de and c.description_en for c in DEFAULT_CATEGORIES)
    assert (
        "Caring Community"
        in next(c for c in DEFAULT_CATEGORIES if c.id == "network").description_de
    )


def test_default_colours_are_distinct_okabe_ito_colours():
    colours = [c.colour for c in DEFAULT_CATEGORIES]
    assert len(set(colours)) == len(colours)
    assert set(colours) <= set(PALETTE)
