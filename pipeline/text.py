"""Text utilities shared by the stages: Unicode/whitespace normalisation and a fast sentence splitter.

The splitter is rule-based on purpose: it runs over the whole corpus (tens of millions of characters) in
seconds, where a statistical parser would take half an hour, and news prose is regular enough for rules.
"""

from __future__ import annotations

import re
import unicodedata

# Abbreviations after which a full stop does not end a sentence (lower-cased, without the dot).
_ABBREVIATION_LIST = """
mr mrs ms dr prof gen lt col maj capt cpl sgt adm cmdr rep sen gov pres supt insp rev fr st jr sr
messrs mt ft no nos vol art dept univ inc corp co ltd plc llc bros est approx vs etc al fig jan feb
mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun u.s u.k u.n
e.u u.s.a d.c a.m p.m i.e e.g
"""
_ABBREVIATIONS = frozenset(_ABBREVIATION_LIST.split())

_SPACE_RUN = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufeff\ufffe]")
_BLANK_LINES = re.compile(r"\n\s*\n")

# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace, then an
# opening quote/bracket or an upper-case letter or digit.
_BOUNDARY = re.compile(r"([.!?…]+)([\"'”’)\]]*)(\s+)(?=[\"'“‘(\[]?[A-Z0-9])")
_LAST_TOKEN = re.compile(r"(\S+)$")


def normalise(text: str) -> str:
    """NFC-normalise, drop control characters, collapse runs of spaces, and trim each line."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    lines = (_SPACE_RUN.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(lines).strip()


def split_paragraphs(text: str) -> list[str]:
    """Split at blank lines; a text without blank lines but with single newlines splits at those."""
    blocks = _BLANK_LINES.split(text) if _BLANK_LINES.search(text) else text.split("\n")
    return [" ".join(block.split()) for block in blocks if block.strip()]


def _is_abbreviation(before: str) -> bool:
    match = _LAST_TOKEN.search(before)
    if not match:
        return False
    token = match.group(1).lstrip("\"'“‘([").lower()
    if token in _ABBREVIATIONS:
        return True
    # Single initials ("John F. Kennedy") and dotted acronyms ("U.S.") are not sentence ends.
    return (len(token) == 1 and token.isalpha()) or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", token))


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping abbreviations, initials and dotted acronyms intact."""
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.group(1) == "." and _is_abbreviation(text[start : match.start(1)]):
            continue
        end = match.end(2)
        piece = text[start:end].strip()
        if piece:
            sentences.append(piece)
        start = match.end(3)
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences
