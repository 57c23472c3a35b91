"""Tagging the corpus: every article split into sentences and its temporal expressions found by
`pipeline.timex` against its publication day (in parallel processes), and the expressions as a table.

`date_articles` gives each article's sentence spans with the timexes inside each; `timex_frame` lists them,
one row per TIMEX3 with its sentence, value, granularity and day range (`timexes.parquet`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from pipeline.timeline.parallel import process_map
from pipeline.timeline.sentences import DatedText, date_text


def _date_article(job: tuple[str, str, dt.date | None]) -> DatedText:
    from pipeline.timex import tag

    article_id, body, dct = job
    return date_text(tag, body, dct, f"article {article_id}")


def date_articles(articles: pd.DataFrame, n_jobs: int) -> list[DatedText]:
    """Sentence spans and timexes of every article, in article order, tagged in `n_jobs` processes."""
    jobs = list(zip(articles["id"], articles["body"], articles["date"], strict=True))
    return process_map(_date_article, jobs, n_jobs, chunksize=64, desc="tagging", unit="article")


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
