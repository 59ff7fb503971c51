"""One colour per class on every page: class 1 of a dataset is the same orange on the latent map,
Draw and see, Compare and Interpolate, so a student who learned where the 1s are keeps reading them."""

from __future__ import annotations

import plotly.colors

# D3's category10 first (Compare's canvas draws with it too: `compare_view` hands it this list), then
# Dark24 for datasets with more than ten classes.
CLASS_COLOURS: list[str] = list(plotly.colors.qualitative.D3) + list(plotly.colors.qualitative.Dark24)


def class_colour(index: int) -> str:
    """The colour of class `index` (0-based), the same on every page."""
    return CLASS_COLOURS[int(index) % len(CLASS_COLOURS)]


__all__ = ["CLASS_COLOURS", "class_colour"]
