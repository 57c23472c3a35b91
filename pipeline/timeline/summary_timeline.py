"""The corpus's summary timeline: what the summariser may read, and its answer as `timeline.json`.

`summary_sentences` offers `pipeline.timeline.summarise` the sentences that name a day and the leads of
dated articles; `summary_json` writes each chosen sentence with its article (id, outlet, url, day) and the
merged event it belongs to, if any.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from pipeline.timeline.sentences import DatedText, mentioned_days
from pipeline.timeline.summarise import DatedSentence, TimelineEntry, dated_sentence


def summary_sentences(articles: pd.DataFrame, dated: Sequence[DatedText], lead_sentences: int) -> list[DatedSentence]:
    """What the summariser may read: sentences that name a day, and undated article leads."""
    sentences = []
    for article_id, body, published, outlet, text in zip(articles["id"], articles["body"], articles["date"],
                                                           articles["outlet"], dated, strict=True):
        if published is None:
            continue
        for index, ((start, end), timexes) in enumerate(zip(text.spans, text.timexes, strict=True)):
            if mentioned_days(timexes) or index < lead_sentences:
                sentences.append(dated_sentence(" ".join(body[start:end].split()), article_id, published, index,
                                                timexes, outlet))
    return sentences


def summary_json(
    entries: Sequence[TimelineEntry], articles: pd.DataFrame, event_of: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The summary timeline, each sentence with its article (id, outlet, url, day) and merged event, if any."""
    by_id = articles.set_index("id")
    timeline = []
    for entry in entries:
        sentences = []
        for sentence in entry.sentences:
            article = by_id.loc[sentence.article_id]
            sentences.append(
                {"text": sentence.text, "article_id": sentence.article_id, "outlet": article["outlet"],
                 "url": article["url"], "published": sentence.published.isoformat(),
                 "event_id": event_of.get(f"{sentence.article_id}:{sentence.position}")}
            )
        timeline.append({"date": f"{entry.day.isoformat()}T00:00:00", "score": round(entry.score, 3),
                         "sentences": sentences})
    return timeline
