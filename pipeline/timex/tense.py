"""Which way a bare "Friday" or "in March" points from the document date: the tense around it.

News reports mostly what happened, so past is the default; a future cue ("will", "is scheduled to",
"plans to", "meets") in the same sentence turns it forward. The verb nearest before the expression decides
(in "said it will vote on Monday", "will" is nearer than "said"); if none precedes it, the nearest verb after it.
"""

from __future__ import annotations

import re

PAST = -1
UNKNOWN = 0
FUTURE = 1
SURELY_PAST = -2  # "since March": the expression itself says it lies before the document date
EITHER = 2  # "until Friday", "by February": a deadline, as likely just before the document date as after it

_FUTURE_CUES = (
    r"will|won['’]t|'ll|’ll|shall|going\s+to|gonna|plans?\s+to|planning\s+to|intends?\s+to|scheduled|is\s+to|"
    r"are\s+to|set\s+to|due\s+to\s+(?:be|begin|start|hold|meet|arrive|visit|take|return|vote|open|close|end|"
    r"resume|sign)|expected\s+to|expects\s+to|hopes?\s+to|aims?\s+to|would|to\s+(?:be|begin|start|hold|meet|"
    r"arrive|visit|take|return|vote|open|launch|resume|sign|attend|travel|host|decide|announce|present|release|"
    r"publish|finish|end|close|reopen|leave|go|head|fly)|meets?|arrives?|travels?|resumes?|begins?|opens?|"
    r"expires?|takes\s+effect|payable|planned|planning|should|could|might|must|needs?\s+to"
)
# Verbs only: adverbs such as "next" or "ago" usually belong to another expression in the sentence.
_PAST_CUES = (
    r"was|were|had|did|said|told|been|began|came|went|took|made|met|left|fell|rose|won|lost|held|gave|saw|"
    r"sent|struck|shot|fled|became|brought|led|spoke|wrote|ran|sought|fought|caught|thought|bought|kept|felt|"
    r"stood|found|got|paid|broke|chose|drove|flew|grew|knew|threw|wore|ate|sat|spent|built|sold|heard|laid|"
    r"withdrew|arose|woke|sank|swore|stole|hid|bit|dug|forgot|forgave|froze|hung|slid|spun|spread|tore|"
    r"[a-z]{3,}(?<!need)(?<!speed)(?<!indeed)(?<!hundred)(?<!united)(?<!based)(?<!related)(?<!limited)"
    r"(?<!alleged)(?<!armed)(?<!scheduled)(?<!expected)(?<!planned)(?<!proposed)(?<!called)(?<!advanced)"
    r"(?<!concerned)(?<!interested)(?<!involved)(?<!required)(?<!detailed)(?<!red)(?<!feed)(?<!seed)"
    r"(?<!bleed)(?<!breed)(?<!embed)(?<!naked)(?<!wicked)(?<!sacred)(?<!kindred)(?<!supposed)(?<!used)"
    r"(?<!unprecedented)(?<!unexpected)(?<!unarmed)(?<!occupied)(?<!backed)(?<!led)(?<!owned)(?<!run)ed"
)
_DEADLINE = re.compile(r"\b(?:by|until|till|before)\s+$")
_SINCE = re.compile(r"\bsince\s+$")
_PAST_AUXILIARY = re.compile(r"\bhad\b(?:\s+\w+){0,3}\s+$")
_PAST_BEFORE_INFINITIVE = re.compile(r"\b(?:was|were|managed|tried|failed|refused|began|started|continued|able|"
                                     r"wanted|attempted|sought|rushed|scrambled)\s+(?:\w+\s+)?$")
_CUES = re.compile(rf"\b(?:(?P<future>{_FUTURE_CUES})|(?P<past>{_PAST_CUES}))\b")
SENTENCE_END = re.compile(r"[.!?]\s+(?=[\"'“‘(]?[A-Z0-9])|\n\s*\n|\n")

_LEFT_WINDOW = 160
_RIGHT_WINDOW = 120


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the sentence around [start, end), within a window of a few hundred characters."""
    left = max(0, start - _LEFT_WINDOW)
    right = min(len(text), end + _RIGHT_WINDOW)
    sentence_start = left
    for boundary in SENTENCE_END.finditer(text, left, start):
        sentence_start = boundary.end()
    boundary = SENTENCE_END.search(text, end, right)
    return sentence_start, boundary.start() + 1 if boundary else right


def direction(text: str, lower: str, start: int, end: int) -> int:
    """PAST, FUTURE, UNKNOWN, SURELY_PAST or EITHER for the expression at [start, end) of `text` (`lower`
    is text.lower())."""
    sentence_start, sentence_end = sentence_bounds(text, start, end)
    if _DEADLINE.search(lower, max(sentence_start, start - 7), start):
        return EITHER
    if _SINCE.search(lower, max(sentence_start, start - 6), start):
        return SURELY_PAST
    before = None
    for cue in _CUES.finditer(lower, sentence_start, start):
        before = cue
    cue = before or _CUES.search(lower, end, sentence_end)
    if cue is None:
        return UNKNOWN
    if cue.lastgroup == "past":
        return PAST
    # "had been due to expire Friday", "were able to leave Monday": a future seen from the past
    window = max(sentence_start, cue.start() - 30)
    if _PAST_AUXILIARY.search(lower, window, cue.start()):
        return PAST
    if cue.group(0).startswith("to") and _PAST_BEFORE_INFINITIVE.search(lower, window, cue.start()):
        return PAST
    return FUTURE
