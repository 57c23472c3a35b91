"""Which way a bare "Friday" or "in March" points from the document date: the tense around it.

News reports mostly what happened, so past is the default; a future cue ("will", "is scheduled to",
"plans to", "next") in the same sentence turns it forward. The cue nearest before the expression decides
(in "said it will vote on Monday", "will" is nearer than "said"); if none precedes it, the nearest cue after it.
"""

from __future__ import annotations

import re

PAST = -1
UNKNOWN = 0
FUTURE = 1

_FUTURE_CUES = (
    r"will|wo|'ll|’ll|shall|going\s+to|gonna|plans?\s+to|planning\s+to|intends?\s+to|scheduled|is\s+to|are\s+to|"
    r"set\s+to|due\s+to\s+(?:be|begin|start|hold|meet|arrive|visit|take|return|vote|open|close|end|resume|sign)|"
    r"expected\s+to|expects\s+to|hopes?\s+to|aims?\s+to|would|upcoming|next|coming|until|till|"
    r"to\s+(?:be|begin|start|hold|meet|arrive|visit|take|return|vote|open|launch|resume|sign|attend|travel|"
    r"host|decide|announce|present|release|publish|hold|finish|end|close|reopen)|"
    r"payable|begins|starts|opens|ends|expires|takes\s+effect|deadline|later\s+this|forecasts?|predicts?|"
    r"tomorrow|looking\s+ahead|ahead\s+of"
)
_PAST_CUES = (
    r"was|were|had|did|said|told|ago|last|earlier|yesterday|previously|already|been|"
    r"announced|reported|claimed|killed|died|began|began|came|went|took|made|met|left|fell|rose|"
    r"won|lost|held|gave|saw|sent|struck|hit|shot|fled|became|brought|led|spoke|wrote|ran|"
    r"[a-z]{3,}(?<!need)(?<!speed)(?<!indeed)(?<!hundred)(?<!united)(?<!based)(?<!related)(?<!limited)"
    r"(?<!alleged)(?<!armed)(?<!scheduled)(?<!expected)(?<!planned)(?<!proposed)(?<!called)(?<!advanced)"
    r"(?<!concerned)(?<!interested)(?<!involved)(?<!required)(?<!detailed)(?<!red)(?<!feed)(?<!seed)"
    r"(?<!bleed)(?<!breed)(?<!embed)(?<!naked)(?<!wicked)(?<!sacred)(?<!kindred)(?<!supposed)(?<!used)ed"
)
_CUES = re.compile(rf"\b(?:(?P<future>{_FUTURE_CUES})|(?P<past>{_PAST_CUES}))\b")
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[\"'“‘(]?[A-Z0-9])|\n\s*\n|\n")

_LEFT_WINDOW = 160
_RIGHT_WINDOW = 120


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the sentence around [start, end), within a window of a few hundred characters."""
    left = max(0, start - _LEFT_WINDOW)
    right = min(len(text), end + _RIGHT_WINDOW)
    sentence_start = left
    for boundary in _SENTENCE_END.finditer(text, left, start):
        sentence_start = boundary.end()
    boundary = _SENTENCE_END.search(text, end, right)
    return sentence_start, boundary.start() + 1 if boundary else right


def direction(text: str, lower: str, start: int, end: int) -> int:
    """PAST, FUTURE or UNKNOWN for the expression at [start, end) of `text` (`lower` is text.lower())."""
    sentence_start, sentence_end = sentence_bounds(text, start, end)
    before = None
    for cue in _CUES.finditer(lower, sentence_start, start):
        before = cue
    if before is not None:
        return FUTURE if before.lastgroup == "future" else PAST
    after = _CUES.search(lower, end, sentence_end)
    if after is not None:
        return FUTURE if after.lastgroup == "future" else PAST
    return UNKNOWN
