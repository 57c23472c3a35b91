"""Summary timelines in the spirit of DATEWISE (Gholipour Ghalandari & Ifrim, ACL 2020): first rank the
dates, then summarise each chosen date from the sentences that speak about it.

Date ranker: a day matters when later articles keep naming it as the day something happened, and, less,
when many articles appear on it or the day after (news follows events by a day). Sentence selector: a
date's candidates are the sentences that name the date (or, failing those, the leads of articles published
on it or the next day); a greedy choice keeps the summary close to the TF-IDF centroid of the candidates
while refusing near-repeats. Everything here is plain functions over an explicit data model; no learning.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

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
class SummaryConfig:
    """Knobs of the date ranker and the sentence selector (`timeline.summary` in params.yaml).

    A day's score counts articles: those published at least two days later that name the day
    (`later_mention_weight`: the story kept being referred back to; counted as a share of the articles
    published that late, plus `later_smoothing` times the collection, and scaled back to the collection
    size, so that the last days, which little coverage follows, are not ranked down), those published the next day that
    name it (`next_day_mention_weight`: routine follow-up), those published before it that name it
    (`earlier_mention_weight`: announced in advance), and those published on it or the day after
    (`published_weight`: news volume).
    """

    later_mention_weight: float = 1.0
    later_smoothing: float = 0.2
    next_day_mention_weight: float = 0.5
    earlier_mention_weight: float = 0.0
    published_weight: float = 0.25
    lead_sentences: int = 5
    per_article: int = 2
    max_similarity: float = 0.5
    min_words: int = 6
    max_words: int = 60
    min_content_words: int = 3

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> SummaryConfig:
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(f"timeline.summary: unknown setting(s) {', '.join(unknown)}")
        config = cls(**{name: params[name] for name in known if name in params})
        counts = (config.lead_sentences, config.per_article, config.min_words, config.min_content_words)
        if min(counts) < 0 or config.max_words < config.min_words:
            raise ValueError("timeline.summary: counts must be >= 0 and max_words >= min_words")
        if config.later_smoothing <= 0:
            raise ValueError("timeline.summary: later_smoothing must be > 0")
        if not 0 < config.max_similarity <= 1:
            raise ValueError("timeline.summary: max_similarity must be in (0, 1]")
        return config


def date_counts(sentences: Sequence[DatedSentence]) -> dict[str, Counter[dt.date]]:
    """Per day, articles: published on it; naming it from two or more days later, the next day, or before."""
    published: dict[dt.date, set[str]] = defaultdict(set)
    named: dict[str, set[tuple[dt.date, str]]] = {"later": set(), "next_day": set(), "earlier": set()}
    for sentence in sentences:
        published[sentence.published].add(sentence.article_id)
        for day in sentence.mentioned:
            lag = (sentence.published - day).days
            if lag != 0:
                when = "earlier" if lag < 0 else "next_day" if lag == 1 else "later"
                named[when].add((day, sentence.article_id))
    counts = {when: Counter(day for day, _ in pairs) for when, pairs in named.items()}
    counts["published"] = Counter({day: len(ids) for day, ids in published.items()})
    return counts


def rank_dates(
    sentences: Sequence[DatedSentence],
    config: SummaryConfig,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[tuple[dt.date, float]]:
    """Days between `start` and `end` (inclusive) by decreasing score; ties go to the earlier day."""
    counts = date_counts(sentences)
    published = counts["published"]
    publication_days = sorted(published)
    published_from = np.cumsum([published[day] for day in publication_days][::-1])[::-1]  # on or after day i
    total = int(published_from[0]) if len(published_from) else 0
    days = set().union(*counts.values()) | {day - ONE_DAY for day in published}
    scored = []
    for day in days:
        if (start is not None and day < start) or (end is not None and day > end):
            continue
        first_later = bisect.bisect_left(publication_days, day + 2 * ONE_DAY)
        published_later = int(published_from[first_later]) if first_later < len(publication_days) else 0
        later_share = counts["later"][day] * total / (published_later + config.later_smoothing * total)
        score = (
            config.later_mention_weight * later_share
            + config.next_day_mention_weight * counts["next_day"][day]
            + config.earlier_mention_weight * counts["earlier"][day]
            + config.published_weight * (published[day] + published[day + ONE_DAY])
        )
        if score > 0:
            scored.append((day, float(score)))
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored


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
    for day, score in rank_dates(sentences, config, start, end):
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
