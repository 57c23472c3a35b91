"""Event mentions: the dated sentences that report an event, read by spaCy, as rows of `events.parquet`.

`event_candidates` takes an article's first sentences that name a date of an allowed precision and say
something besides it; `extract_events` parses each distinct sentence once (wire copies repeat them across
outlets) for its trigger, actors, targets and locations (`pipeline.timeline.events`); `event_frame` joins
both with the article's outlet, country, group and the date's relation to the publication day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.config import TimelineConfig
from pipeline.corpus import OTHER_GROUP, fill_countries
from pipeline.engine import Engine, worker_resource
from pipeline.result_cache import ResultCache, cached_map, code_digest, item_key
from pipeline.timeline.events import DateMention, EventParts, load_spacy, parse_events
from pipeline.timeline.sentences import DatedText, content_words, strip_dateline


@dataclass(frozen=True)
class Candidate:
    """A sentence that becomes an event mention, with its dates relative to the sentence."""

    article: int
    sentence_index: int
    text: str
    dates: tuple[DateMention, ...]


def event_candidates(
    articles: pd.DataFrame,
    dated: Sequence[DatedText],
    granularities: Sequence[str],
    per_article: int,
    min_content_words: int = 0,
) -> list[Candidate]:
    """Sentences with a DATE/TIME of an allowed granularity that resolves to days; an article's first few.

    A sentence that says little besides its date and dateline ("TASS, February 24.") reports no event."""
    allowed = set(granularities)
    found = []
    for number, (body, text) in enumerate(zip(articles["body"], dated, strict=True)):
        taken = 0
        for index, ((start, end), timexes) in enumerate(zip(text.spans, text.timexes, strict=True)):
            if taken >= per_article:
                break
            dates = []
            for timex in timexes:
                bounds = timex.date_range() if timex.type in ("DATE", "TIME") else None
                if bounds is not None and timex.granularity in allowed:
                    dates.append(
                        DateMention(timex.start - start, min(timex.end, end) - start, timex.text, timex.value,
                                    timex.granularity, bounds[0], bounds[1])
                    )
            if dates and content_words(strip_dateline(body[start:end])) >= min_content_words:
                found.append(Candidate(number, index, body[start:end], tuple(dates)))
                taken += 1
    return found


def parse_batch(batch: Sequence[tuple[str, tuple[DateMention, ...]]], model: str) -> list[EventParts]:
    """The per-partition step: event parts of a batch of (sentence, dates); spaCy loads once per process."""
    nlp = worker_resource(("spacy", model), lambda: load_spacy(model))
    return list(parse_events(nlp, batch, batch_size=len(batch)))


def extract_events(
    candidates: Sequence[Candidate], config: TimelineConfig, engine: Engine | None = None,
    cache: ResultCache | None = None,
) -> list[EventParts]:
    """Parse each distinct (sentence, dates) pair once: wire copies repeat sentences across outlets, and pairs
    `cache` holds (parsed by an earlier run) are not parsed again.

    Batches of `spacy_batch_size` sentences are parsed on `engine` (default: in this process), whose workers
    return only the event parts, never spaCy documents."""
    engine = engine or Engine()
    pairs = [(candidate.text, candidate.dates) for candidate in candidates]
    keys = [item_key(*pair) for pair in pairs]
    return cached_map(engine, parse_batch, pairs, keys, cache or ResultCache(None), config.spacy_batch_size,
                      config.spacy_model, desc="parsing", unit="batch")


def parse_cache(cache_dir: Path | None, model: str) -> ResultCache:
    """Sentences parsed before, under `<cache_dir>/timeline-events/<digest>/` (None: none kept); the digest names
    the spaCy model and its version, spaCy's version and the code that reads the parse."""
    if cache_dir is None:
        return ResultCache(None)
    import spacy

    here = Path(__file__).resolve()
    code = [here, here.parent / "events.py"]
    versions = {"spacy": spacy.__version__, "model": model, "model_version": _package_version(model)}
    return ResultCache(Path(cache_dir) / "timeline-events" / code_digest(code, **versions))


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    for candidate in (name, name.replace("_", "-")):
        try:
            return version(candidate)
        except PackageNotFoundError:
            continue
    return "unknown"


def event_frame(
    articles: pd.DataFrame,
    candidates: Sequence[Candidate],
    parts: Sequence[EventParts],
    groups: Mapping[str, str],
    countries: Mapping[str, str],
) -> pd.DataFrame:
    """One row per event mention, with its outlet's group and its source country by the corpus contract (the
    article's own, else its outlet's, else `(unknown)`: `pipeline.corpus.fill_countries`)."""
    records = []
    columns = {name: articles[name].tolist() for name in ("id", "outlet", "source_country", "date")}
    for candidate, part in zip(candidates, parts, strict=True):
        article = {name: values[candidate.article] for name, values in columns.items()}  # not a row per iloc
        published = article["date"]
        date = part.date
        relation = None
        if published is not None:
            relation = "before" if date.last_day < published else "after" if date.first_day > published else "same"
        records.append(
            {
                "mention_id": f"{article['id']}:{candidate.sentence_index}",
                "article_id": article["id"],
                "outlet": article["outlet"],
                "source_country": article["source_country"],
                "outlet_group": groups.get(article["outlet"], OTHER_GROUP),
                "published": published,
                "sentence_index": candidate.sentence_index,
                "sentence": " ".join(candidate.text.split()),
                "timex_text": date.text,
                "date_value": date.value,
                "granularity": date.granularity,
                "date_first": date.first_day,
                "date_last": date.last_day,
                "relation": relation,
                "date_values": [mention.value for mention in candidate.dates],
                "trigger": part.trigger,
                "trigger_tag": part.trigger_tag,
                "actors": list(part.actors),
                "targets": list(part.targets),
                "locations": list(part.locations),
                "entities": list(part.entities),
            }
        )
    return fill_countries(pd.DataFrame.from_records(records, columns=EVENT_MENTION_COLUMNS), countries)


EVENT_MENTION_COLUMNS = [
    "mention_id", "article_id", "outlet", "source_country", "outlet_group", "published", "sentence_index",
    "sentence", "timex_text", "date_value", "granularity", "date_first", "date_last", "relation", "date_values",
    "trigger", "trigger_tag", "actors", "targets", "locations", "entities",
]
