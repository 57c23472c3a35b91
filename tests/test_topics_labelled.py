"""The labelled development corpus: Timeline17's folders pooled, one story per article (skipped without ../shared)."""

from __future__ import annotations

import json

import pytest

from pipeline.topics.labelled import news_tls_articles
from tests.conftest import shared_path

pytestmark = pytest.mark.integration


def test_pooled_timeline17_has_one_story_per_folder_group_and_plain_prose():
    root = shared_path("tls", "t17")
    articles = news_tls_articles(root)
    assert articles["id"].is_unique
    assert set(articles["label"]) == {folder.name.rsplit("_", 1)[0] for folder in root.iterdir() if folder.is_dir()}
    assert articles.groupby("folder")["label"].nunique().eq(1).all()
    lines = sum(len((folder / "articles.jsonl").read_text(encoding="utf-8").splitlines()) for folder in root.iterdir())
    assert 0.95 * lines <= len(articles) <= lines  # only repeated texts of one story are dropped
    text = " ".join(articles["title"].head(200)) + " ".join(articles["body"].head(200))
    assert "-LRB-" not in text and " n't" not in text
    assert articles["lead"].str.len().gt(0).mean() > 0.9


def test_a_folder_without_articles_is_a_clear_error(tmp_path):
    (tmp_path / "empty_topic").mkdir()
    with pytest.raises(ValueError, match="no news-tls folders"):
        news_tls_articles(tmp_path)


def test_stories_come_from_the_folder_names(tmp_path):
    for folder, text in (("quake_bbc", "The earthquake struck at dawn ."), ("quake_cnn", "Aid arrived -LRB- late -RRB- .")):
        (tmp_path / folder).mkdir()
        record = {"id": "1", "time": "2010-01-13", "text": f"Headline here\n{text} More words follow here ."}
        (tmp_path / folder / "articles.jsonl").write_text(json.dumps(record) + "\n")
    articles = news_tls_articles(tmp_path)
    assert articles["label"].tolist() == ["quake", "quake"] and sorted(articles["outlet"]) == ["bbc", "cnn"]
    assert any("(late)" in body for body in articles["body"])
