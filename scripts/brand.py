"""Draw the integration's brand images into custom_components/simkl/brand."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND_DIR = (
    Path(__file__).resolve().parent.parent / "custom_components" / "simkl" / "brand"
)

# Every image is drawn SUPERSAMPLE times its 1x size and then reduced, which
# anti-aliases the edges and makes each @2x file exactly twice its 1x file.
SUPERSAMPLE = 4
ICON_SIZE = 256
LOGO_HEIGHT = 256

TILE_START = (132, 94, 247)
TILE_END = (64, 52, 201)
GLYPH = (255, 255, 255)
TRACK_ALPHA = 0.32
TEXT_ON_LIGHT = (33, 37, 52)
TEXT_ON_DARK = (238, 240, 247)

# Neutral wording on purpose: the service's name is someone else's trademark.
WORDMARK = "last watched"

# Points per rounded corner of the play glyph.
ARC_STEPS = 48

Point = tuple[float, float]


def _diagonal_gradient(size: int) -> Image.Image:
    """Return an RGBA square shading from TILE_START to TILE_END."""
    steps = 2 * size - 1
    ramp = Image.new("RGB", (steps, 1))
    ramp.putdata(
        [
            tuple(
                round(start + (end - start) * index / (steps - 1))
                for start, end in zip(TILE_START, TILE_END, strict=True)
            )
            for index in range(steps)
        ]
    )
    gradient = Image.new("RGBA", (size, size))
    for row in range(size):
        gradient.paste(ramp.crop((row, 0, row + size, 1)), (0, row))
    return gradient


def _outward_angle(start: Point, end: Point, centre: Point) -> float:
    """Return the direction of the edge's normal that points away from centre."""
    normal_x, normal_y = end[1] - start[1], start[0] - end[0]
    middle_x, middle_y = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
    if normal_x * (middle_x - centre[0]) + normal_y * (middle_y - centre[1]) < 0:
        normal_x, normal_y = -normal_x, -normal_y
    return math.atan2(normal_y, normal_x)


def _rounded_triangle(
    draw: ImageDraw.ImageDraw,
    corners: Sequence[Point],
    radius: float,
    fill: tuple[int, ...],
) -> None:
    """Fill a triangle whose corners are rounded with the given radius."""
    (ax, ay), (bx, by), (cx, cy) = corners
    side_a = math.dist((bx, by), (cx, cy))
    side_b = math.dist((cx, cy), (ax, ay))
    side_c = math.dist((ax, ay), (bx, by))
    perimeter = side_a + side_b + side_c
    centre = (
        (side_a * ax + side_b * bx + side_c * cx) / perimeter,
        (side_a * ay + side_b * by + side_c * cy) / perimeter,
    )
    inradius = abs((bx - ax) * (cy - ay) - (cx - ax) * (by - ay)) / perimeter
    # Shrinking the triangle towards its incentre by the radius and walking an
    # arc around each shrunken corner traces the rounded outline exactly.
    scale = (inradius - radius) / inradius
    inner = [
        (centre[0] + (x - centre[0]) * scale, centre[1] + (y - centre[1]) * scale)
        for x, y in corners
    ]
    outline: list[Point] = []
    for index, (x, y) in enumerate(inner):
        before, after = inner[index - 1], inner[(index + 1) % len(inner)]
        start = _outward_angle(before, (x, y), centre)
        sweep = (_outward_angle((x, y), after, centre) - start + math.pi) % (
            2 * math.pi
        ) - math.pi
        outline += [
            (
                x + radius * math.cos(start + sweep * step / ARC_STEPS),
                y + radius * math.sin(start + sweep * step / ARC_STEPS),
            )
            for step in range(ARC_STEPS + 1)
        ]
    draw.polygon(outline, fill=fill)


def draw_mark(size: int) -> Image.Image:
    """Return the mark: a play glyph over a watched-progress bar on a tile."""
    tile_mask = Image.new("L", (size, size))
    ImageDraw.Draw(tile_mask).rounded_rectangle(
        (0, 0, size - 1, size - 1), radius=round(size * 0.23), fill=255
    )
    mark = Image.new("RGBA", (size, size))
    mark.paste(_diagonal_gradient(size), (0, 0), tile_mask)

    glyph = Image.new("RGBA", (size, size))
    draw = ImageDraw.Draw(glyph)
    height = size * 0.40
    width = height * 0.92
    left = size * 0.5 - width * 0.40
    top = size * 0.43 - height / 2
    _rounded_triangle(
        draw,
        [(left, top), (left + width, top + height / 2), (left, top + height)],
        radius=size * 0.045,
        fill=(*GLYPH, 255),
    )
    bar_left, bar_right = size * 0.25, size * 0.75
    bar_top, bar_bottom = size * 0.725, size * 0.785
    bar_radius = (bar_bottom - bar_top) / 2
    draw.rounded_rectangle(
        (bar_left, bar_top, bar_right, bar_bottom),
        radius=bar_radius,
        fill=(*GLYPH, round(255 * TRACK_ALPHA)),
    )
    draw.rounded_rectangle(
        (bar_left, bar_top, bar_left + (bar_right - bar_left) * 0.68, bar_bottom),
        radius=bar_radius,
        fill=(*GLYPH, 255),
    )
    mark.alpha_composite(glyph)
    return mark


def draw_wordmark(height: int, colour: tuple[int, int, int]) -> Image.Image:
    """Return WORDMARK in the given colour, trimmed to its ink."""
    # Pillow's bundled font (Aileron), so any machine with the same Pillow draws
    # the same pixels; a thin stroke of the text colour gives it some weight.
    font = ImageFont.load_default(size=round(height * 0.36))
    stroke = max(1, round(height * 0.006))
    left, top, right, bottom = font.getbbox(WORDMARK, stroke_width=stroke)
    text = Image.new("RGBA", (math.ceil(right - left) + 4, math.ceil(bottom - top) + 4))
    ImageDraw.Draw(text).text(
        (2 - left, 2 - top),
        WORDMARK,
        font=font,
        fill=(*colour, 255),
        stroke_width=stroke,
        stroke_fill=(*colour, 255),
    )
    return text.crop(text.getchannel("A").getbbox())


def draw_logo(height: int, colour: tuple[int, int, int]) -> Image.Image:
    """Return the mark followed by the wordmark, as wide as a multiple of 4."""
    mark = draw_mark(height)
    text = draw_wordmark(height, colour)
    gap = round(height * 0.16)
    gap += -(height + gap + text.width) % SUPERSAMPLE
    logo = Image.new("RGBA", (height + gap + text.width, height))
    logo.alpha_composite(mark)
    logo.alpha_composite(text, (height + gap, (height - text.height) // 2))
    return logo


def _save(
    master: Image.Image,
    name: str,
    target: Path,
    text_colour: tuple[int, int, int] | None = None,
) -> None:
    """Save master reduced to 1x as name.png and to 2x as name@2x.png."""
    for factor, suffix in ((1, ""), (2, "@2x")):
        size = (
            master.width * factor // SUPERSAMPLE,
            master.height * factor // SUPERSAMPLE,
        )
        image = master.resize(size, Image.Resampling.LANCZOS)
        # Clear the colour of fully transparent pixels: it is never seen and
        # compresses worse than zeros.
        visible = image.getchannel("A").point(lambda alpha: 255 if alpha else 0)
        image = Image.composite(image, Image.new("RGBA", size), visible)
        if text_colour is not None:
            # Resampling leaves rounding noise in the colour of the wordmark's
            # edge pixels; one flat colour keeps the file a quarter smaller.
            solid = Image.new("RGBA", size, (*text_colour, 255))
            solid.putalpha(image.getchannel("A"))
            box = (image.height, 0, image.width, image.height)
            image.paste(solid.crop(box), box)
        image.save(target / f"{name}{suffix}.png", optimize=True)


def main() -> None:
    """Write every brand image."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=BRAND_DIR, help="target folder")
    target: Path = parser.parse_args().out
    target.mkdir(parents=True, exist_ok=True)

    # The tile is opaque and carries its own contrast, so one icon serves both
    # themes; only the wordmark's colour changes on a dark background.
    _save(draw_mark(ICON_SIZE * SUPERSAMPLE), "icon", target)
    for name, colour in (("logo", TEXT_ON_LIGHT), ("dark_logo", TEXT_ON_DARK)):
        logo = draw_logo(LOGO_HEIGHT * SUPERSAMPLE, colour)
        _save(logo, name, target, text_colour=colour)


if __name__ == "__main__":
    main()
