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
import functools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from pipeline.config import SummaryConfig
from pipeline.timeline.sentences import DAY_GRANULARITIES, MONTH, content_words, detokenise_ptb, strip_dateline

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


@dataclass(frozen=True, slots=True)
class DatedSentence:
    """A sentence of an article, with the article's publication day and the days the sentence names.

    `kinds` says, for each day of `mentioned`, how it was named: "full" (a complete date, "March 17, 2011"),
    "calendar" (a date whose year comes from context, "March 17"), "relative" ("on Monday", "yesterday") or
    "time" (a time of a day, "Monday night"). `periods` are the weeks and months the sentence names, as
    (first day, last day). `outlet` is the article's outlet, when known. Rankers that learn read these.
    """

    text: str
    article_id: str
    published: dt.date
    position: int
    mentioned: tuple[dt.date, ...] = ()
    kinds: tuple[str, ...] = ()
    periods: tuple[tuple[dt.date, dt.date], ...] = ()
    outlet: str = ""


_CALENDAR_TEXT = re.compile(rf"\d|{MONTH}", re.IGNORECASE)
PERIOD_GRANULARITIES = frozenset({"week", "month"})


def dated_sentence(
    text: str, article_id: str, published: dt.date, position: int, timexes: Sequence[Any], outlet: str = ""
) -> DatedSentence:
    """A sentence with the days its DATE/TIME expressions name (single days, in order, without repeats),
    how each was named, and the weeks and months it names."""
    days: list[dt.date] = []
    kinds: list[str] = []
    periods: list[tuple[dt.date, dt.date]] = []
    for timex in timexes:
        if timex.type not in ("DATE", "TIME"):
            continue
        bounds = timex.date_range()
        if bounds is None:
            continue
        if timex.granularity in DAY_GRANULARITIES and bounds[0] == bounds[1]:
            if bounds[0] not in days:
                days.append(bounds[0])
                kinds.append(_kind(timex))
        elif timex.granularity in PERIOD_GRANULARITIES and bounds not in periods:
            periods.append(bounds)
    return DatedSentence(text, article_id, published, position, tuple(days), tuple(kinds), tuple(periods), outlet)


def _kind(timex: Any) -> str:
    if timex.granularity == "time":
        return "time"
    if not getattr(timex, "anchored", True):
        return "full"
    return "calendar" if _CALENDAR_TEXT.search(timex.text) else "relative"


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

    always_leads: bool = False

    def pool(self, day: dt.date) -> list[int]:
        """Sentences that name the day, with the leads published on it or the next day (`always_leads`), or
        the leads only when no sentence names the day."""
        naming = self.naming.get(day, [])
        if self.always_leads:
            return sorted(set(naming) | set(self.leads.get(day, [])))
        return naming or self.leads.get(day, [])


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
    return Candidates(dict(naming), dict(leads), config.leads == "always")


def select_sentences(vectors: sparse.csr_matrix | np.ndarray, k: int, max_similarity: float) -> list[int]:
    """Greedily pick up to k rows whose normalised sum stays closest to the centroid of all rows.

    A row whose cosine with an already chosen row exceeds `max_similarity` is skipped as a repeat. Rows
    are unit vectors (TF-IDF, or TF-IDF beside sentence embeddings); everything is computed with
    matrix-vector products, so a large pool costs no dense copy.
    """
    vectors = sparse.csr_matrix(vectors)
    centroid = np.asarray(vectors.sum(axis=0)).ravel()
    norm = np.linalg.norm(centroid)
    if norm == 0:
        return []
    centroid /= norm
    towards_centroid = np.asarray(vectors @ centroid).ravel()
    squared = np.asarray(vectors.multiply(vectors).sum(axis=1)).ravel()
    selected: list[int] = []
    summary = np.zeros_like(centroid)
    remaining = np.ones(vectors.shape[0], dtype=bool)
    while len(selected) < k and remaining.any():
        candidates = np.flatnonzero(remaining)
        with_summary = np.asarray(vectors[candidates] @ summary).ravel()
        lengths = np.sqrt(np.maximum(squared[candidates] + 2 * with_summary + summary @ summary, 0.0))
        totals = towards_centroid[candidates] + summary @ centroid
        scores = np.divide(totals, lengths, out=np.zeros(len(candidates)), where=lengths > 0)
        best = candidates[int(np.argmax(scores))]
        remaining[best] = False
        if scores.max() <= 0:
            break
        row = vectors[best].toarray().ravel()
        if selected and np.max(vectors[selected] @ row) > max_similarity:
            continue
        selected.append(int(best))
        summary += row
    return selected


@dataclass
class Collection:
    """The sentences a summary is chosen from, read once.

    `plain` holds what filters, TF-IDF and the encoder read: each sentence de-tokenised (Penn Treebank
    escapes and spacing undone) and without its wire dateline, so tokenised and plain versions of a text
    choose alike; `sentences` keep the source's tokenisation (without the dateline) for the summary.
    """

    sentences: list[DatedSentence]
    plain: list[str]
    vectors: sparse.csr_matrix  # L2-normalised TF-IDF rows
    _embedded: dict[int, np.ndarray] = field(default_factory=dict)

    def embeddings(self, rows: Sequence[int], encoder: Any) -> np.ndarray:
        """L2-normalised sentence embeddings of the given rows, each sentence encoded once."""
        missing = [row for row in dict.fromkeys(rows) if row not in self._embedded]
        if missing:
            for row, vector in zip(missing, normalize(encoder.encode([self.plain[row] for row in missing])),
                                   strict=True):
                self._embedded[row] = vector
        return np.vstack([self._embedded[row] for row in rows])

    def similarity_space(self, rows: Sequence[int], embedding_weight: float, encoder: Any) -> sparse.csr_matrix:
        """The rows as unit vectors whose dot products are (1 - w) x TF-IDF cosine + w x embedding cosine."""
        tfidf = self.vectors[rows]
        if embedding_weight <= 0:
            return tfidf
        return sparse.hstack([
            tfidf * np.sqrt(1 - embedding_weight),
            sparse.csr_matrix(self.embeddings(rows, encoder) * np.sqrt(embedding_weight)),
        ]).tocsr()

    @classmethod
    def read(cls, sentences: Sequence[DatedSentence]) -> Collection | None:
        """None when there is nothing to summarise (no sentence, or no word besides stop words)."""
        if not sentences:
            return None
        plain = [strip_dateline(detokenise_ptb(sentence.text)) for sentence in sentences]
        vectoriser = TfidfVectorizer(stop_words="english", lowercase=True, sublinear_tf=True)
        try:
            vectors = normalize(vectoriser.fit_transform(plain), copy=False).tocsr()  # in place: no second copy
        except ValueError:  # no word survives stop-word removal
            return None
        kept = [_without_dateline(sentence, text) for sentence, text in zip(sentences, plain, strict=True)]
        shared = [sentence.text if text == sentence.text else text for sentence, text in zip(kept, plain, strict=True)]
        return cls(kept, shared, vectors)  # most plain texts are their sentence's: one string, not two


class Summariser:
    """Chooses each day's sentences from a collection: the candidates that name the day, near their centroid."""

    def __init__(self, collection: Collection, config: SummaryConfig, keywords: Sequence[str] = ()) -> None:
        self.collection, self.config = collection, config
        self.encoder = sentence_encoder(config.encoder, config.cache_dir) if config.embedding_weight > 0 else None
        self.allowed = [_allowed(text, config, keywords) for text in collection.plain]
        self.candidates = candidates(collection.sentences, self.allowed, config)

    def pool(self, day: dt.date) -> list[int]:
        return self.candidates.pool(day)

    def summary(self, day: dt.date, n_sentences: int) -> tuple[DatedSentence, ...]:
        pool = self.pool(day)
        if not pool:
            return ()
        space = self.collection.similarity_space(pool, self.config.embedding_weight, self.encoder)
        chosen = select_sentences(space, n_sentences, self.config.max_similarity)
        return tuple(self.collection.sentences[pool[i]] for i in chosen)

    def timeline(self, ranked: Iterable[tuple[dt.date, float]], n_dates: int, n_sentences: int) -> list[TimelineEntry]:
        """The first `n_dates` ranked days that have something to say, in date order."""
        entries: list[TimelineEntry] = []
        for day, score in ranked:
            if len(entries) >= n_dates:
                break
            chosen = self.summary(day, n_sentences)
            if chosen:
                entries.append(TimelineEntry(day, score, chosen))
        return sorted(entries, key=lambda entry: entry.day)


@functools.lru_cache(maxsize=4)
def sentence_encoder(encoder: Any, cache_dir: Path) -> Any:
    """The encoder a component builds (a static Model2Vec model is distilled once into `cache_dir`)."""
    return encoder.build(Path(cache_dir))


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
    collection = Collection.read(sentences)
    if collection is None:
        return []
    summariser = Summariser(collection, config, keywords)
    ranked = config.ranker.rank(collection.sentences, start, end, n_dates=n_dates)
    return summariser.timeline(ranked, n_dates, n_sentences)


def _without_dateline(sentence: DatedSentence, plain: str) -> DatedSentence:
    """The sentence without the wire dateline its plain text `plain` lost, cut between the source's own tokens."""
    text = sentence.text
    detokenised = detokenise_ptb(text)
    if strip_dateline(detokenised) == detokenised:
        return sentence
    if detokenised == text:
        return replace(sentence, text=plain)
    tokens = text.split()
    for first in range(1, len(tokens)):
        rest = detokenise_ptb(" ".join(tokens[first:]))
        if rest[:1].upper() + rest[1:] == plain:
            return replace(sentence, text=" ".join(tokens[first:]))
    return sentence


def _allowed(text: str, config: SummaryConfig, keywords: Sequence[str]) -> bool:
    """Summary material: prose of a readable length that contains a topic keyword when there are keywords.

    Prose ends like a sentence (not with a colon, as schedule and section headers do), has no vertical
    bar (which marks datelines, menus and comment headers), is neither a photo caption nor navigation, and
    says something besides its date ("It's the next Friday, here we are." does not)."""
    if "|" in text or not _ENDS_LIKE_PROSE.search(text) or _CAPTION.search(text) or _NAVIGATION.search(text):
        return False
    if not config.min_words <= len(text.split()) <= config.max_words or content_words(text) < config.min_content_words:
        return False
    lower = text.lower()
    return not keywords or any(keyword in lower for keyword in keywords)
