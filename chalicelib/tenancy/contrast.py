"""Readable brand colours: WCAG 2.2's contrast ratio (SC 1.4.3, level AA: 4.5:1 for text).

A tenant's primary colour fills the pages' main buttons and colours their links and outlines
on white. The button's text is white or near-black, whichever contrasts more with it; where
the colour is too light to be text on white, links and secondary buttons use near-black ink
and keep the colour for borders. A colour against which neither white nor near-black text
reaches 4.5:1 (a narrow band of mid tones) is refused when it is set.
"""

from __future__ import annotations

AA = 4.5
WHITE = "#ffffff"
# The pages' darkest text colour: black would always pass, but reads harshly on a colour.
NEAR_BLACK = "#111111"


def relative_luminance(color: str) -> float:
    """WCAG 2.2 'relative luminance' of ``#rrggbb`` (sRGB)."""
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """WCAG 2.2 'contrast ratio', from 1 (none) to 21 (black on white)."""
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_on(background: str) -> str | None:
    """The text colour for ``background`` (white or near-black, whichever contrasts more),
    or None if neither reaches AA."""
    best = max((WHITE, NEAR_BLACK), key=lambda text: contrast(text, background))
    return best if contrast(best, background) >= AA else None


def ink(color: str) -> str:
    """``color`` where it is readable as text on the pages' white, else near-black."""
    return color if contrast(color, WHITE) >= AA else NEAR_BLACK
