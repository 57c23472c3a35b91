"""Publication dates: parsed from metadata when the source has them, inferred from the text otherwise.

Inference scores every candidate day with three kinds of evidence, each learnt from the corpus's own
dated articles (so it adapts to a user's corpus):
- neighbours: the dates of the most similar dated articles (TF-IDF cosine). News about the same events
  is published within days, so this places an article in the right week even when it states no date;
- the latest explicit calendar date in the text (from the temporal tagger) is followed by the
  publication day with a learnt lag distribution (days before that date are very unlikely);
- every weekday the text names ("on Sunday") sits a learnt offset before the publication day, which
  picks the day within the week.
The inferred day maximises the summed log-likelihoods; its posterior share is reported as confidence.
Without any dated article to learn from, only explicit dates can be used.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from pipeline.timex import tag

LATE_LAG = 15  # lags from this many days on share one bucket
LAG_SUPPORT = range(LATE_LAG + 1)
EARLY_LOG_PROB = math.log(1e-3)  # publication before a date the text states is rare (previews, schedules)
NEIGHBOURS = 15
NEIGHBOUR_TEMPERATURE = 0.05  # similarity units: a neighbour 0.05 less similar weighs e times less
NEIGHBOUR_SPREAD = 2  # days: the scale of the kernel around each neighbour's date
NEIGHBOUR_CHARS = 3000
FIT_SAMPLE = 2000  # dated articles used to learn the lag and weekday-offset distributions
FIT_SEED = 0
MIN_FIT_ARTICLES = 30
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = re.compile(r"\b(" + "|".join(_WEEKDAYS) + r")\b", re.IGNORECASE)
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_METADATA_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y")


def parse_metadata_date(value: object) -> dt.date | None:
    """A calendar date from a metadata value (date, timestamp or common string forms), else None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        parsed = None
        for fmt in _METADATA_FORMATS:
            try:
                parsed = dt.datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
    if parsed is None or not 1800 <= parsed.year <= 2200:
        return None
    return parsed


def explicit_dates(text: str) -> list[dt.date]:
    """Calendar days stated in full in the text ("March 7, 2022"), not resolved from context."""
    days = []
    for timex in tag(text, None):
        if timex.type == "DATE" and not timex.anchored and _FULL_DATE.match(timex.value):
            try:
                days.append(dt.date.fromisoformat(timex.value))
            except ValueError:
                continue
    return days


def weekday_mentions(text: str) -> list[int]:
    """Weekday numbers (Monday = 0) of every weekday name in the text."""
    return [_WEEKDAYS.index(match.group(1).lower()) for match in _WEEKDAY.finditer(text)]


def _smoothed_log(counts: Counter[int], support: range) -> dict[int, float]:
    """Add-one smoothed log probabilities over `support`."""
    total = sum(counts[k] for k in support) + len(support)
    return {k: math.log((counts[k] + 1) / total) for k in support}


@dataclass(frozen=True)
class DateGuess:
    date: dt.date | None
    confidence: float
    evidence: str


@dataclass
class DateInferrer:
    """Learnt evidence models; see the module docstring."""

    lag_log_prob: dict[int, float]  # publication day minus latest explicit date; LATE_LAG stands for anything later
    late_lag_mean: float  # mean excess of lags beyond LATE_LAG, spreading that bucket's mass over the days
    weekday_log_prob: dict[int, float]  # (publication weekday - named weekday) mod 7
    vectorizer: TfidfVectorizer | None = None
    reference: sparse.csr_matrix | None = None  # TF-IDF rows of the dated articles
    reference_days: np.ndarray | None = None  # their dates as ordinals
    fitted_on: int = 0

    @classmethod
    def fit(cls, frame: pd.DataFrame) -> DateInferrer:
        """Learn the evidence models from the articles whose date came from metadata."""
        dated = frame[frame["date_source"] == "metadata"]
        sample = dated.sample(FIT_SAMPLE, random_state=FIT_SEED) if len(dated) > FIT_SAMPLE else dated
        lags: Counter[int] = Counter()
        offsets: Counter[int] = Counter()
        late: list[int] = []
        for date, text in zip(sample["date"], sample["body"], strict=True):
            if days := explicit_dates(text):
                lag = (date - max(days)).days
                lags[_lag_bucket(lag)] += 1
                if lag >= LATE_LAG:
                    late.append(lag - LATE_LAG + 1)
            offsets.update((date.weekday() - weekday) % 7 for weekday in weekday_mentions(text))
        late_lag_mean = float(np.mean(late)) if late else 30.0
        if len(dated) < MIN_FIT_ARTICLES:
            # Too little to learn from: a lag prior that halves each day and a flat weekday prior.
            lags = Counter({lag: 2 ** (LATE_LAG - lag) for lag in range(LATE_LAG + 1)})
            offsets = Counter()
            return cls(
                _smoothed_log(lags, LAG_SUPPORT), late_lag_mean, _smoothed_log(offsets, range(7)), fitted_on=len(dated)
            )
        vectorizer = TfidfVectorizer(
            stop_words="english", sublinear_tf=True, min_df=2, max_df=0.3, max_features=200_000, dtype=np.float32
        )
        reference = vectorizer.fit_transform(_neighbour_texts(dated))
        return cls(
            lag_log_prob=_smoothed_log(lags, LAG_SUPPORT),
            late_lag_mean=late_lag_mean,
            weekday_log_prob=_smoothed_log(offsets, range(7)),
            vectorizer=vectorizer,
            reference=reference.tocsr(),
            reference_days=np.array([day.toordinal() for day in dated["date"]]),
            fitted_on=len(dated),
        )

    def _lag_score(self, lag: int) -> float:
        """Log probability of a lag in days; lags past LATE_LAG share their bucket's mass geometrically."""
        if lag < 0:
            return EARLY_LOG_PROB
        if lag < LATE_LAG:
            return self.lag_log_prob[lag]
        mean = max(self.late_lag_mean, 1.0)
        return self.lag_log_prob[LATE_LAG] - math.log(mean) - (lag - LATE_LAG) / mean

    def _neighbour_scores(self, neighbour_text: str, exclude: np.ndarray | None) -> dict[int, float]:
        """Log density over candidate days from the dates of the most similar dated articles."""
        if self.vectorizer is None or self.reference is None or self.reference_days is None:
            return {}
        similarity = (self.reference @ self.vectorizer.transform([neighbour_text]).T).toarray().ravel()
        if exclude is not None:
            similarity[exclude] = 0.0
        top = np.argsort(-similarity, kind="stable")[:NEIGHBOURS]
        top = top[similarity[top] > 0]
        if not len(top):
            return {}
        # A softmax over similarity lets the closest stories dominate the merely topical ones.
        days = self.reference_days[top]
        weights = np.exp((similarity[top] - similarity[top[0]]) / NEIGHBOUR_TEMPERATURE)
        candidates = np.arange(days.min() - NEIGHBOUR_SPREAD, days.max() + NEIGHBOUR_SPREAD + 1)
        density = (weights[None, :] * np.exp(-np.abs(candidates[:, None] - days[None, :]) / NEIGHBOUR_SPREAD)).sum(1)
        density = density / density.sum()
        return {int(day): math.log(value + 1e-4) for day, value in zip(candidates, density, strict=True)}

    def infer(
        self,
        body: str,
        captions: list[str] | tuple[str, ...] = (),
        neighbour_text: str | None = None,
        exclude: np.ndarray | None = None,
    ) -> DateGuess:
        """Infer the publication day of an article; `exclude` masks reference articles (for honest evaluation).

        Dates in the body anchor the lag model; dates in photo captions only bound the day from below,
        because photos (file photos especially) are often much older than the article.
        """
        days = explicit_dates(body)
        anchor = max(days) if days else None
        caption_days = [day for caption in captions for day in explicit_dates(caption)]
        floor = max(caption_days) if caption_days else None
        neighbours = self._neighbour_scores(neighbour_text or body, exclude)
        candidates = set(neighbours)
        for start in (anchor, floor):
            if start is not None:
                candidates.update(start.toordinal() + lag for lag in range(LATE_LAG))
        if not candidates:
            return DateGuess(None, 0.0, "no explicit calendar date and no similar dated article")
        weekdays = weekday_mentions("\n".join([*captions, body]))
        floor_score = min(neighbours.values()) if neighbours else 0.0
        scored = []
        for ordinal in candidates:
            day = dt.date.fromordinal(ordinal)
            score = neighbours.get(ordinal, floor_score) if neighbours else 0.0
            if anchor is not None:
                lag = (day - anchor).days
                score += self._lag_score(lag)
            if floor is not None and day < floor:
                score += EARLY_LOG_PROB
            score += sum(self.weekday_log_prob[(day.weekday() - weekday) % 7] for weekday in weekdays)
            scored.append((score, ordinal))
        best_score, best = max(scored)
        confidence = 1.0 / sum(math.exp(score - best_score) for score, _ in scored)
        evidence = _evidence(anchor, floor, weekdays, neighbours)
        return DateGuess(dt.date.fromordinal(best), round(confidence, 3), evidence)

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Fill date, date_source, date_confidence and date_evidence for articles without a metadata date."""
        out = frame.copy()
        undated = out.index[out["date_source"] != "metadata"]
        subset = out.loc[undated]
        rows = zip(undated, subset["body"], subset["captions"], _neighbour_texts(subset), strict=True)
        for index, body, captions, neighbour_text in rows:
            guess = self.infer(body, list(captions), neighbour_text)
            out.at[index, "date_evidence"] = guess.evidence
            if guess.date is not None:
                out.at[index, "date"] = guess.date
                out.at[index, "date_source"] = "inferred"
                out.at[index, "date_confidence"] = guess.confidence
        return out


def _lag_bucket(lag: int) -> int:
    return min(max(lag, 0), LATE_LAG)


def _evidence(anchor: dt.date | None, floor: dt.date | None, weekdays: list[int], neighbours: dict[int, float]) -> str:
    parts = []
    if anchor is not None:
        parts.append(f"latest explicit date {anchor.isoformat()}")
    if floor is not None:
        parts.append(f"photo caption dated {floor.isoformat()}")
    if weekdays:
        parts.append("weekdays named: " + ", ".join(_WEEKDAYS[w].title() for w in sorted(set(weekdays))))
    if neighbours:
        parts.append(f"dates of the {NEIGHBOURS} most similar dated articles")
    return "; ".join(parts)


def _neighbour_texts(frame: pd.DataFrame) -> list[str]:
    """Title and the opening of the body: enough to recognise the story an article is about."""
    return [f"{title}\n{body[:NEIGHBOUR_CHARS]}" for title, body in zip(frame["title"], frame["body"], strict=True)]


def infer_missing_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Date every article that lacks a metadata date; fit the models only when some need it."""
    if (frame["date_source"] == "metadata").all():
        return frame
    return DateInferrer.fit(frame).apply(frame)
