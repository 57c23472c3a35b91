"""How the report words what it shows: outlet groups by name, days as YYYY-MM-DD, long text cut at a word.

Shared by the corpus, topic, event and run tables and by the figures, so a group or a day reads the same
everywhere in the report.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.corpus import OTHER_GROUP

GROUP_NAMES = {
    "russian_state": "Russian state",
    "western": "Western",
    "chinese_state": "Chinese state",
    "cuban_state": "Cuban state",
    OTHER_GROUP: "other",
}


def group_name(group: str) -> str:
    return GROUP_NAMES.get(group, group.replace("_", " "))


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
