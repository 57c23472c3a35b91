"""Inferring publication dates: the article's own cues, the corpus's calendar, and similar articles.

For every article without a metadata date, every candidate day gets a log score, the sum of
- the prior model's log-likelihood of the article's date cues (`prior.py`, shipped, learnt once);
- the corpus calendar: how many articles the corpus has on each day, from its metadata dates and from the
  undated articles' own inferences (two rounds of expectation-maximisation), smoothed over two weeks;
- the dates of the most similar articles (TF-IDF cosine over title and opening): a metadata date counts as
  a day, an undated article's own inference (from its text alone) as its probability over days, weighted by
  its confidence. News about the same events is published within days.

Candidate days span the corpus's plausible range: its metadata dates, and the years its undated articles
state (a run of years around the most stated one), widened by `range_margin_days`. A date before that range
(a birth date, "1870", "2001-09-11") is never a publication date. An article alone, with no corpus to place
it, is dated within a year of the latest year it states as its own, and only when it names its days as news
does (a dateline, a weekday, a day without its year, "today", "yesterday"); a text that names days only with
full dates reads as background or history, and stays undated.

The chosen day maximises the posterior; `confidence` is the posterior mass within one day of it (the model's
probability that the date is within a day). Below `min_confidence` the date stays unknown, and the evidence
still names the best guess.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from pipeline.config import DatingConfig
from pipeline.ingest.dating.cues import WEEKDAY_NAMES, Cues, extract
from pipeline.ingest.dating.prior import DEFAULT_MODEL, UNRESOLVED, DatePrior, calendar, latest_year, read

log = logging.getLogger(__name__)

NEIGHBOUR_CHARS = 20_000  # title and body (cut far beyond most articles): the more of the story, the surer the match
NEIGHBOUR_TEMPERATURE = 0.05  # similarity units: a neighbour 0.05 less similar weighs e times less
NEIGHBOUR_SPREAD = 2.0  # days: the scale of the kernel around each neighbour's date
NEIGHBOUR_FLOOR = 1e-4  # density a day far from every neighbour keeps (so the article's own cues can win)
CALENDAR_SMOOTHING = 15  # days over which the corpus calendar is averaged
CALENDAR_FLOOR = 0.01  # share of the calendar's mass spread evenly over the range
CALENDAR_ROUNDS = 2
RANGE_SHARE = 0.25  # an undated corpus spans the run of years each stated by this share of the top year's articles
MIN_RANGE_ARTICLES = 10  # fewer undated articles stating a year than this: no corpus range from them
CHUNK = 512  # articles per similarity block
LEND_ROUNDS = 2  # rounds of undated articles lending their inferences (2: what their neighbours added, too)
_KERNEL = np.exp(-np.abs(np.arange(-10, 11)) / NEIGHBOUR_SPREAD)


@dataclass(frozen=True)
class DateGuess:
    """An inferred date (None below `min_confidence` or without evidence), its confidence and why."""

    date: dt.date | None
    confidence: float
    evidence: str
    best: dt.date | None = None  # the most likely day, even when it is too uncertain to be the date


@dataclass(frozen=True)
class Span:
    """The candidate publication days: ordinals first..last, and where the range comes from."""

    first: int
    last: int
    origin: str

    @property
    def days(self) -> np.ndarray:
        return np.arange(self.first, self.last + 1, dtype=np.int64)

    def describe(self) -> str:
        return f"{dt.date.fromordinal(self.first)}..{dt.date.fromordinal(self.last)} ({self.origin})"


def load_prior(name: str | Path) -> DatePrior:
    """A model shipped in pipeline/ingest/models/ by file name, or any path to such a JSON file."""
    path = Path(name)
    if not path.is_file() and (DEFAULT_MODEL.parent / path).is_file():
        path = DEFAULT_MODEL.parent / path
    return DatePrior.load(path)


def plausible_span(dated_days: Sequence[int], cues: Sequence[Cues], margin: int) -> Span | None:
    """The corpus's plausible publication days: its metadata dates, and the years its undated articles state."""
    spans = []
    if len(dated_days):
        spans.append((min(dated_days) - margin, max(dated_days) + margin, "metadata dates"))
    years = Counter(year for c in cues if (year := latest_year(c)) is not None)
    if sum(years.values()) >= MIN_RANGE_ARTICLES:
        top = max(years, key=lambda year: (years[year], year))
        low = high = top
        while years[low - 1] >= RANGE_SHARE * years[top]:
            low -= 1
        while years[high + 1] >= RANGE_SHARE * years[top]:
            high += 1
        spans.append((dt.date(low, 1, 1).toordinal() - margin, dt.date(high, 12, 31).toordinal() + margin,
                      f"years the undated texts state, {low}-{high}"))
    if not spans:
        return None
    return Span(min(s[0] for s in spans), max(s[1] for s in spans), " and ".join(s[2] for s in spans))


def own_span(cues: Cues) -> Span | None:
    """An article alone: the year before, of and after the latest year it states as its own."""
    year = latest_year(cues)
    if year is None:
        return None
    return Span(dt.date(max(year - 1, 1), 1, 1).toordinal(), dt.date(min(year + 1, 9999), 12, 31).toordinal(),
                f"the year it states, {year}")


def _softmax_rows(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    probabilities = np.exp(scores)
    return probabilities / probabilities.sum(axis=1, keepdims=True)


def corpus_calendar(span: Span, dated_days: Sequence[int], own: np.ndarray | None) -> np.ndarray:
    """Log prior over the span's days: the corpus's articles per day, from metadata dates and (expectation-
    maximisation) from the undated articles' own log-likelihoods `own`, smoothed; a floor keeps every day."""
    days = span.days
    counts = np.bincount(np.asarray(dated_days, dtype=np.int64) - span.first, minlength=len(days))[: len(days)]
    counts = counts.astype(float)
    log_prior = np.zeros(len(days))
    for _ in range(CALENDAR_ROUNDS if own is not None and len(own) else 1):
        total = counts + (_softmax_rows(own + log_prior).sum(axis=0) if own is not None and len(own) else 0.0)
        smooth = np.convolve(total, np.ones(CALENDAR_SMOOTHING) / CALENDAR_SMOOTHING, mode="same")
        smooth = smooth / smooth.sum() if smooth.sum() > 0 else np.full(len(days), 1.0 / len(days))
        log_prior = np.log((1 - CALENDAR_FLOOR) * smooth + CALENDAR_FLOOR / len(days))
    return log_prior


def posterior_mass(scores: np.ndarray) -> tuple[int, float]:
    """The best day's index and the posterior mass within a day of it."""
    probabilities = np.exp(scores - scores.max())
    probabilities /= probabilities.sum()
    best = int(probabilities.argmax())
    return best, float(probabilities[max(best - 1, 0): best + 2].sum())


def _decide(scores: np.ndarray, prior: DatePrior, setting: str, min_confidence: float) -> tuple[int, float, bool]:
    """The best day's index, its confidence (the calibrated probability that it is within a day of
    publication) and whether it is kept."""
    best, mass = posterior_mass(scores)
    confidence = prior.confidence(mass, setting)
    return best, round(confidence, 3), confidence >= min_confidence


def _tfidf(texts: Sequence[str]):
    """TF-IDF rows of the texts (title and opening), or None when they are too few for a vocabulary."""
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=2, max_df=0.3, ngram_range=(1, 2),
                                 max_features=200_000, dtype=np.float32)
    try:
        return vectorizer.fit_transform(texts).tocsr()
    except ValueError:  # min_df / max_df leave no word
        return None


def neighbour_texts(frame: pd.DataFrame) -> list[str]:
    """Title and the opening of the body: enough to recognise the story an article is about."""
    return [f"{title}\n{body[:NEIGHBOUR_CHARS]}" for title, body in zip(frame["title"], frame["body"], strict=True)]


@dataclass
class Context:
    """What dating an article beside others uses: the candidate days, the setting ("corpus" when some articles
    have metadata dates, "folder" when none has), each undated article's own log-likelihood weighted for the
    setting (rows numbered by `row_of`), the corpus calendar, and per target the log density of its neighbours'
    dates. The calendar and what undated articles lend their neighbours come from their cues weighted as for
    an article alone, so they do not depend on the setting's weights (which are learnt given them)."""

    span: Span
    setting: str
    own: np.ndarray
    row_of: dict[int, int]
    calendar: np.ndarray
    neighbours: dict[int, tuple[np.ndarray, str]]


def context(
    cues: Sequence[Cues],
    texts: Sequence[str],
    clusters: Sequence[object],
    dated_texts: Sequence[str],
    dated_days: Sequence[int],
    dated_clusters: Sequence[object],
    config: DatingConfig,
    priors: Sequence[DatePrior],
    targets: Sequence[int],
    exclude_dated_copies: bool = False,
) -> Context | None:
    """The span, calendar and neighbours for dating `targets` (None: no range, the articles are alone)."""
    span = plausible_span(dated_days, cues, config.range_margin_days)
    if span is None:
        return None
    setting = "corpus" if len(dated_days) else "folder"
    days = span.days
    lend = config.neighbours > 0 and config.undated_neighbours
    own_rows = sorted(set(targets) | (set(range(len(cues))) if lend else set()))
    row_of = {i: row for row, i in enumerate(own_rows)}
    alone = np.zeros((len(own_rows), len(days)), dtype=np.float32)
    own = np.zeros((len(own_rows), len(days)), dtype=np.float32)
    for row, i in enumerate(own_rows):
        features = priors[i].features(cues[i], days)
        alone[row] = priors[i].weight_vector("alone") @ features
        own[row] = priors[i].weight_vector(setting)[: len(features)] @ features
    log_calendar = corpus_calendar(span, dated_days, alone)
    neighbour_scores: dict[int, tuple[np.ndarray, str]] = {}
    matrix = _tfidf([*dated_texts, *(texts[i] for i in own_rows)]) \
        if config.neighbours > 0 and (len(dated_days) or lend) else None
    if matrix is not None:
        # Undated articles lend what their own text and the calendar say; with LEND_ROUNDS 2, what their own
        # neighbours add too (so a dateline's date reaches the neighbours of its neighbours).
        lent = alone + log_calendar
        for _ in range(LEND_ROUNDS - 1 if lend else 0):
            rounds = _neighbour_scores(matrix, own_rows, clusters, dated_days, dated_clusters, span, lent, row_of,
                                       config, lend, exclude_dated_copies)
            lent = alone + log_calendar + np.vstack([rounds[i][0] if i in rounds else np.zeros(len(days))
                                                     for i in own_rows])
        neighbour_scores = _neighbour_scores(matrix, list(targets), clusters, dated_days, dated_clusters, span,
                                             lent, row_of, config, lend, exclude_dated_copies)
    return Context(span, setting, own, row_of, log_calendar, neighbour_scores)


def infer_dates(
    cues: Sequence[Cues],
    texts: Sequence[str],
    clusters: Sequence[object],
    dated_texts: Sequence[str],
    dated_days: Sequence[int],
    dated_clusters: Sequence[object],
    config: DatingConfig,
    prior: DatePrior | Sequence[DatePrior],
    targets: Sequence[int] | None = None,
    exclude_dated_copies: bool = False,
) -> dict[int, DateGuess]:
    """Date the undated articles `targets` (default: all) of `cues`/`texts` (their duplicate `clusters`).

    The dated articles (`dated_*`, days as ordinals) shape the calendar and serve as neighbours; every
    undated article lends its own inference as a neighbour when `config.undated_neighbours`. `prior` is one
    model or one per undated article. With `exclude_dated_copies`, dated members of an article's duplicate
    cluster are not its neighbours (for evaluation; undated copies never are, they would echo its own cues).
    """
    targets = list(range(len(cues))) if targets is None else list(targets)
    priors = [prior] * len(cues) if isinstance(prior, DatePrior) else list(prior)
    found = context(cues, texts, clusters, dated_texts, dated_days, dated_clusters, config, priors, targets,
                    exclude_dated_copies)
    if found is None:
        return {i: _alone(cues[i], priors[i], config) for i in targets}
    days = found.span.days
    guesses = {}
    for i in targets:
        weights = priors[i].weights[found.setting]
        extra, note = found.neighbours.get(i, (0.0, ""))
        scores = found.own[found.row_of[i]] + weights["calendar"] * found.calendar + weights["neighbours"] * extra
        best, confidence, keep = _decide(scores, priors[i], found.setting, config.min_confidence)
        day = dt.date.fromordinal(int(days[best]))
        evidence = "; ".join(filter(None, [explain(cues[i], day), note, f"corpus range {found.span.describe()}"]))
        guesses[i] = _guess(day, confidence, keep, evidence, config.min_confidence)
    return guesses


def _guess(day: dt.date, confidence: float, keep: bool, evidence: str, min_confidence: float) -> DateGuess:
    if keep:
        return DateGuess(day, confidence, evidence, day)
    return DateGuess(None, confidence, f"too uncertain (confidence {confidence} < {min_confidence}), best guess "
                     f"{day.isoformat()}: {evidence}", day)


def _alone(cues: Cues, prior: DatePrior, config: DatingConfig) -> DateGuess:
    """An article with no corpus to place it: within a year of the latest year it states, when it names its
    own days as news does (a dateline, a weekday, a day without its year, "today"); otherwise unknown."""
    span = own_span(cues)
    said = explain(cues, None)
    if span is None:
        return DateGuess(None, 0.0, "no year stated as the article's own, and no dated or datable articles beside "
                         "it" + (f" ({said})" if said else ""))
    if cues.state == "bare":
        return DateGuess(None, 0.0, "names days only with full dates, as background and history are written, and "
                         f"has no dated or datable articles beside it ({said})")
    days = span.days
    best, confidence, keep = _decide(prior.log_likelihood(cues, days, "alone"), prior, "alone",
                                     config.min_confidence)
    day = dt.date.fromordinal(int(days[best]))
    return _guess(day, confidence, keep, "; ".join(filter(None, [explain(cues, day), f"range {span.describe()}"])),
                  config.min_confidence)


def _neighbour_scores(
    matrix, targets: list[int], clusters: Sequence[object], dated_days: Sequence[int],
    dated_clusters: Sequence[object], span: Span, lent_scores: np.ndarray, row_of: dict[int, int],
    config: DatingConfig, lend: bool, exclude_dated_copies: bool,
) -> dict[int, tuple[np.ndarray, str]]:
    """Per target: log density of its most similar articles' dates over the span, and a note saying so.
    `matrix` holds the TF-IDF rows of the dated texts, then of the undated ones (in `row_of` order)."""
    undated_rows = sorted(row_of)
    n_dated = len(dated_days)
    references = matrix if lend else matrix[:n_dated]  # undated articles lend only with undated_neighbours
    query_rows = [n_dated + row_of[i] for i in targets]
    dated_index = np.asarray(dated_days, dtype=np.int64) - span.first
    ref_clusters = np.array([*dated_clusters, *(clusters[i] for i in undated_rows)][: references.shape[0]],
                            dtype=object)
    ref_is_dated = np.arange(len(ref_clusters)) < n_dated
    if lend:
        lent = _softmax_rows(lent_scores)  # rows in undated_rows order, as row_of numbers them
        lent_weight = np.array([lent[r, max(b - 1, 0): b + 2].sum() for r, b in enumerate(lent.argmax(axis=1))])
    scores = {}
    for start in range(0, len(targets), CHUNK):
        block = (matrix[query_rows[start: start + CHUNK]] @ references.T).toarray()
        for offset, similarity in enumerate(block):
            i = targets[start + offset]
            same = ref_clusters == clusters[i]
            similarity[same & (~ref_is_dated | exclude_dated_copies)] = 0.0
            top = np.argsort(-similarity, kind="stable")[: config.neighbours]
            top = top[similarity[top] > 0]
            if not len(top):
                continue
            weights = np.exp((similarity[top] - similarity[top[0]]) / NEIGHBOUR_TEMPERATURE)
            density = np.zeros(span.last - span.first + 1)
            n_from_dated = 0
            for ref, weight in zip(top, weights, strict=True):
                if ref < n_dated:
                    n_from_dated += 1
                    if 0 <= dated_index[ref] < len(density):
                        density[dated_index[ref]] += weight
                else:
                    row = ref - n_dated
                    density += weight * lent_weight[row] * lent[row]
            if density.sum() <= 0:
                continue
            density = np.convolve(density, _KERNEL, mode="same")
            density /= density.sum()
            peak = dt.date.fromordinal(span.first + int(density.argmax()))
            note = (f"{len(top)} similar articles ({n_from_dated} with metadata dates) centred on {peak.isoformat()}")
            scores[i] = (np.log(density + NEIGHBOUR_FLOOR), note)
    return scores


def explain(cues: Cues, day: dt.date | None) -> str:
    """The cues in words, resolved against `day` where one is given."""
    parts = []
    written = {}
    for year, month, number, *_ in cues.days:
        written[(year, month, number)] = f"{dt.date(2000, month, 1).strftime('%B')} {number}" + (
            f", {year}" if year else "")
    days = np.array([day.toordinal()], dtype=np.int64) if day else None
    reading = read(cues, days, calendar(days)[0]) if days is not None else None
    for year, month, number, _named, _tense, kind, _past in cues.days:
        if kind == "dateline":
            parts.append(f"dateline {written[(year, month, number)]}")
        elif kind == "caption":
            parts.append(f"photo caption dated {written[(year, month, number)]} (a lower bound)")
    if reading is not None and reading.anchor[0] != UNRESOLVED:
        parts.append(f"latest day reported {dt.date.fromordinal(int(reading.anchor[0])).isoformat()}")
    elif any(kind == "body" and not past for *_, kind, past in cues.days):
        named = [written[(y, m, d)] for y, m, d, _, _, kind, past in cues.days if kind == "body" and not past]
        parts.append("days named: " + "; ".join(dict.fromkeys(named)))
    if cues.weekdays:
        named = sorted({(w, t) for w, t, _ in cues.weekdays})
        parts.append("weekdays named: " + ", ".join(f"{WEEKDAY_NAMES[w].title()} ({t})" for w, t in named))
    words = {0: "today", -1: "yesterday", 1: "tomorrow", -2: "the day before yesterday", 2: "the day after tomorrow"}
    if cues.relative:
        parts.append("says " + ", ".join(f"'{words[o]}'" for o in sorted(set(cues.relative))))
    if cues.pinned:
        parts.append(f"{len(cues.pinned)} day(s) written beside 'today'/'yesterday'")
    if (year := latest_year(cues)) is not None:
        parts.append(f"latest year stated {year}")
    return "; ".join(parts)


class DateInferrer:
    """Dates the articles of a frame that have no metadata date (see the module docstring)."""

    def __init__(self, config: DatingConfig, prior: DatePrior | None = None) -> None:
        self.config = config
        self.prior = prior if prior is not None else load_prior(config.prior)

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Fill date, date_source, date_confidence and date_evidence for articles without a metadata date."""
        out = frame.copy()
        is_dated = (out["date_source"] == "metadata").to_numpy()
        undated = out.index[~is_dated]
        if not len(undated):
            return out
        subset = out.loc[undated]
        cues = [extract(body, list(captions)) for body, captions in zip(subset["body"], subset["captions"],
                                                                        strict=True)]
        dated = out[is_dated]
        use_dated = self.config.neighbours > 0
        guesses = infer_dates(
            cues, neighbour_texts(subset), list(subset["dup_cluster"]),
            neighbour_texts(dated) if use_dated else [], [day.toordinal() for day in dated["date"]],
            list(dated["dup_cluster"]) if use_dated else [], self.config, self.prior,
        )
        for row, index in enumerate(undated):
            guess = guesses[row]
            out.at[index, "date_evidence"] = guess.evidence
            out.at[index, "date_confidence"] = guess.confidence
            if guess.date is not None:
                out.at[index, "date"] = guess.date
                out.at[index, "date_source"] = "inferred"
        kept = sum(1 for guess in guesses.values() if guess.date is not None)
        log.info("dated %d of %d articles without a metadata date from their text (coverage %.1f%%); %d stay "
                 "unknown (confidence below %s or no date cue)", kept, len(undated), 100 * kept / len(undated),
                 len(undated) - kept, self.config.min_confidence)
        return out


def infer_missing_dates(frame: pd.DataFrame, config: DatingConfig | None = None) -> pd.DataFrame:
    """Date every article that lacks a metadata date; nothing is loaded when none does."""
    if (frame["date_source"] == "metadata").all():
        return frame
    return DateInferrer(config or DatingConfig()).apply(frame)
