"""Publication dates from metadata: dates, timestamps and the common string forms of a date column."""

from __future__ import annotations

import datetime as dt
import math

_METADATA_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y")


def parse_metadata_date(value: object) -> dt.date | None:
    """A calendar date from a metadata value (date, timestamp or common string forms), else None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        parsed = None
        for fmt in _METADATA_FORMATS:
            try:
                parsed = dt.datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
    if parsed is None or not 1800 <= parsed.year <= 2200:
        return None
    return parsed
