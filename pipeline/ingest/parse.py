"""Turn one article's raw text into structure: title, photo credit and caption, headings, clean paragraphs.

Two layouts occur. Plain-text files (the seed's layout) have a title line, an optional photo block
("(Photo : CREDIT)", a slug line, a caption), then paragraphs separated by blank lines, with headings,
"Read Also:" lines and embed markers mixed in. Table cells are usually one run-on paragraph with the
boilerplate and photo captions inline. Both end up in the same `ParsedArticle`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.text import normalise, split_paragraphs, split_sentences

# Lines and sentences that are page furniture, not reporting.
_BOILERPLATE = re.compile(
    r"""^(?:
        (?:read\ (?:also|more)|related(?:\ articles?)?|also\ read|see\ also|recommended|more\ from)\s*:.*
      | advertisement | advertisements | sponsored | story\ continues\ below.*
      | @\w+                                   # embed markers: @YouTube, @Twitter
      | (?:embed|watch|listen)\s*:?\s*$
      | all\ materials\ herein\ are\ protected\ by.*
      | our\ standards:.*
      | all\ quotes\ delayed\ a\ minimum.* | see\ here\ for\ a\ complete\ list\ of\ exchanges.*
      | ©.* | copyright\ \d{4}.* | .*\ all\ rights\ reserved\.?
      | reuters,\ the\ news\ and\ media\ division\ of\ thomson\ reuters.*
      | follow\s.{0,200}?(?:twitter|facebook|telegram|instagram|gettr|coverage|stories
                          |@\w+|https?://|\bhere\b|live\ feed).*
      | more\ ap\ [\w-]+:.*
      | send\ your\ story\ ideas\ to:.* | find\ bbc\ news:.* | if\ you\ have\ a\ (?:\w+\ )?story\ .*email.*
      | not\ signed\ up\ yet\ for\ fox\ news.* | click\ here\ to\ .* | sign\ up\ for\ .*
      | fox\ news.{0,3}\ go\ watch\ page.* | this\ edition\ of\ fox\ news\ first.*
      | tass\ is\ not\ responsible\ for\ the\ material\ quoted.*
      | the\ views\ expressed\ in\ this\ article\ are\ the\ author.*
      | opinions\ expressed\ here\ are\ those\ of\ the\ author.*
      | the\ industry\ leader\ for\ online\ information.* | access\ unmatched\ financial\ data.*
      | browse\ an\ unrivalled\ portfolio.* | screen\ for\ heightened\ risk.*
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
# Copyright notices and photo-agency credits that pages leave in the text ("(c) 2022 BBC.", "Satellite image ©2022
# Maxar Technologies.", "© 1994-2022 Agence France-Presse"): a sentence of at most COPYRIGHT_MAX_WORDS words with a
# copyright sign, "(c) YEAR" or "Copyright [Owner] YEAR" is furniture. A credit alone ("Image source, Maxar
# Technologies", "Photo: Xinhua", "Image caption, ...") is a caption. Checked on the default corpus and the seed
# (tests/test_ingest.py): they touch 62 of its 16,836 articles, and the seed not at all.
COPYRIGHT_MAX_WORDS = 25
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b(?:\s+\S+){0,5}?\s+(?:19|20)\d{2}\b", re.IGNORECASE)
_CREDIT_SENTENCE = re.compile(
    r"^(?:satellite\s+)?(?:image|photo|picture|video)s?(?:\s+(?:source|copyright|credit|courtesy|caption))?\s*[,:]\s*"
    r"[^.!?]{2,80}[.]?$", re.IGNORECASE
)
CREDIT_MAX_WORDS = 12
# Spans cut out of a paragraph wherever they are: a video player's notice, a photo bank's credit, a transcript's
# legal tail, a press release's distribution footer, a copyright line stuck to the last sentence.
_FURNITURE_SPANS = (
    re.compile(r"To view this video please enable JavaScript.*?HTML5 video(?:\s*©\s*[A-Z][\w-]*)?"),
    re.compile(r"©\s*[A-Z][\w .-]{1,40}(?:\s*/\s*[^/]{2,40}){0,3}/\s*Go to the (?:photo ?bank|mediabank)"),
    re.compile(r"Copy: Content and Programming Copyright.*$"),
    re.compile(r"\s*\bPUB: \d{2}/\d{2}/\d{4}.*$"),
    re.compile(r"(?<=[.!?\"”’)])\s+(?:[a-z]{2,6}(?:[-/][a-z]{2,6})+\s+)?(?:©|\(c\)\s*\d{4})[^.!?]{0,80}[.]?\s*$"),
)


def is_copyright_notice(sentence: str) -> bool:
    """A short sentence whose point is a copyright notice (not reporting that mentions copyright)."""
    return bool(_COPYRIGHT.search(sentence)) and len(sentence.split()) <= COPYRIGHT_MAX_WORDS


def is_credit(sentence: str) -> bool:
    """"Image source, Maxar Technologies", "Photo: Xinhua", "Image caption, ...": a photo credit or caption alone."""
    return len(sentence.split()) <= CREDIT_MAX_WORDS and bool(_CREDIT_SENTENCE.match(sentence))


def _is_furniture(block: str) -> bool:
    """A short block that reads like a heading but is a credit or a notice ("Image source, Maxar Technologies")."""
    return is_credit(block) or is_copyright_notice(block) or cut_furniture(block)[1] > 0


def cut_furniture(paragraph: str) -> tuple[str, int]:
    """The paragraph without furniture spans, and how many were cut."""
    cuts = 0
    for pattern in _FURNITURE_SPANS:
        paragraph, count = pattern.subn("", paragraph)
        cuts += count
    return paragraph.strip(), cuts


# Page furniture after which nothing belongs to the article (Reuters appends other stories' teasers).
_END_OF_ARTICLE = re.compile(
    r"^(?:our standards: the thomson reuters trust principles|reuters news, under the trust)", re.IGNORECASE
)
BOILERPLATE_MAX_CHARS = 400  # a longer block is prose that may merely contain furniture; check it sentence by sentence
# Reuters pages leave a bare "read more" link text at the start of the next sentence.
_INLINE_READ_MORE = re.compile(r"(?:^|(?<=[.!?\"”] ))read more\s+(?=[A-Z])")
_SEPARATOR = re.compile(r"\s*_{3,}\s*")  # AP's "___" rule before its sign-off lines
_PHOTO_CREDIT_LINE = re.compile(
    r"^\(?\s*(?:photo|image|picture|credit)s?\s*(?:by|:)\s*(?P<credit>[^)]*)\)?$", re.I
)
_SLUG_LINE = re.compile(r"^[A-Z0-9][A-Z0-9\-_ ]{2,60}$")
# A sentence that ends with an agency credit in brackets is a photo caption, not reporting.
_INLINE_CAPTION = re.compile(
    r"\((?:[^()]{0,80}?(?:Getty Images|AFP|AP Photo|Reuters|REUTERS/|EPA|Sputnik|TASS|Photo by|Photo:|Credit:)"
    r"[^()]{0,80})\)\s*$"
)
# Reuters texts open with the photo caption, its credit "REUTERS/Name", then the dateline "CITY, Oct 1 (Reuters) -".
_LEADING_CAPTION = re.compile(
    r"^(?P<caption>.{20,800}?REUTERS/[^.]*?)\s+"
    r"(?=[A-Z][A-Z./ ]{2,40}(?:, [A-Za-z. ]+)?, [A-Z][a-z]{2,4}\.? \d{1,2} \(Reuters\))"
)
_END_PUNCT = re.compile(r"[.!?:;,\"”’)…]$")

# Tokeniser spacing in titles: "U . S ." -> "U.S.", "ex - president" -> "ex-president", "Russia 's" -> "Russia's".
_TITLE_FIXES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b([A-Z]) \. (?=[A-Z] \.)"), r"\1."),
    (re.compile(r"\b([A-Z]) \.(?= |$)"), r"\1."),
    (re.compile(r"(?<=\w) - (?=\w)"), "-"),
    (re.compile(r"(?<=\w) (['’](?:s|re|ve|ll|d|m|t)\b)"), r"\1"),
    (re.compile(r"(?<=\w) (n['’]t)\b"), r"\1"),
    (re.compile(r" ([,;:!?%])"), r"\1"),
    (re.compile(r"([(\[$£€]) "), r"\1"),
    (re.compile(r" ([)\]])"), r"\1"),
    (re.compile(r"(?<=\d) \. (?=\d)"), "."),
    (re.compile(r'"\s+([^"]+?)\s+"'), r'"\1"'),
)


@dataclass
class ParsedArticle:
    title: str
    paragraphs: list[str]
    headings: list[dict[str, object]] = field(default_factory=list)  # {"before_paragraph": i, "text": h}
    photo_credit: str | None = None
    photo_slug: str | None = None
    captions: list[str] = field(default_factory=list)
    boilerplate_removed: int = 0
    ended: bool = False  # an end-of-article marker was seen; the rest of the text is furniture

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


def repair_title(title: str) -> str:
    """Undo tokeniser spacing and collapse whitespace in a headline."""
    title = " ".join(normalise(title).split())
    for pattern, replacement in _TITLE_FIXES:
        title = pattern.sub(replacement, title)
    return title


def _is_heading(line: str, next_line: str | None) -> bool:
    """A short line without terminal punctuation, in title case, followed by prose."""
    words = line.split()
    if not 2 <= len(words) <= 16 or _END_PUNCT.search(line) or next_line is None:
        return False
    capitalised = sum(word[0].isupper() or not word[0].isalpha() for word in words)
    return capitalised / len(words) >= 0.6


def _clean_prose(paragraph: str, article: ParsedArticle, max_chars: int) -> list[str]:
    """Drop boilerplate sentences and inline captions; split run-on text into sentence groups."""
    paragraph = _SEPARATOR.sub(" ", _INLINE_READ_MORE.sub("", paragraph)).strip()
    paragraph, cuts = cut_furniture(paragraph)
    article.boilerplate_removed += cuts
    sentences = split_sentences(paragraph)
    kept: list[str] = []
    for position, sentence in enumerate(sentences):
        if _END_OF_ARTICLE.match(sentence):
            article.boilerplate_removed += len(sentences) - position
            article.ended = True
            break
        if _BOILERPLATE.match(sentence) or is_copyright_notice(sentence):
            article.boilerplate_removed += 1
        elif _INLINE_CAPTION.search(sentence) or is_credit(sentence):
            article.captions.append(sentence)
        else:
            kept.append(sentence)
    if not kept:
        return []
    if len(paragraph) <= max_chars and len(kept) == len(sentences):
        return [paragraph]
    return _group_sentences(kept, max_chars)


def _group_sentences(sentences: list[str], max_chars: int) -> list[str]:
    """Greedily pack consecutive sentences into paragraphs of at most about `max_chars` characters."""
    groups: list[str] = []
    current: list[str] = []
    length = 0
    for sentence in sentences:
        if current and length + len(sentence) > max_chars:
            groups.append(" ".join(current))
            current, length = [], 0
        current.append(sentence)
        length += len(sentence) + 1
    if current:
        groups.append(" ".join(current))
    return groups


def _take_photo_block(lines: list[str], article: ParsedArticle) -> list[str]:
    """Consume "(Photo : X)", an optional all-caps slug and the caption that follow the title."""
    if not lines or not (match := _PHOTO_CREDIT_LINE.match(lines[0])):
        return lines
    article.photo_credit = match.group("credit").strip() or None
    rest = lines[1:]
    if rest and _SLUG_LINE.match(rest[0]):
        article.photo_slug = rest[0]
        rest = rest[1:]
    if rest and rest[0]:
        article.captions.append(rest[0])
        rest = rest[1:]
    return rest


def parse_article(raw_text: str, title: str | None = None, max_paragraph_chars: int = 1200) -> ParsedArticle:
    """Parse raw article text; when `title` is None the first line of the text is the title."""
    text = normalise(raw_text)
    lines = text.split("\n")
    if title is None:
        title, lines = lines[0], lines[1:]
    article = ParsedArticle(title=repair_title(title), paragraphs=[])
    lines = _take_photo_block(lines, article)
    blocks = split_paragraphs("\n".join(lines))
    if blocks and (match := _LEADING_CAPTION.match(blocks[0])):
        article.captions.append(match.group("caption"))
        blocks[0] = blocks[0][match.end() :].lstrip()
    for index, block in enumerate(blocks):
        next_block = blocks[index + 1] if index + 1 < len(blocks) else None
        if article.ended or (len(block) <= BOILERPLATE_MAX_CHARS and _BOILERPLATE.match(block)):
            article.boilerplate_removed += 1
        elif _is_heading(block, next_block) and not _is_furniture(block):
            article.headings.append({"before_paragraph": len(article.paragraphs), "text": block})
        else:
            article.paragraphs.extend(_clean_prose(block, article, max_paragraph_chars))
    return article
