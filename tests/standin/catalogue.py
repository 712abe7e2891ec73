"""Items, presets and catalogue images that the Simkl stand-in serves."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

IMAGES_DIR = Path(__file__).resolve().parent / "images"


@dataclass(frozen=True, kw_only=True)
class Item:
    """One catalogue item as the recently watched endpoint describes it."""

    id: int
    url: str
    title: str
    poster: str | None
    fanart: str | None

    def as_json(self) -> dict[str, Any]:
        """Return the item as the endpoint's JSON body."""
        return {
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "poster": self.poster,
            "fanart": self.fanart,
        }


# The example of the endpoint's documentation page.
GAME_OF_THRONES = Item(
    id=17465,
    url="https://simkl.com/tv/17465/game-of-thrones",
    title="Game of Thrones",
    poster="17/17465posterkey",
    fanart="17/17465fanartkey",
)

INCEPTION = Item(
    id=53992,
    url="https://simkl.com/movies/53992/inception",
    title="Inception",
    poster="53/53992posterkey",
    fanart="53/53992fanartkey",
)

# Named answers of the endpoint: items, the older spec's full image URLs, an
# item without images, and the three shapes of "nothing watched yet".
PRESETS: dict[str, Any] = {
    "got": GAME_OF_THRONES.as_json(),
    "inception": INCEPTION.as_json(),
    "inception-full-urls": {
        **INCEPTION.as_json(),
        "poster": "https://simkl.in/posters/53/53992posterkey_0.jpg",
        "fanart": "https://simkl.in/fanart/53/53992fanartkey_0.jpg",
    },
    "got-no-images": {**GAME_OF_THRONES.as_json(), "poster": None, "fanart": None},
    "nothing-null": None,
    "nothing-list": [],
    "nothing-object": {},
}
DEFAULT_PRESET = "got"

# Catalogue folder and image key -> file in IMAGES_DIR.
IMAGE_FILES: dict[tuple[str, str], str] = {
    ("posters", GAME_OF_THRONES.poster or ""): "poster-17465.jpg",
    ("fanart", GAME_OF_THRONES.fanart or ""): "fanart-17465.jpg",
    ("posters", INCEPTION.poster or ""): "poster-53992.jpg",
    ("fanart", INCEPTION.fanart or ""): "fanart-53992.jpg",
}


@cache
def image_bytes(folder: str, key: str) -> bytes | None:
    """Return the JPG bytes of an image key in a catalogue folder, or None."""
    if (name := IMAGE_FILES.get((folder, key))) is None:
        return None
    return (IMAGES_DIR / name).read_bytes()


def image_path(folder: str, key: str) -> Path:
    """Return the file that holds an image key in a catalogue folder."""
    return IMAGES_DIR / IMAGE_FILES[(folder, key)]


def resolve_answer(value: str | dict[str, Any]) -> Any:
    """Return the JSON answer of a preset name, or the given JSON item itself."""
    if isinstance(value, str):
        if value not in PRESETS:
            raise KeyError(f"unknown preset {value!r}; known: {', '.join(PRESETS)}")
        return PRESETS[value]
    return value
