"""Temporal tagger: TimeML TIMEX3 recognition and normalisation, in-process and fast.

`tag(text, dct)` returns every date, time, duration and set the text mentions, as `Timex` spans with
TimeML values resolved against the document creation time `dct`, or, where the text narrates another time (a
history, a background paragraph), against the dates the text itself establishes (see narrative.py).
"""

from pipeline.timex.model import Timex
from pipeline.timex.tagger import tag

__all__ = ["Timex", "tag"]
