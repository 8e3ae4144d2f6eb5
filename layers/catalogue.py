"""Catalogues of facility categories and population groups, with German and English labels."""

from __future__ import annotations

from dataclasses import dataclass

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
PALETTE: tuple[str, ...] = (
    "#E69F00",
    "#0072B2",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)


@dataclass(frozen=True)
class Category:
    """A facility category: id, labels and a stable colour used everywhere."""

    id: str
    label_de: str
    label_en: str
    colour: str
    description_de: str = ""
    description_en: str = ""

    def label(self, lang: str) -> str:
        """Label in ``lang`` (``"de"`` or ``"en"``)."""
        return self.label_en if lang == "en" else self.label_de


@dataclass(frozen=True)
class Group:
    """A population group (age group or total) with labels and a note on missing years."""

    id: str
    label_de: str
    label_en: str
    note_de: str = ""
    note_en: str = ""

    def label(self, lang: str) -> str:
        """Label in ``lang`` (``"de"`` or ``"en"``)."""
        return self.label_en if lang == "en" else self.label_de


DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category(
        "meeting",
        "Begegnung",
        "Meeting places",
        PALETTE[0],
        "Orte der Begegnung: Begegnungsstätten, Bürger- und Familienzentren, Treffs",
        "Places to meet: community and family centres, drop-in meeting places",
    ),
    Category(
        "counselling",
        "Beratung",
        "Counselling",
        PALETTE[1],
        "Beratungsstellen: Sozial-, Familien-, Pflege-, Sucht-, Migrationsberatung",
        "Counselling services: social, family, care, addiction, migration",
    ),
    Category(
        "care",
        "Versorgung und Pflege",
        "Care",
        PALETTE[2],
        "Pflegeheime, Tagespflege, betreutes Wohnen, Pflegestützpunkte",
        "Nursing homes, day care, assisted living",
    ),
    Category(
        "participation",
        "Beteiligung und Engagement",
        "Participation and volunteering",
        PALETTE[3],
        "Bürgervereine, Ehrenamt, Beteiligungs- und Engagementorte",
        "Citizens' associations, volunteering, places of civic participation",
    ),
    Category(
        "network",
        "Vernetzung",
        "Networks",
        PALETTE[5],
        "Stadtteilkoordination, Quartiersbüros, Stadtteilnetzwerke, Caring Community",
        "Neighbourhood coordination offices, district networks, caring communities",
    ),
)

KNOWN_GROUPS: dict[str, tuple[str, str]] = {
    "total": ("Einwohner insgesamt", "Total population"),
    "under_3": ("unter 3 Jahre", "under 3 years"),
    "3_to_6": ("3 bis unter 6 Jahre", "3 to under 6 years"),
    "6_to_15": ("6 bis unter 15 Jahre", "6 to under 15 years"),
    "15_to_18": ("15 bis unter 18 Jahre", "15 to under 18 years"),
    "under_6": ("unter 6 Jahre", "under 6 years"),
    "under_18": ("unter 18 Jahre", "under 18 years"),
    "0_to_19": ("0 bis 19 Jahre", "0 to 19 years"),
    "18_to_27": ("18 bis unter 27 Jahre", "18 to under 27 years"),
    "20_to_64": ("20 bis 64 Jahre", "20 to 64 years"),
    "27_to_45": ("27 bis unter 45 Jahre", "27 to under 45 years"),
    "45_to_55": ("45 bis unter 55 Jahre", "45 to under 55 years"),
    "55_to_65": ("55 bis unter 65 Jahre", "55 to under 65 years"),
    "65_plus": ("65 Jahre und älter", "65 years and older"),
    "65_to_75": ("65 bis unter 75 Jahre", "65 to under 75 years"),
    "75_to_85": ("75 bis unter 85 Jahre", "75 to under 85 years"),
    "85_plus": ("85 Jahre und älter", "85 years and older"),
}


def default_group(group_id: str) -> Group:
    """Return the built-in labels of ``group_id`` (its id as label when unknown)."""
    de, en = KNOWN_GROUPS.get(group_id, (group_id, group_id))
    return Group(group_id, de, en)
