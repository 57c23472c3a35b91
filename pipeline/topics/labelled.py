"""Development corpora with a known topic per article, for measuring the topic stage against labels.

`news_tls_articles` pools news-tls folders (Timeline17 in `../shared/tls/t17`: `<topic>_<outlet>/articles.jsonl`)
into one articles table shaped like the ingest stage's output: the Penn Treebank tokenisation undone, the first
line taken as the title (the texts carry no separate title) and the lead and body split as ingest splits a plain
text. Each article's `label` is the story its folder covers (`bpoil` for `bpoil_bbc`), so a topic model can be
scored with NMI and ARI against those stories. Nothing here is written into the repository.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from pipeline.ingest.parse import parse_article
from pipeline.ingest.stage import make_lead
from pipeline.timeline.sentences import detokenise_ptb
from pipeline.timeline.tls import read_topic


def news_tls_articles(root: Path) -> pd.DataFrame:
    """Every article of the news-tls folders under `root`, one row each, with the folder's story as `label`.

    Columns: id (folder and article id, hashed), folder, label, outlet, date, title, lead, body. An article
    text that appears in two folders of the same story is kept once (the first folder in name order).
    """
    root = Path(root)
    folders = sorted(path for path in root.iterdir() if (path / "articles.jsonl").is_file())
    if not folders:
        raise ValueError(f"{root} holds no news-tls folders (<topic>_<outlet>/articles.jsonl)")
    rows = []
    for folder in folders:
        topic = read_topic(folder)
        outlet = folder.name.rsplit("_", 1)[-1] if "_" in folder.name else folder.name
        for article in topic.articles:
            parsed = parse_article(detokenise_ptb(article.text), title=None)
            rows.append(
                {
                    "id": hashlib.sha1(f"{folder.name}/{article.id}".encode()).hexdigest()[:16],
                    "folder": folder.name,
                    "label": topic.group,
                    "outlet": outlet,
                    "date": article.published,
                    "title": parsed.title,
                    "lead": make_lead(parsed.paragraphs),
                    "body": parsed.body,
                }
            )
    frame = pd.DataFrame(rows)
    frame = frame[frame["body"].str.strip().ne("") | frame["title"].str.strip().ne("")]
    frame = frame.drop_duplicates(subset=["label", "title", "body"], keep="first")
    return frame.sort_values("id", kind="stable").reset_index(drop=True)
