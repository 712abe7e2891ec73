"""Draw the stand-in's catalogue JPGs into tests/standin/images.

The committed files are what the stand-in serves and what tests compare bytes
against; run ``python -m tests.standin.make_images`` only to change them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .catalogue import GAME_OF_THRONES, IMAGES_DIR, INCEPTION, Item

POSTER_SIZE = (340, 500)
FANART_SIZE = (960, 540)
JPEG_QUALITY = 80

type Colour = tuple[int, int, int]


@dataclass(frozen=True, kw_only=True)
class Palette:
    """Colours of one item's images."""

    top: Colour
    bottom: Colour
    accent: Colour
    text: Colour


PALETTES: dict[int, Palette] = {
    GAME_OF_THRONES.id: Palette(
        top=(46, 52, 64),
        bottom=(120, 24, 24),
        accent=(212, 175, 55),
        text=(245, 240, 225),
    ),
    INCEPTION.id: Palette(
        top=(10, 40, 80),
        bottom=(120, 170, 200),
        accent=(240, 240, 250),
        text=(255, 255, 255),
    ),
}


def _gradient(size: tuple[int, int], top: Colour, bottom: Colour) -> Image.Image:
    """Return an image that fades from ``top`` to ``bottom`` colour."""
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        share = y / max(height - 1, 1)
        colour = tuple(
            round(a + (b - a) * share) for a, b in zip(top, bottom, strict=True)
        )
        draw.line([(0, y), (width, y)], fill=colour)
    return image


def _font(size: int) -> ImageFont.FreeTypeFont:
    """Return Pillow's bundled font at ``size`` pixels."""
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):
        raise TypeError("Pillow was built without FreeType; cannot draw text")
    return font


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    """Return ``text`` broken into lines no wider than ``width`` pixels."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(candidate, font=font) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def _draw_emblem(
    draw: ImageDraw.ImageDraw,
    item: Item,
    centre: tuple[int, int],
    radius: int,
    colour: Colour,
) -> None:
    """Draw a simple emblem that tells the items apart at a glance."""
    x, y = centre
    if item.id == GAME_OF_THRONES.id:
        points = [
            (x - radius, y + radius // 2),
            (x - radius, y - radius // 2),
            (x - radius // 2, y),
            (x, y - radius),
            (x + radius // 2, y),
            (x + radius, y - radius // 2),
            (x + radius, y + radius // 2),
        ]
        draw.polygon(points, fill=colour)
        return
    for step in range(4):
        inset = step * radius // 4
        draw.ellipse(
            [
                x - radius + inset,
                y - radius + inset,
                x + radius - inset,
                y + radius - inset,
            ],
            outline=colour,
            width=max(radius // 12, 2),
        )


def draw_image(item: Item, kind: str, size: tuple[int, int]) -> Image.Image:
    """Return the poster or fanart of ``item`` with its title drawn in."""
    palette = PALETTES[item.id]
    image = _gradient(size, palette.top, palette.bottom)
    draw = ImageDraw.Draw(image)
    width, height = size
    title_font = _font(height // 10)
    label_font = _font(max(height // 28, 12))
    _draw_emblem(
        draw, item, (width // 2, height // 3), min(width, height) // 6, palette.accent
    )
    lines = _wrap(draw, item.title, title_font, width - 40)
    line_height = round(title_font.size * 1.2)
    y = height * 3 // 5
    for line in lines:
        draw.text(
            (width // 2, y), line, font=title_font, fill=palette.text, anchor="mt"
        )
        y += line_height
    label = f"{kind.upper()}  ·  simkl id {item.id}  ·  {width}x{height}"
    draw.text(
        (width // 2, height - 16),
        label,
        font=label_font,
        fill=palette.accent,
        anchor="mb",
    )
    draw.rectangle([0, 0, width - 1, height - 1], outline=palette.accent, width=4)
    return image


def main() -> None:
    """Write a poster and a fanart JPG for every item with images."""
    IMAGES_DIR.mkdir(exist_ok=True)
    targets: list[tuple[Path, Image.Image]] = []
    for item in (GAME_OF_THRONES, INCEPTION):
        targets.append(
            (
                IMAGES_DIR / f"poster-{item.id}.jpg",
                draw_image(item, "poster", POSTER_SIZE),
            )
        )
        targets.append(
            (
                IMAGES_DIR / f"fanart-{item.id}.jpg",
                draw_image(item, "fanart", FANART_SIZE),
            )
        )
    for path, image in targets:
        image.save(path, "JPEG", quality=JPEG_QUALITY, optimize=True)
        print(f"{path}: {path.stat().st_size} bytes")  # noqa: T201


if __name__ == "__main__":
    main()
