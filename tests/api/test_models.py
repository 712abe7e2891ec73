"""Test how Simkl's recently watched body parses into the typed model."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.simkl.api import (
    Artwork,
    ArtworkKind,
    MediaType,
    RecentlyWatched,
    SimklInvalidResponseError,
)
from custom_components.simkl.api.client import IMAGE_HOSTS

from . import EXAMPLE

MISSING = object()


def parse(**changes: Any) -> RecentlyWatched | None:
    """Return the model of the documented example with some fields changed.

    A field set to ``MISSING`` is left out of the body.
    """
    body = {**EXAMPLE, **changes}
    body = {key: value for key, value in body.items() if value is not MISSING}
    return RecentlyWatched.from_json(body, IMAGE_HOSTS)


def parse_item(**changes: Any) -> RecentlyWatched:
    """Return the model of a changed example that must hold an item."""
    item = parse(**changes)
    assert item is not None
    return item


def test_documented_example_parses() -> None:
    """Turn the example of Simkl's documentation into the full model."""
    assert RecentlyWatched.from_json(EXAMPLE, IMAGE_HOSTS) == RecentlyWatched(
        simkl_id=17465,
        title="Game of Thrones",
        url="https://simkl.com/tv/17465/game-of-thrones",
        media_type=MediaType.TV,
        poster=Artwork(ArtworkKind.POSTER, "17/17465posterkey"),
        fanart=Artwork(ArtworkKind.FANART, "17/17465fanartkey"),
    )


@pytest.mark.parametrize("body", [None, [], {}], ids=["null", "list", "object"])
def test_empty_body_means_nothing_watched(body: Any) -> None:
    """Return None for the three ways Simkl says "nothing here"."""
    assert RecentlyWatched.from_json(body, IMAGE_HOSTS) is None


@pytest.mark.parametrize(
    "body",
    [
        "Game of Thrones",
        17465,
        1.5,
        True,
        False,
        [EXAMPLE],
        ["17465"],
        [None],
        [{}],
    ],
    ids=[
        "string",
        "integer",
        "float",
        "true",
        "false",
        "list-of-item",
        "list-of-string",
        "list-of-null",
        "list-of-empty-object",
    ],
)
def test_non_object_body_is_refused(body: Any) -> None:
    """Refuse a JSON value that is neither empty nor an object."""
    with pytest.raises(SimklInvalidResponseError):
        RecentlyWatched.from_json(body, IMAGE_HOSTS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(17465, 17465), ("17465", 17465), (1, 1), ("0042", 42), (2**64 - 1, 2**64 - 1)],
    ids=["integer", "digit-string", "one", "leading-zeros", "largest-64-bit"],
)
def test_id_accepts_positive_integers(value: Any, expected: int) -> None:
    """Accept an id sent as a positive integer or a string of ASCII digits."""
    item = parse_item(id=value)
    assert item.simkl_id == expected
    assert type(item.simkl_id) is int


@pytest.mark.parametrize(
    "value",
    [
        MISSING,
        None,
        "abc",
        "17465a",
        "",
        " 17465",
        "-1",
        2**64,
        str(2**64),
        "+1",
        "1.0",
        "\u0661\u0662\u0663",
        "\uff11\uff12",
        "0",
        True,
        False,
        -1,
        0,
        1.5,
        17465.0,
        [17465],
        {"id": 17465},
        "7" * 5000,
    ],
    ids=[
        "missing",
        "null",
        "letters",
        "digits-then-letter",
        "empty",
        "leading-space",
        "negative-string",
        "beyond-64-bit",
        "beyond-64-bit-string",
        "plus-sign",
        "decimal-string",
        "arabic-indic-digits",
        "fullwidth-digits",
        "zero-string",
        "true",
        "false",
        "negative",
        "zero",
        "float",
        "integral-float",
        "list",
        "object",
        "more-digits-than-python-converts",
    ],
)
def test_invalid_id_is_refused(value: Any) -> None:
    """Refuse an id that is not a positive integer."""
    with pytest.raises(SimklInvalidResponseError, match="id"):
        parse(id=value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("Grey&#39;s Anatomy", "Grey's Anatomy"),
        ("Grey&#x27;s Anatomy", "Grey's Anatomy"),
        ("&quot;Quoted&quot; &lt;b&gt;", '"Quoted" <b>'),
        ("Tom & Jerry", "Tom & Jerry"),
        ("Amélie", "Amélie"),
        ("進撃の巨人", "進撃の巨人"),
        ("Movie night 🍿🎬", "Movie night 🍿🎬"),
        ("  Padded title \n", "Padded title"),
        ("Half \ud83c a pair", "Half \ufffd a pair"),
    ],
    ids=[
        "amp-entity",
        "decimal-entity",
        "hex-entity",
        "quote-and-angle-entities",
        "bare-ampersand",
        "accented",
        "japanese",
        "emoji",
        "surrounding-whitespace",
        "lone-surrogate",
    ],
)
def test_title_is_decoded(value: str, expected: str) -> None:
    """Decode entities, keep unicode, trim whitespace and replace lone surrogates."""
    title = parse_item(title=value).title
    assert title == expected
    title.encode()


@pytest.mark.parametrize(
    "value",
    [MISSING, None, "", "   ", "&#32;&nbsp;", 42, 4.2, True, ["Title"], {"en": "x"}],
    ids=[
        "missing",
        "null",
        "empty",
        "blank",
        "blank-entities",
        "integer",
        "float",
        "bool",
        "list",
        "object",
    ],
)
def test_invalid_title_is_refused(value: Any) -> None:
    """Refuse a title that is missing, blank or not text."""
    with pytest.raises(SimklInvalidResponseError, match="title"):
        parse(title=value)


@pytest.mark.parametrize(
    ("value", "url", "media_type"),
    [
        (
            "https://simkl.com/tv/17465/game-of-thrones",
            "https://simkl.com/tv/17465/game-of-thrones",
            MediaType.TV,
        ),
        (
            "https://simkl.com/movies/53992/inception",
            "https://simkl.com/movies/53992/inception",
            MediaType.MOVIE,
        ),
        (
            "https://simkl.com/movie/53992/inception",
            "https://simkl.com/movie/53992/inception",
            MediaType.MOVIE,
        ),
        (
            "https://simkl.com/anime/39687/shingeki-no-kyojin",
            "https://simkl.com/anime/39687/shingeki-no-kyojin",
            MediaType.ANIME,
        ),
        (
            "https://www.simkl.com/tv/17465/game-of-thrones",
            "https://www.simkl.com/tv/17465/game-of-thrones",
            MediaType.TV,
        ),
        (
            "https://SIMKL.COM/tv/17465/game-of-thrones",
            "https://simkl.com/tv/17465/game-of-thrones",
            MediaType.TV,
        ),
        (
            "https://simkl.com/music/1/song",
            "https://simkl.com/music/1/song",
            None,
        ),
        ("https://simkl.com/", "https://simkl.com/", None),
        ("https://simkl.com", "https://simkl.com", None),
    ],
    ids=[
        "tv",
        "movies",
        "movie",
        "anime",
        "subdomain",
        "uppercase-host",
        "unknown-type",
        "root-path",
        "no-path",
    ],
)
def test_item_url_names_media_type(
    value: str, url: str, media_type: MediaType | None
) -> None:
    """Keep an https simkl.com link and read the media type from its path."""
    item = parse_item(url=value)
    assert item.url == url
    assert item.media_type is media_type


@pytest.mark.parametrize(
    "value",
    [
        MISSING,
        None,
        "",
        42,
        ["https://simkl.com/tv/1/x"],
        "http://simkl.com/tv/17465/game-of-thrones",
        "https://evil.example/tv/17465/game-of-thrones",
        "https://simkl.com.evil.example/tv/17465/x",
        "https://evilsimkl.com/tv/17465/x",
        "https://\u0455imkl.com/tv/17465/x",
        "https://user:pw@simkl.com/tv/17465/x",
        "https://user@simkl.com/tv/17465/x",
        "https://simkl.com:8443/tv/17465/x",
        "https://simkl.com/tv/17465/game of thrones",
        " https://simkl.com/tv/17465/x",
        "javascript:alert(1)",
        "//simkl.com/tv/17465/x",
        "/tv/17465/game-of-thrones",
        "tv/17465/game-of-thrones",
        "https://[::1",
        "ftp://simkl.com/tv/17465/x",
        "https://simkl.com/tv/17465/\ud800",
    ],
    ids=[
        "missing",
        "null",
        "empty",
        "integer",
        "list",
        "http",
        "other-host",
        "simkl-as-subdomain-of-other-host",
        "host-ending-in-simkl",
        "cyrillic-look-alike",
        "userinfo",
        "user-only",
        "explicit-port",
        "whitespace",
        "leading-space",
        "javascript",
        "scheme-relative",
        "absolute-path",
        "relative-path",
        "malformed",
        "ftp",
        "lone-surrogate",
    ],
)
def test_untrusted_item_url_is_dropped(value: Any) -> None:
    """Drop any link that is not an https link on simkl.com, and its media type."""
    item = parse_item(url=value)
    assert item.url is None
    assert item.media_type is None


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (
            "poster",
            "17/17465posterkey",
            Artwork(ArtworkKind.POSTER, "17/17465posterkey"),
        ),
        (
            "fanart",
            "17/17465fanartkey",
            Artwork(ArtworkKind.FANART, "17/17465fanartkey"),
        ),
        ("poster", "key_with-dash", Artwork(ArtworkKind.POSTER, "key_with-dash")),
        (
            "poster",
            "https://simkl.in/posters/30/3082850367420132f_0.jpg",
            Artwork(ArtworkKind.POSTER, "30/3082850367420132f"),
        ),
        (
            "poster",
            "https://simkl.net/posters/17/17465posterkey_m.webp",
            Artwork(ArtworkKind.POSTER, "17/17465posterkey"),
        ),
        (
            "poster",
            "https://simkl.net/posters/17/key_with_underscores_ca.jpeg",
            Artwork(ArtworkKind.POSTER, "17/key_with_underscores"),
        ),
        (
            "fanart",
            "https://simkl.net/fanart/17/17465fanartkey_medium.jpg",
            Artwork(ArtworkKind.FANART, "17/17465fanartkey"),
        ),
        (
            "fanart",
            "https://SIMKL.IN/fanart/17/17465fanartkey_0.jpg",
            Artwork(ArtworkKind.FANART, "17/17465fanartkey"),
        ),
        (
            "poster",
            "https://eu.simkl.in/posters/17/17465posterkey_0.jpg",
            Artwork(ArtworkKind.POSTER, "17/17465posterkey"),
        ),
    ],
    ids=[
        "poster-key",
        "fanart-key",
        "key-with-dash-and-underscore",
        "simkl-in-url",
        "simkl-net-webp-url",
        "url-key-with-underscores",
        "fanart-url",
        "uppercase-host",
        "image-host-subdomain",
    ],
)
def test_artwork_is_read_as_key(field: str, value: str, expected: Artwork) -> None:
    """Read a bare key or a catalogue URL on Simkl's image hosts as a key."""
    assert getattr(parse_item(**{field: value}), field) == expected


HOSTILE_ARTWORK = {
    "null": None,
    "empty": "",
    "integer": 17465,
    "list": ["17/17465posterkey"],
    "object": {"key": "17/17465posterkey"},
    "other-host": "https://evil.example/posters/17/17465posterkey_0.jpg",
    "http": "http://simkl.net/posters/17/17465posterkey_0.jpg",
    "dot-dot-key": "17/../../evil",
    "dot-dot-prefix": "../17465posterkey",
    "dot-in-key": "17/17465posterkey.jpg",
    "space-in-key": "17/17465 posterkey",
    "leading-space": " 17/17465posterkey",
    "trailing-newline": "17/17465posterkey\n",
    "tab": "17/\t17465posterkey",
    "nul": "17/17465posterkey\x00",
    "question-mark": "17/17465posterkey?x=1",
    "hash": "17/17465posterkey#x",
    "at-sign": "evil.example@17465posterkey",
    "javascript": "javascript:alert(1)",
    "data-uri": "data:image/png;base64,AAAA",
    "scheme-relative": "//evil.example/x",
    "scheme-in-key": "https:evil",
    "leading-slash": "/17/17465posterkey",
    "trailing-slash": "17/17465posterkey/",
    "double-slash": "17//17465posterkey",
    "percent-dot-dot": "%2e%2e/17465posterkey",
    "backslash": "17\\17465posterkey",
    "fullwidth-digits": "\uff11\uff17/17465posterkey",
    "userinfo": "https://user:pw@simkl.net/posters/17/17465posterkey_0.jpg",
    "user-only": "https://user@simkl.net/posters/17/17465posterkey_0.jpg",
    "password-only": "https://:pw@simkl.net/posters/17/17465posterkey_0.jpg",
    "explicit-port": "https://simkl.net:8443/posters/17/17465posterkey_0.jpg",
    "default-port": "https://simkl.net:443/posters/17/17465posterkey_0.jpg",
    "query": "https://simkl.net/posters/17/17465posterkey_0.jpg?x=1",
    "fragment": "https://simkl.net/posters/17/17465posterkey_0.jpg#x",
    "look-alike-subdomain": "https://simkl.net.evil.com/posters/17/k_0.jpg",
    "host-ending-in-simkl": "https://evilsimkl.net/posters/17/17465posterkey_0.jpg",
    "cyrillic-look-alike": "https://\u0455imkl.net/posters/17/17465posterkey_0.jpg",
    "backslash-host": "https://simkl.net\\@evil.example/posters/17/k_0.jpg",
    "item-host": "https://simkl.com/posters/17/17465posterkey_0.jpg",
    "other-folder": "https://simkl.net/avatars/17/17465posterkey_0.jpg",
    "no-size": "https://simkl.net/posters/17/17465posterkey.jpg",
    "other-extension": "https://simkl.net/posters/17/17465posterkey_0.svg",
    "percent-encoded-dot-dot": "https://simkl.net/posters/%2e%2e/17465_0.jpg",
    "percent-encoded-slash": "https://simkl.net/posters/17%2F17465posterkey_0.jpg",
    "malformed": "https://[::1/posters/17/17465posterkey_0.jpg",
}


@pytest.mark.parametrize("field", ["poster", "fanart"])
@pytest.mark.parametrize(
    "value", HOSTILE_ARTWORK.values(), ids=list(HOSTILE_ARTWORK.keys())
)
def test_hostile_artwork_is_dropped(field: str, value: Any) -> None:
    """Drop an image field that is not a safe key or a catalogue URL."""
    assert getattr(parse_item(**{field: value}), field) is None


@pytest.mark.parametrize("field", ["poster", "fanart"])
def test_missing_artwork_is_none(field: str) -> None:
    """Leave an image out when its field is missing."""
    assert getattr(parse_item(**{field: MISSING}), field) is None
