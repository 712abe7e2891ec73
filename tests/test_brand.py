"""Check the brand images against the home-assistant/brands image rules."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
import pytest

BRAND_DIR = Path(__file__).parent.parent / "custom_components" / "simkl" / "brand"

REQUIRED = ("icon.png", "icon@2x.png", "logo.png", "logo@2x.png")
OPTIONAL = tuple(f"dark_{name}" for name in REQUIRED)
PAIRS = (
    ("icon.png", "icon@2x.png"),
    ("logo.png", "logo@2x.png"),
    ("dark_icon.png", "dark_icon@2x.png"),
    ("dark_logo.png", "dark_logo@2x.png"),
)

# Both folds of an image are measured in pixels at 1x; @2x doubles them.
ICON_SIDE = 256
LOGO_SHORT_SIDE = (128, 256)
# Anti-aliasing may leave a faint edge row, but no real empty margin.
MAX_MARGIN_SHARE = 0.01
MAX_BYTES = 250_000


def _scale(name: str) -> int:
    """Return 2 for an @2x file and 1 otherwise."""
    return 2 if name.endswith("@2x.png") else 1


def _present() -> list[str]:
    """Return the names of the brand images on disk, required ones first."""
    return [name for name in REQUIRED + OPTIONAL if (BRAND_DIR / name).is_file()]


@pytest.mark.parametrize("name", REQUIRED)
def test_required_image_exists(name: str) -> None:
    """Require the four images the brands service serves by default."""
    assert (BRAND_DIR / name).is_file(), f"missing brand/{name}"


def test_no_unknown_files() -> None:
    """Reject files the brands service would never serve."""
    unknown = sorted(
        path.name
        for path in BRAND_DIR.iterdir()
        if path.name not in REQUIRED + OPTIONAL
    )
    assert not unknown, f"unexpected files in brand/: {unknown}"


@pytest.mark.parametrize(("base", "double"), PAIRS)
def test_variants_come_in_pairs(base: str, double: str) -> None:
    """Require an @2x file exactly when its 1x file exists."""
    assert (BRAND_DIR / base).is_file() == (BRAND_DIR / double).is_file(), (
        f"{base} and {double} must both exist or both be absent"
    )


@pytest.mark.parametrize("name", _present())
def test_image_format(name: str) -> None:
    """Require a losslessly compressed RGBA PNG with transparent pixels."""
    path = BRAND_DIR / name
    assert path.stat().st_size <= MAX_BYTES, f"{name} is larger than {MAX_BYTES} B"
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        low, _high = image.getchannel("A").getextrema()
    assert low < 255, f"{name} has no transparent pixels"


@pytest.mark.parametrize("name", _present())
def test_image_is_trimmed(name: str) -> None:
    """Require the artwork to reach every edge of the canvas."""
    with Image.open(BRAND_DIR / name) as image:
        width, height = image.size
        box = image.getchannel("A").getbbox()
    assert box is not None, f"{name} is fully transparent"
    left, top, right, bottom = box
    margins = {
        "left": left / width,
        "top": top / height,
        "right": (width - right) / width,
        "bottom": (height - bottom) / height,
    }
    wide = {side: share for side, share in margins.items() if share > MAX_MARGIN_SHARE}
    assert not wide, f"{name} has empty margins (share of side): {wide}"


@pytest.mark.parametrize("name", [name for name in _present() if "icon" in name])
def test_icon_size(name: str) -> None:
    """Require a square icon of 256 px, or 512 px at @2x."""
    side = ICON_SIDE * _scale(name)
    with Image.open(BRAND_DIR / name) as image:
        assert image.size == (side, side)


@pytest.mark.parametrize("name", [name for name in _present() if "logo" in name])
def test_logo_size(name: str) -> None:
    """Require a landscape logo whose short side is 128..256 px, doubled at @2x."""
    low, high = (side * _scale(name) for side in LOGO_SHORT_SIDE)
    with Image.open(BRAND_DIR / name) as image:
        width, height = image.size
    assert width >= height, f"{name} is not landscape: {width}x{height}"
    assert low <= height <= high, f"{name} short side {height} not in {low}..{high}"


@pytest.mark.parametrize(
    ("base", "double"),
    [pair for pair in PAIRS if (BRAND_DIR / pair[0]).is_file()],
)
def test_double_is_exactly_twice(base: str, double: str) -> None:
    """Require each @2x image to be exactly twice its 1x image."""
    with Image.open(BRAND_DIR / base) as small, Image.open(BRAND_DIR / double) as big:
        assert big.size == (small.width * 2, small.height * 2)
