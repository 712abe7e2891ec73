"""Typed models of Simkl's recently watched response."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import html
import re
from typing import Any

from yarl import URL

from .exceptions import SimklInvalidResponseError

# A catalogue key such as "17/17465posterkey": path segments of letters,
# digits, "_" and "-". Anything else (dots, whitespace, "?", "#", "@", ":")
# is refused, so a key can never leave the image host's catalogue folders.
_KEY_RE = re.compile(r"[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*")
# The path of a full catalogue image URL: /posters/<key>_<size>.<ext>.
_IMAGE_PATH_RE = re.compile(
    r"/(?P<kind>posters|fanart)/(?P<key>[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*?)"
    r"_(?P<size>[a-z0-9]+)\.(?:jpg|jpeg|webp)"
)
_ITEM_HOSTS = ("simkl.com",)
# Lone UTF-16 surrogates, which JSON escapes can carry but UTF-8 cannot encode.
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
# Largest id a JSON encoder such as orjson writes; ids are far smaller in practice.
_MAX_ID = 2**64 - 1
_MEDIA_TYPES = {"tv": "tv", "movies": "movie", "movie": "movie", "anime": "anime"}


class MediaType(StrEnum):
    """Kind of item Simkl reports."""

    TV = "tv"
    MOVIE = "movie"
    ANIME = "anime"


class ArtworkKind(StrEnum):
    """Catalogue folder of an image on Simkl's image host."""

    POSTER = "posters"
    FANART = "fanart"


@dataclass(frozen=True, slots=True)
class Artwork:
    """A catalogue image, known by its key on Simkl's image host."""

    kind: ArtworkKind
    key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RecentlyWatched:
    """The item a user watched most recently."""

    simkl_id: int
    title: str
    url: str | None
    media_type: MediaType | None
    poster: Artwork | None
    fanart: Artwork | None

    @classmethod
    def from_json(
        cls, body: Any, image_hosts: tuple[str, ...]
    ) -> RecentlyWatched | None:
        """Return the item in a decoded body, or None when nothing was watched.

        ``null``, ``[]`` and ``{}`` mean the user has no history yet. Image
        fields that are neither a catalogue key nor an https URL on one of
        ``image_hosts`` are dropped: a response can never point an image fetch
        at another host.
        """
        if body is None or body in ([], {}):
            return None
        if not isinstance(body, dict):
            raise SimklInvalidResponseError("Response is not a JSON object")
        return cls(
            simkl_id=_parse_id(body.get("id")),
            title=_parse_title(body.get("title")),
            url=(url := _parse_item_url(body.get("url"))),
            media_type=_parse_media_type(url),
            poster=_parse_artwork(body.get("poster"), ArtworkKind.POSTER, image_hosts),
            fanart=_parse_artwork(body.get("fanart"), ArtworkKind.FANART, image_hosts),
        )


def _parse_id(value: Any) -> int:
    """Return the Simkl id, accepting an integer or a string of digits."""
    if isinstance(value, bool):
        raise SimklInvalidResponseError("Field id is not an integer")
    if isinstance(value, int) and 0 < value <= _MAX_ID:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        try:
            number = int(value)
        except ValueError as err:  # more digits than Python converts
            raise SimklInvalidResponseError("Field id is too long") from err
        if 0 < number <= _MAX_ID:
            return number
    raise SimklInvalidResponseError("Field id is missing or not a positive integer")


def _parse_title(value: Any) -> str:
    """Return the display title with HTML entities decoded.

    A lone surrogate becomes U+FFFD, so the title can always be written as UTF-8.
    """
    if not isinstance(value, str) or not (title := html.unescape(value).strip()):
        raise SimklInvalidResponseError("Field title is missing or not text")
    return _SURROGATE_RE.sub("\ufffd", title)


def _parse_item_url(value: Any) -> str | None:
    """Return the item's https link on simkl.com, or None for anything else."""
    url = _https_url(value, _ITEM_HOSTS)
    return None if url is None else str(url)


def _parse_media_type(url: str | None) -> MediaType | None:
    """Return the media type named by the first segment of the item's URL."""
    if url is None:
        return None
    segments = URL(url).parts
    if len(segments) < 2 or (kind := _MEDIA_TYPES.get(segments[1])) is None:
        return None
    return MediaType(kind)


def _parse_artwork(
    value: Any, kind: ArtworkKind, image_hosts: tuple[str, ...]
) -> Artwork | None:
    """Return the catalogue image a field names, or None when it names none."""
    if not isinstance(value, str) or not value:
        return None
    if _KEY_RE.fullmatch(value):
        return Artwork(kind, value)
    if (
        (url := _https_url(value, image_hosts)) is None
        or url.raw_query_string
        or url.raw_fragment
        or (match := _IMAGE_PATH_RE.fullmatch(url.raw_path)) is None
    ):
        return None
    return Artwork(ArtworkKind(match["kind"]), match["key"])


def _https_url(value: Any, hosts: tuple[str, ...]) -> URL | None:
    """Return an https URL on one of ``hosts`` without credentials or port."""
    if (
        not isinstance(value, str)
        or _SURROGATE_RE.search(value)
        or any(char.isspace() for char in value)
    ):
        return None
    try:
        url = URL(value)
    except ValueError:
        return None
    if (
        url.scheme != "https"
        or url.host is None
        or not _host_allowed(url.host, hosts)
        or url.user is not None
        or url.password is not None
        or url.explicit_port is not None
    ):
        return None
    return url


def _host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    """Return whether a host is one of the allowed hosts or a subdomain of one."""
    host = host.lower().rstrip(".")
    return any(host == name or host.endswith(f".{name}") for name in allowed)
