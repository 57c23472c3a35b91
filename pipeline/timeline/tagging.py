"""Tagging the corpus: every article split into sentences and its temporal expressions found by
`pipeline.timex` against its publication day (partition by partition on the engine), and the expressions as a table.

`date_articles` gives each article's sentence spans with the timexes inside each; `timex_frame` lists them,
one row per TIMEX3 with its sentence, value, granularity and day range (`timexes.parquet`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pipeline.engine import Engine
from pipeline.result_cache import ResultCache, cached_map, code_digest, item_key
from pipeline.timeline.sentences import DatedText, date_text


def date_partition(jobs: list[tuple[str, str, dt.date | None]]) -> list[DatedText]:
    """The per-partition step: (id, body, publication day) -> sentences and timexes (the tagger's rules load
    once per process, on import)."""
    from pipeline.timex import tag

    return [date_text(tag, body, dct, f"article {article_id}") for article_id, body, dct in jobs]


def tag_cache(cache_dir: Path | None) -> ResultCache:
    """Articles tagged before, under `<cache_dir>/timeline-tags/<digest of the tagger's code>/` (None: none kept).

    An article's sentences and timexes depend on its body, its publication day and the tagger's code only
    (`pipeline/timex/`, the sentence splitter), which the folder's name hashes."""
    if cache_dir is None:
        return ResultCache(None)
    package = Path(__file__).resolve().parents[1]
    code = [*(package / "timex").rglob("*.py"), *(package / "timex").rglob("*.json"), package / "text.py",
            package / "timeline" / "sentences.py", Path(__file__).resolve()]
    return ResultCache(Path(cache_dir) / "timeline-tags" / code_digest(code))


def date_articles(
    articles: pd.DataFrame, engine: Engine | None = None, cache: ResultCache | None = None
) -> list[DatedText]:
    """Sentence spans and timexes of every article, in article order, tagged partition by partition on `engine`
    (default: in this process); articles `cache` holds (same body and day) are not tagged again."""
    engine = engine or Engine()
    jobs = list(zip(articles["id"], articles["body"], articles["date"], strict=True))
    keys = [item_key(body, str(day)) for _, body, day in jobs]
    return cached_map(engine, date_partition, jobs, keys, cache or ResultCache(None), engine.partition_size,
                      desc="tagging")


def timex_frame(articles: pd.DataFrame, dated: Sequence[DatedText]) -> pd.DataFrame:
    rows = []
    for article_id, text in zip(articles["id"], dated, strict=True):
        for index, timexes in enumerate(text.timexes):
            for timex in timexes:
                bounds = timex.date_range()
                rows.append(
                    (article_id, index, timex.start, timex.end, timex.text, timex.type, timex.value,
                     timex.granularity, timex.mod, timex.anchored,
                     bounds[0] if bounds else None, bounds[1] if bounds else None)
                )
    columns = ["article_id", "sentence_index", "start", "end", "text", "type", "value", "granularity", "mod",
               "anchored", "first_day", "last_day"]
    return pd.DataFrame.from_records(rows, columns=columns)
