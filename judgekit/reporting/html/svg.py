"""Turn a matplotlib SVG document into an element that can sit inline in an HTML page.

matplotlib writes a stand-alone SVG file: an XML prolog, a DOCTYPE, RDF metadata and ids such
as `figure_1` or `patch_3` that every figure repeats. Inline in one page, repeated ids would
make one figure's `url(#clip)` point into another figure, so every id is given a per-figure
prefix. Figures are drawn with placeholder colours (`PALETTE`) that are replaced here by CSS
variables, so the same plot follows the page into dark mode.
"""

from __future__ import annotations

import re
from html import escape

# Placeholder colours used while drawing, and the CSS variable each one becomes. They are
# unlikely colours so that no colour matplotlib picks by itself is mistaken for one of them.
PALETTE: dict[str, str] = {
    "#010203": "var(--plot-fg)",  # text, axes, ticks
    "#020304": "var(--plot-muted)",  # grid lines, reference lines, individual items
    "#030405": "var(--plot-accent)",  # the main series
    "#040506": "var(--plot-accent2)",  # a second series
    "#050607": "var(--plot-accent3)",  # a third series (ties, warnings)
    "#060708": "var(--plot-bad)",  # unscored and failed items
    "#070809": "var(--plot-heat)",  # the cells of a count matrix (drawn with a transparency)
    "#08090a": "var(--plot-on-heat)",  # text on the strongest cells of a count matrix
}
FG, MUTED, ACCENT, ACCENT2, ACCENT3, BAD, HEAT, ON_HEAT = PALETTE

_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_FONT_FAMILY = re.compile(r"font-family: [^;\"]+")
_SIZE = re.compile(r'<svg([^>]*?) width="([\d.]+)pt" height="([\d.]+)pt"')
_ID = re.compile(r'\bid="([^"]+)"')


def inline_svg(document: str, *, prefix: str, label: str) -> str:
    """The SVG element of `document`, ready to paste into HTML, with ids made unique by `prefix`.

    `label` becomes the figure's accessible name (`role="img"`, `aria-label` and `<title>`).
    """
    svg = _PROLOG.sub("", document, count=1)
    svg = _METADATA.sub("", svg, count=1)
    svg = _FONT_FAMILY.sub("font-family: 'DejaVu Sans', Verdana, sans-serif", svg)
    for placeholder, variable in PALETTE.items():
        svg = svg.replace(placeholder, variable)
    svg = _prefix_ids(svg, prefix)
    size = _SIZE.search(svg)
    if size is None:
        raise ValueError("matplotlib's SVG has no width and height in points")
    width_px = round(float(size.group(2)) * 4 / 3)
    opening = (
        f'<svg{size.group(1)} class="plot" role="img" aria-label="{escape(label)}" '
        # Never wider than drawn (its text would grow past the page's); narrower screens shrink it.
        f'style="max-width: {width_px}px" preserveAspectRatio="xMidYMid meet"'
    )
    svg = svg[: size.start()] + opening + svg[size.end() :]
    head_end = svg.index(">") + 1
    return svg[:head_end] + f"<title>{escape(label)}</title>" + svg[head_end:]


def _prefix_ids(svg: str, prefix: str) -> str:
    ids = set(_ID.findall(svg))
    if not ids:
        return svg

    def rename(match: re.Match[str]) -> str:
        return f'id="{prefix}-{match.group(1)}"'

    svg = _ID.sub(rename, svg)
    # References appear as url(#id) in clip-path and style values and as href="#id" in <use>.
    pattern = re.compile(r"(url\(#|href=\"#)(" + "|".join(re.escape(name) for name in ids) + r")(?=[)\"])")
    return pattern.sub(lambda match: f"{match.group(1)}{prefix}-{match.group(2)}", svg)
