"""topics.fit_sample: the model fitted on a sample, the other articles placed with it, partition by partition."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from pipeline.config import ConfigError, parse_params
from pipeline.topics.sample import extend_fit, sample_rows
from pipeline.topics.stage import model_topics
from tests.test_topics_model import CONFIG, FakeEncoder, _articles, synthetic_docs


@pytest.fixture(scope="module")
def encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture(scope="module")
def corpus(encoder) -> tuple[list[str], np.ndarray, np.ndarray]:
    docs, truth = synthetic_docs(90, seed=3)
    return docs, encoder.encode(docs), truth


def test_sample_rows_are_seeded_sorted_distinct_and_absent_at_or_below_the_size():
    assert sample_rows(100, None, 1) is None and sample_rows(100, 100, 1) is None
    rows = sample_rows(1000, 300, 5)
    assert len(rows) == len(set(rows.tolist())) == 300 and (np.diff(rows) > 0).all()
    assert (rows == sample_rows(1000, 300, 5)).all() and not (rows == sample_rows(1000, 300, 6)).all()


def test_a_sample_fit_places_every_other_article_like_the_topics_it_found(corpus, encoder):
    """270 articles of three topics, fitted on 150: the sample keeps its fit's topics, the other 120 are placed by
    the model (in partitions of 50 here), and every article gets its true topic up to the names of the topics;
    the tables count all 270, the metrics say how many were fitted."""
    docs, embeddings, truth = corpus
    config = CONFIG.model_copy(update={"fit_sample": 150})
    result = model_topics(_articles(docs), embeddings, config, encoder, {"model_key": encoder.key})
    rows = sample_rows(len(docs), 150, config.seed)
    assert result.metrics["fit_sample"] == {"fitted": 150, "assigned": 120, "seed": config.seed}
    assert result.metrics["documents"] == 270 and len(result.doc_topics) == 270
    assert result.doc_topics["id"].tolist() == _articles(docs)["id"].tolist()
    assert adjusted_rand_score(truth, result.fit.topics) > 0.9
    assert adjusted_rand_score(truth[rows], result.fit.topics[rows]) > 0.9
    assert int(result.topic_info["size"].sum()) == 270 and not np.isnan(result.fit.scores[result.fit.topics != -1]).any()
    assert "assign_seconds" in result.timing
    again = model_topics(_articles(docs), embeddings, config, encoder, {"model_key": encoder.key})
    pd.testing.assert_frame_equal(result.doc_topics, again.doc_topics)

    # the partition size decides nothing here: one call or several give the same topics
    sample_docs = [docs[i] for i in rows]
    from pipeline.topics.fit import fit_topics, for_corpus

    fit = fit_topics(sample_docs, embeddings[rows], for_corpus(config, 150), encoder)
    whole = extend_fit(fit, docs, embeddings, rows, config.outliers, partition=1000)
    parts = extend_fit(fit, docs, embeddings, rows, config.outliers, partition=50)
    assert adjusted_rand_score(whole.topics, parts.topics) > 0.95
    assert (whole.topics[rows] == fit.topics).all()
    with pytest.raises(ValueError, match="the sample"):
        extend_fit(fit, docs, embeddings, rows[:10], config.outliers)


def test_without_a_sample_the_stage_records_none_and_a_too_small_sample_is_a_config_error(corpus, encoder):
    docs, embeddings, _ = corpus
    result = model_topics(_articles(docs), embeddings, CONFIG.model_copy(update={"fit_sample": 270}), encoder,
                          {"model_key": encoder.key})
    assert result.metrics["fit_sample"] is None and "assign_seconds" not in result.timing
    with pytest.raises(ConfigError, match=r"topics\.fit_sample"):
        parse_params({"ingest": {"sources": ["x"]}, "topics": {"fit_sample": 10}})
