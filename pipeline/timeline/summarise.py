"""Summary timelines in the spirit of DATEWISE (Gholipour Ghalandari & Ifrim, ACL 2020): first rank the
dates, then summarise each chosen date from the sentences that speak about it.

Date ranker: a component named in `timeline.summary.ranker` (`pipeline.components.rankers`; by default a
day matters when later articles keep naming it as the day something happened, and, less, when many articles
appear on it or the day after, as news follows events by a day). Sentence selector: a
date's candidates are the sentences that name the date (or, failing those, the leads of articles published
on it or the next day); a greedy choice keeps the summary close to the TF-IDF centroid of the candidates
while refusing near-repeats. Everything here is plain functions over an explicit data model.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from pipeline.config import SummaryConfig
from pipeline.timeline.sentences import MONTH, content_words, strip_dateline

ONE_DAY = dt.timedelta(days=1)
_ENDS_LIKE_PROSE = re.compile(r"[.!?…][\s\"'”’)\]]*$")
# Photo captions ("Photo taken on March 7, 2022 shows ...", "People flee Irpin, Ukraine, March 11, 2022."),
# navigation ("For the latest news, go here.") and live-blog headers ("Here are the updates for February 25:
# 25 Feb 2022 - 21:41 GMT ..."): dated, but not reports of what happened.
_CAPTION = re.compile(
    rf"^\W*(?:file\s+)?photo\b|\bphoto\s+(?:taken|shows|by|courtesy)\b|\bpictured\b|,\s+{MONTH}\s+\d{{1,2}},\s+\d{{4}}\.?$",
    re.IGNORECASE,
)
_NAVIGATION = re.compile(
    r"\b(?:click here|go here|read more|read also|live updates|key events|subscribe|sign up|latest developments"
    r"|the updates (?:for|on|from))\b|\d{4}\s*[-–]\s*\d{1,2}:\d{2}\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DatedSentence:
    """A sentence of an article, with the article's publication day and the days the sentence names."""

    text: str
    article_id: str
    published: dt.date
    position: int
    mentioned: tuple[dt.date, ...] = ()


@dataclass(frozen=True)
class TimelineEntry:
    day: dt.date
    score: float
    sentences: tuple[DatedSentence, ...]


@dataclass(frozen=True)
class Candidates:
    """Per day, the sentences (by number) that may describe it."""

    naming: dict[dt.date, list[int]]
    leads: dict[dt.date, list[int]]

    def pool(self, day: dt.date) -> list[int]:
        """Sentences that name the day if there are any: they are direct evidence; otherwise the leads."""
        return self.naming.get(day) or self.leads.get(day, [])


def candidates(sentences: Sequence[DatedSentence], allowed: Sequence[bool], config: SummaryConfig) -> Candidates:
    """Sentences naming each day, and the undated leads of articles published on it or the next day.

    Each article gives a day at most `per_article` sentences (its earliest), so that one live blog or
    comment thread full of timestamps does not outvote the articles that report the day once.
    """
    naming: dict[dt.date, list[int]] = defaultdict(list)
    leads: dict[dt.date, list[int]] = defaultdict(list)
    taken: Counter[tuple[dt.date, str]] = Counter()
    order = sorted(range(len(sentences)), key=lambda number: (sentences[number].article_id, sentences[number].position))
    for number in order:
        sentence = sentences[number]
        if not allowed[number]:
            continue
        if sentence.mentioned:
            targets = [(day, naming) for day in sentence.mentioned]
        elif sentence.position < config.lead_sentences:
            targets = [(sentence.published, leads), (sentence.published - ONE_DAY, leads)]
        else:
            continue
        for day, index in targets:
            if taken[day, sentence.article_id] < config.per_article:
                taken[day, sentence.article_id] += 1
                index[day].append(number)
    return Candidates(dict(naming), dict(leads))


def select_sentences(vectors: sparse.csr_matrix, k: int, max_similarity: float) -> list[int]:
    """Greedily pick up to k rows whose normalised sum stays closest to the centroid of all rows.

    A row whose cosine with an already chosen row exceeds `max_similarity` is skipped as a repeat.
    """
    centroid = np.asarray(vectors.sum(axis=0)).ravel()
    norm = np.linalg.norm(centroid)
    if norm == 0:
        return []
    centroid /= norm
    selected: list[int] = []
    summary = np.zeros_like(centroid)
    remaining = np.ones(vectors.shape[0], dtype=bool)
    while len(selected) < k and remaining.any():
        candidates = np.flatnonzero(remaining)
        totals = vectors[candidates].toarray() + summary
        lengths = np.linalg.norm(totals, axis=1)
        scores = np.divide(totals @ centroid, lengths, out=np.zeros(len(candidates)), where=lengths > 0)
        best = candidates[int(np.argmax(scores))]
        remaining[best] = False
        if scores.max() <= 0:
            break
        if selected and (vectors[selected] @ vectors[best].T).toarray().max() > max_similarity:
            continue
        selected.append(int(best))
        summary += vectors[best].toarray().ravel()
    return selected


def summarise(
    sentences: Sequence[DatedSentence],
    n_dates: int,
    n_sentences: int,
    config: SummaryConfig,
    start: dt.date | None = None,
    end: dt.date | None = None,
    keywords: Sequence[str] = (),
) -> list[TimelineEntry]:
    """A timeline of up to `n_dates` days with up to `n_sentences` sentences each, in date order."""
    if not sentences:
        return []
    sentences = [replace(sentence, text=strip_dateline(sentence.text)) for sentence in sentences]
    vectoriser = TfidfVectorizer(stop_words="english", lowercase=True, sublinear_tf=True)
    try:
        vectors = vectoriser.fit_transform([sentence.text for sentence in sentences]).tocsr()
    except ValueError:  # no word survives stop-word removal
        return []
    vectors = normalize(vectors)
    allowed = [_allowed(sentence, config, keywords) for sentence in sentences]
    day_candidates = candidates(sentences, allowed, config)
    entries: list[TimelineEntry] = []
    for day, score in config.ranker.rank(sentences, start, end):
        if len(entries) >= n_dates:
            break
        pool = day_candidates.pool(day)
        if not pool:
            continue
        chosen = select_sentences(vectors[pool], n_sentences, config.max_similarity)
        if chosen:
            entries.append(TimelineEntry(day, score, tuple(sentences[pool[i]] for i in chosen)))
    return sorted(entries, key=lambda entry: entry.day)


def _allowed(sentence: DatedSentence, config: SummaryConfig, keywords: Sequence[str]) -> bool:
    """Summary material: prose of a readable length that contains a topic keyword when there are keywords.

    Prose ends like a sentence (not with a colon, as schedule and section headers do), has no vertical
    bar (which marks datelines, menus and comment headers), is neither a photo caption nor navigation, and
    says something besides its date ("It's the next Friday, here we are." does not)."""
    text = sentence.text
    if "|" in text or not _ENDS_LIKE_PROSE.search(text) or _CAPTION.search(text) or _NAVIGATION.search(text):
        return False
    if not config.min_words <= len(text.split()) <= config.max_words or content_words(text) < config.min_content_words:
        return False
    lower = text.lower()
    return not keywords or any(keyword in lower for keyword in keywords)
