"""How the report words what it shows: outlet groups by name, days as YYYY-MM-DD, long text cut at a word.

Shared by the corpus, topic, event and run tables and by the figures, so a group or a day reads the same
everywhere in the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from pipeline.corpus import OTHER_GROUP, UNKNOWN

GROUP_NAMES = {
    "russian_state": "Russian state",
    "western": "Western",
    "chinese_state": "Chinese state",
    "cuban_state": "Cuban state",
    OTHER_GROUP: "other",
}


# Colours for outlet groups, given in the order params list the groups (the default four keep their colours);
# a named colour, so captions can say which colour is which group.
PALETTE = (
    ("red", "#b2182b"), ("blue", "#2166ac"), ("orange", "#e08214"), ("purple", "#762a83"), ("green", "#1b7837"),
    ("brown", "#8c510a"), ("teal", "#35978f"), ("pink", "#c51b7d"),
)
OTHER_COLOUR = ("grey", "#4d4d4d")


def group_name(group: str) -> str:
    return GROUP_NAMES.get(group, group.replace("_", " "))


def outlet_text(outlet: Any) -> str:
    """An outlet as the report prints it: `(unknown)` when the corpus does not name it."""
    return UNKNOWN if outlet is None or (not isinstance(outlet, str) and pd.isna(outlet)) else str(outlet)


def group_colours(groups: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Group -> (colour name, hex) for every configured group, in order (the palette repeats past eight),
    and grey for `other`."""
    colours = {group: PALETTE[number % len(PALETTE)] for number, group in enumerate(groups) if group != OTHER_GROUP}
    colours[OTHER_GROUP] = OTHER_COLOUR
    return colours


def colour_legend(groups: Sequence[str], shown: Sequence[str]) -> str:
    """'red Russian state, blue Western, grey other': the colours of the groups in `shown`, in params' order."""
    colours = group_colours(groups)
    order = [group for group in [*groups, OTHER_GROUP] if group in set(shown)]
    return ", ".join(f"{colours[group][0]} {group_name(group)}" for group in dict.fromkeys(order))


def day_text(value: Any) -> str:
    """A date or timestamp as YYYY-MM-DD; empty when missing."""
    return "" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def shorten(text: str, limit: int) -> str:
    """Whitespace-normalised text cut at a word boundary with an ellipsis when longer than `limit`."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "\u2026"
