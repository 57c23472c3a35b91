"""TimeML in and out: read .tml / .TE3input documents, write them back with TIMEX3 tags inserted.

The character data inside <TEXT> is never changed: reading removes all markup inside <TEXT> (gold TIMEX3,
EVENT, SIGNAL) but keeps entities as written, and writing inserts TIMEX3 tags into that same string, so
any TempEval scorer sees exactly the original text. MEANTIME (CAT XML: tokens plus markables anchored on
token ids) converts to the same TimeML form, with its document-date line moved into <DCT>.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.timex.model import Timex


class TimeMLError(ValueError):
    """A file that is not TimeML this module can read."""


@dataclass(frozen=True, slots=True)
class Span:
    """A TIMEX3 in plain-text coordinates (entities decoded, markup removed)."""

    start: int
    end: int
    type: str
    value: str


@dataclass(slots=True)
class Document:
    """One TimeML document: the bytes around <TEXT>, its character data, its DCT and its TIMEX3 spans."""

    name: str
    head: str  # everything up to and including <TEXT>
    raw: str  # the content of <TEXT> with markup removed, entities as written
    text: str  # `raw` with entities decoded: what the tagger reads
    dct: str | None
    timexes: list[Span] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)  # offsets[i]: position in `raw` of text[i]


_TEXT_OPEN = re.compile(r"<TEXT(?:\s[^>]*)?>")
_TEXT_CLOSE = re.compile(r"</TEXT\s*>")
_DCT_TIMEX = re.compile(r"<DCT>\s*<TIMEX3\b([^>]*)>", re.S)
_PIECES = re.compile(r"<(/?)([A-Za-z_][\w.-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)(/?)>|<!--.*?-->|&[#\w]+;|[^<&]+"
                     r"|[<&]", re.S)
_ATTRIBUTE = re.compile(r"([\w:.-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


def _attributes(text: str) -> dict[str, str]:
    return {m.group(1): html.unescape(m.group(2) if m.group(2) is not None else m.group(3))
            for m in _ATTRIBUTE.finditer(text)}


def parse_timeml(content: str, name: str = "") -> Document:
    """Split a TimeML document into head, <TEXT> character data and gold TIMEX3 spans."""
    opening = _TEXT_OPEN.search(content)
    closing = _TEXT_CLOSE.search(content, opening.end()) if opening else None
    if opening is None or closing is None:
        raise TimeMLError(f"{name or 'document'}: no <TEXT>...</TEXT> element")
    dct_match = _DCT_TIMEX.search(content, 0, opening.start())
    dct = _attributes(dct_match.group(1)).get("value") if dct_match else None
    raw_parts: list[str] = []
    text_parts: list[str] = []
    offsets: list[int] = []
    spans: list[Span] = []
    open_timexes: list[tuple[int, dict[str, str]]] = []
    raw_length = 0
    for piece in _PIECES.finditer(content, opening.end(), closing.start()):
        token = piece.group(0)
        if piece.group(2) is not None:  # a tag: dropped from the text
            if piece.group(2) == "TIMEX3":
                if piece.group(1):
                    if open_timexes:
                        start, attributes = open_timexes.pop()
                        spans.append(Span(start, len(offsets), attributes.get("type", ""),
                                          attributes.get("value", "")))
                elif not piece.group(4):
                    open_timexes.append((len(offsets), _attributes(piece.group(3))))
            continue
        if token.startswith("<!--"):
            continue
        decoded = html.unescape(token) if token.startswith("&") else token
        if len(decoded) == 1:  # an entity is one character of text at the entity's raw position
            offsets.append(raw_length)
        else:
            decoded = token
            offsets.extend(range(raw_length, raw_length + len(token)))
        text_parts.append(decoded)
        raw_parts.append(token)
        raw_length += len(token)
    offsets.append(raw_length)
    spans.sort(key=lambda span: (span.start, span.end))
    return Document(name=name, head=content[:opening.end()], raw="".join(raw_parts), text="".join(text_parts),
                    dct=dct, timexes=spans, offsets=offsets)


def read_timeml(path: str | Path) -> Document:
    path = Path(path)
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise TimeMLError(f"{path}: not UTF-8 text ({error})") from error
    return parse_timeml(content, path.name)


def _attribute_text(value: str) -> str:
    return html.escape(value, quote=True)


def render_timeml(document: Document, timexes: Iterable[Timex]) -> str:
    """The document with `timexes` (plain-text offsets) inserted as TIMEX3 tags into its <TEXT>."""
    used = {int(number) for number in re.findall(r'tid="t(\d+)"', document.head)}
    next_id = max(used, default=0) + 1
    pieces: list[str] = [document.head]
    cursor = 0
    for timex in sorted(timexes, key=lambda t: t.start):
        start, end = document.offsets[timex.start], document.offsets[timex.end]
        if start < cursor:
            continue
        attributes = f'tid="t{next_id}" type="{timex.type}" value="{_attribute_text(timex.value)}"'
        if timex.mod:
            attributes += f' mod="{timex.mod}"'
        pieces.append(document.raw[cursor:start])
        pieces.append(f"<TIMEX3 {attributes}>{document.raw[start:end]}</TIMEX3>")
        cursor = end
        next_id += 1
    pieces.append(document.raw[cursor:])
    pieces.append("</TEXT>\n\n</TimeML>\n")
    return "".join(pieces)


def timeml_files(folder: str | Path) -> list[Path]:
    """The TimeML documents in a folder (.tml and TempEval-3 .TE3input), sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TimeMLError(f"{folder}: not a folder")
    return sorted(p for p in folder.iterdir() if p.is_file() and (p.suffix == ".tml" or p.name.endswith(".TE3input")))


def document_key(path: str | Path) -> str:
    """The name that pairs a gold file with a system file (ABC1998.tml, ABC1998.tml.TE3input, ABC1998)."""
    name = Path(path).name
    for suffix in (".TE3input", ".tml", ".xml"):
        name = name.removesuffix(suffix)
    return name


# ---------------------------------------------------------------- MEANTIME (CAT XML)

_NO_SPACE_BEFORE = frozenset({",", ".", ";", ":", "!", "?", ")", "]", "}", "%", "'s", "'", "n't", "'re", "'ve",
                              "'ll", "'d", "'m", "’s", "”"})
_NO_SPACE_AFTER = frozenset({"(", "[", "{", "$", "“", "#"})


def meantime_to_timeml(path: str | Path) -> str:
    """A MEANTIME CAT XML document as TimeML: title and body in <TEXT>, gold TIMEX3 inline, and the
    document-date line (the CREATION_TIME TIMEX3) in <DCT>.

    MEANTIME annotates only the title and the first sentences of each article, so <TEXT> stops at the
    last sentence holding any annotation: a tagger is not charged for dates in unannotated sentences.
    """
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        raise TimeMLError(f"{path}: not well-formed XML ({error})") from error
    tokens = [(t.get("t_id", ""), t.text or "", int(t.get("sentence", "0"))) for t in root.iter("token")]
    if not tokens:
        raise TimeMLError(f"{path}: no <token> elements; not a MEANTIME CAT file")
    markables = root.find("Markables")
    timexes = [] if markables is None else list(markables.iter("TIMEX3"))
    creation = next((t for t in timexes if t.get("functionInDocument") == "CREATION_TIME"), None)
    creation_ids = {a.get("t_id") for a in creation.findall("token_anchor")} if creation is not None else set()
    dct_sentences = {sentence for token_id, _, sentence in tokens if token_id in creation_ids}
    dropped = dct_sentences if dct_sentences == {1} else set()
    sentence_of = {token_id: sentence for token_id, _, sentence in tokens}
    annotated = [sentence_of.get(anchor.get("t_id"), -1) for anchor in markables.iter("token_anchor")] if (
        markables is not None) else []
    last_sentence = max(annotated, default=max(sentence for _, _, sentence in tokens))

    text_parts: list[str] = []
    positions: dict[str, tuple[int, int]] = {}
    length = 0
    previous_sentence = None
    previous_token = ""
    for token_id, word, sentence in tokens:
        if sentence in dropped or sentence > last_sentence:
            continue
        if previous_sentence is None:
            separator = ""
        elif sentence != previous_sentence:
            separator = "\n\n" if previous_sentence == 0 else " "
        elif word in _NO_SPACE_BEFORE or previous_token in _NO_SPACE_AFTER:
            separator = ""
        else:
            separator = " "
        text_parts.append(separator)
        length += len(separator)
        positions[token_id] = (length, length + len(word))
        text_parts.append(word)
        length += len(word)
        previous_sentence, previous_token = sentence, word
    text = "".join(text_parts)

    spans = []
    for timex in timexes:
        if timex is creation:
            continue
        anchors = [positions[a.get("t_id")] for a in timex.findall("token_anchor") if a.get("t_id") in positions]
        if anchors:
            spans.append(Span(min(a[0] for a in anchors), max(a[1] for a in anchors), timex.get("type", ""),
                              timex.get("value", "")))
    spans.sort(key=lambda span: (span.start, span.end))

    body: list[str] = []
    cursor = 0
    for number, span in enumerate(spans, start=1):
        if span.start < cursor:
            continue
        body.append(html.escape(text[cursor:span.start], quote=False))
        body.append(f'<TIMEX3 tid="t{number}" type="{span.type}" value="{_attribute_text(span.value)}">'
                    f"{html.escape(text[span.start:span.end], quote=False)}</TIMEX3>")
        cursor = span.end
    body.append(html.escape(text[cursor:], quote=False))

    dct = ""
    if creation is not None:
        value = creation.get("value", "")
        day_first = re.fullmatch(r"(\d\d)-(\d\d)-(\d{4})", value)  # one file writes 03-02-2009 for Feb 3
        if day_first:
            value = f"{day_first.group(3)}-{day_first.group(2)}-{day_first.group(1)}"
        dct_text = " ".join(word for token_id, word, _ in tokens if token_id in creation_ids)
        dct = (f'<DCT><TIMEX3 tid="t0" type="DATE" value="{_attribute_text(value)}" '
               f'functionInDocument="CREATION_TIME">{html.escape(dct_text, quote=False)}</TIMEX3></DCT>\n')
    doc_id = html.escape(root.get("doc_name", path.stem), quote=False)
    return (f'<?xml version="1.0" ?>\n<TimeML>\n<DOCID>{doc_id}</DOCID>\n{dct}<TEXT>'
            + "".join(body) + "</TEXT>\n</TimeML>\n")
