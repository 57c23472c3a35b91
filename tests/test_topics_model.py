"""The topic model on a synthetic corpus with three known topics and a fake encoder (no model download, fast)."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from pipeline.components.clustering import Hdbscan, KMeans
from pipeline.components.encoders import Model2Vec
from pipeline.components.reduction import Pca, Umap
from pipeline.components.representations import KeyBertInspired, MaximalMarginalRelevance
from pipeline.config import (
    EmbedConfig,
    OutlierConfig,
    SelectConfig,
    TopicMetricsConfig,
    TopicsConfig,
    VectorizerConfig,
)
from pipeline.topics.assign import assign_topics, reassign_outliers
from pipeline.topics.fit import fit_topics
from pipeline.topics.persist import load_model, save_model
from pipeline.topics.stage import model_topics
from pipeline.topics.words import make_label

VOCABULARIES = {
    0: ["tank", "artillery", "shelling", "frontline", "troops", "missile", "brigade", "offensive", "drone", "trench"],
    1: ["gas", "pipeline", "oil", "prices", "supply", "winter", "export", "barrel", "embargo", "storage"],
    2: ["refugees", "border", "shelter", "aid", "children", "camp", "asylum", "volunteers", "train", "families"],
}
FILLER = ["report", "statement", "official", "country", "today", "people", "week", "city", "government", "minister"]
DIMENSIONS = 16


class FakeEncoder:
    """Words of a topic's vocabulary point near that topic's centre, other words anywhere; a text is the mean."""

    key = "fake-encoder"

    def __init__(self) -> None:
        rng = np.random.default_rng(0)
        self.centres = {topic: rng.normal(size=DIMENSIONS) * 3 for topic in VOCABULARIES}
        self.calls = 0

    def word_vector(self, word: str) -> np.ndarray:
        rng = np.random.default_rng(int(hashlib.sha256(word.encode()).hexdigest()[:8], 16))
        topic = next((topic for topic, words in VOCABULARIES.items() if word in words), None)
        return (self.centres[topic] if topic is not None else 0) + rng.normal(size=DIMENSIONS)

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        vectors = [
            np.mean([self.word_vector(word) for word in text.lower().split()] or [np.zeros(DIMENSIONS)], 0)
            for text in texts
        ]
        return np.asarray(vectors, dtype=np.float32)


def synthetic_docs(n_per_topic: int, seed: int) -> tuple[list[str], np.ndarray]:
    rng = random.Random(seed)
    docs, truth = [], []
    for topic, vocabulary in VOCABULARIES.items():
        for _ in range(n_per_topic):
            words = [rng.choice(vocabulary) if rng.random() < 0.6 else rng.choice(FILLER) for _ in range(30)]
            docs.append(" ".join(words))
            truth.append(topic)
    return docs, np.array(truth)


CONFIG = TopicsConfig(
    seed=7,
    reducer=Umap(n_neighbors=10, n_components=3),
    clusterer=Hdbscan(min_cluster_size=15, min_samples=10),
    vectorizer=VectorizerConfig(min_df=1),
    representation=(KeyBertInspired(), MaximalMarginalRelevance()),
    top_n_words=10,
    metrics=TopicMetricsConfig(diversity_top_n=10, stability=True),
    label_words=3,
    plot_topics=2,
)


@pytest.fixture(scope="module")
def encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture(scope="module")
def corpus(encoder) -> tuple[list[str], np.ndarray, np.ndarray]:
    docs, truth = synthetic_docs(70, seed=1)
    return docs, encoder.encode(docs), truth


@pytest.fixture(scope="module")
def fit(corpus, encoder):
    docs, embeddings, _ = corpus
    return fit_topics(docs, embeddings, CONFIG, encoder)


def test_fit_recovers_the_known_topics_with_words_from_their_vocabulary(fit, corpus):
    _, _, truth = corpus
    assert adjusted_rand_score(truth, fit.topics) > 0.9
    assert len(fit.words) == 3
    for words in fit.words.values():
        top = words[:5]
        assert any(set(top) <= set(vocabulary) for vocabulary in VOCABULARIES.values()), top
    for topic, label in fit.labels.items():
        assert label.count(",") == 2 and label.split(", ")[0] == fit.words[topic][0]


def test_outlier_reduction_places_every_article_and_is_reproduced_for_new_documents(fit, corpus):
    docs, embeddings, _ = corpus
    assert (fit.topics != -1).all()
    assert (fit.topics[fit.clusters != -1] == fit.clusters[fit.clusters != -1]).all()
    again = reassign_outliers(fit.model, docs, embeddings, fit.clusters, CONFIG.outliers)
    assert (again == fit.topics).all()


def test_threshold_keeps_dissimilar_outliers_out(fit, corpus):
    docs, embeddings, _ = corpus
    clusters = fit.clusters.copy()
    clusters[:5] = -1
    strict = reassign_outliers(fit.model, docs, embeddings, clusters, OutlierConfig(strategy="embeddings", threshold=1.0))
    assert (strict[:5] == -1).all()
    none = reassign_outliers(fit.model, docs, embeddings, clusters, OutlierConfig(strategy="none"))
    assert (none[:5] == -1).all()


def test_a_reloaded_model_assigns_new_documents_like_the_fitted_one(fit, encoder, tmp_path):
    new_docs, truth = synthetic_docs(10, seed=99)
    new_embeddings = encoder.encode(new_docs)
    before = assign_topics(fit.model, new_docs, new_embeddings, CONFIG.outliers)
    save_model(fit, tmp_path / "model", EmbedConfig(encoder=Model2Vec(), cache_dir=tmp_path), CONFIG.outliers)
    loaded = load_model(tmp_path / "model", encoder=encoder)
    after = assign_topics(loaded.model, new_docs, new_embeddings, loaded.outliers)
    assert (before == after).all()
    assert adjusted_rand_score(truth, after) > 0.9
    assert loaded.model.custom_labels_ == fit.model.custom_labels_


def _articles(docs: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"{index:016x}" for index in range(len(docs))],
            "title": [""] * len(docs),
            "lead": docs,
            "body": docs,
            "outlet": ["tass.com", "bbc.co.uk", "cnn.com"] * (len(docs) // 3),
            "source_country": ["Russia", "United Kingdom", "United States"] * (len(docs) // 3),
            "date": pd.date_range("2022-02-01", periods=len(docs), freq="6h").date,
        }
    )


def test_same_data_and_params_give_identical_assignments_and_metrics(corpus, encoder):
    docs, embeddings, _ = corpus
    articles = _articles(docs)
    first = model_topics(articles, embeddings, CONFIG, encoder, {"model_key": encoder.key})
    second = model_topics(articles, embeddings, CONFIG, encoder, {"model_key": encoder.key})
    pd.testing.assert_frame_equal(first.doc_topics, second.doc_topics)
    assert first.metrics == second.metrics
    assert first.metrics["topics"] == 3 and first.metrics["stability"]["ari"] > 0.9
    assert first.metrics["npmi"] > 0.1 and first.metrics["diversity"] > 0.9
    plotted = first.tables["prevalence_plot"]
    assert plotted["topic"].nunique() == 2


def test_labels_skip_a_plural_of_a_word_already_taken():
    assert make_label(["sanction", "sanctions", "russia", "oil", "gas"], 3) == "sanction, russia, oil"


def test_pca_and_kmeans_swapped_in_give_exactly_the_asked_number_of_topics(corpus, encoder):
    docs, embeddings, truth = corpus
    config = CONFIG.model_copy(update={"reducer": Pca(n_components=3), "clusterer": KMeans(n_clusters=4)})
    result = model_topics(_articles(docs), embeddings, config, encoder, {"model_key": encoder.key})
    assert result.metrics["topics"] == 4 and result.metrics["outlier_share_before_reduction"] == 0
    assert result.metrics["components"]["reducer"] == {"name": "pca", "n_components": 3}
    assert result.metrics["components"]["clusterer"] == {"name": "kmeans", "n_clusters": 4, "n_init": 10}
    assert adjusted_rand_score(truth, result.fit.topics) > 0.6  # three true topics, one split in two


def test_a_kmeans_model_has_the_same_bytes_whatever_the_number_of_openmp_threads(corpus):
    """scikit-learn records its OpenMP thread count in a fitted k-means: a Dask nanny's OMP_NUM_THREADS=1 in the
    parent process once made a rerun's saved clusterer differ from the first run's."""
    import pickle

    from threadpoolctl import threadpool_limits

    _, embeddings, _ = corpus
    fitted = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="openmp"):
            fitted.append(pickle.dumps(KMeans(n_clusters=3, n_init=2).build(seed=0).fit(embeddings)))
    assert fitted[0] == fitted[1]


def test_hdbscan_sizes_follow_the_square_root_of_the_corpus_by_default():
    default = Hdbscan()
    assert default.size_rule == "min_topic_scale"
    sizes = {n: (default.resolve(n).min_cluster_size, default.resolve(n).min_samples)
             for n in (200, 1_000, 3_000, 15_246, 200_000)}
    assert sizes == {200: (10, 1), 1_000: (19, 2), 3_000: (33, 4), 15_246: (74, 9), 200_000: (268, 34)}
    assert Hdbscan(min_topic_scale=1.2).resolve(1_000).min_cluster_size == 38
    assert Hdbscan(min_topic_share=0.01).size_rule == "min_topic_share"  # a share set is honoured before the scale
    assert Hdbscan(min_topic_share=0.01).resolve(3_000).min_cluster_size == 30
    assert Hdbscan(min_cluster_size=25, min_topic_share=0.01).size_rule is None
    with pytest.raises(ValueError, match="min_topic_scale"):
        TopicsConfig.model_validate({"clusterer": {"name": "hdbscan", "min_topic_scale": 0}})


def test_hdbscan_sizes_follow_the_corpus_unless_set_in_absolute_numbers():
    relative = Hdbscan(min_topic_share=0.005, min_cluster_floor=10)
    assert (relative.resolve(15_246).min_cluster_size, relative.resolve(15_246).min_samples) == (76, 10)
    assert relative.resolve(200_000).min_cluster_size == 1000 and relative.resolve(300).min_cluster_size == 10
    fixed = Hdbscan(min_cluster_size=80, min_samples=10)
    assert fixed.resolve(300) == fixed and fixed.resolve(200_000) == fixed
    assert Hdbscan(min_cluster_size=40).resolve(2_000).min_samples == 5
    with pytest.raises(ValueError, match="resolve"):
        relative.build(seed=1)


def test_the_stage_compares_candidate_shares_and_keeps_the_best_sound_one(corpus, encoder):
    """210 articles of three topics of 70: 1% is the floor of 5, 30% of 210 is 63 (both find the three topics),
    50% asks for topics of 105+ articles and finds none (flagged); the metrics record all three."""
    docs, embeddings, truth = corpus
    config = CONFIG.model_copy(
        update={
            "clusterer": Hdbscan(min_topic_share=0.3, min_cluster_floor=5, min_samples=10),
            "select": SelectConfig(min_topic_shares=(0.01, 0.3, 0.5)),
            "metrics": TopicMetricsConfig(diversity_top_n=10, flag_topic_share=0.5),  # three topics of a third each
        }
    )
    result = model_topics(_articles(docs), embeddings, config, encoder, {"model_key": encoder.key})
    selection = result.metrics["selection"]
    assert [row["min_topic_share"] for row in selection["candidates"]] == [0.01, 0.3, 0.5]
    kept = [row for row in selection["candidates"] if row["kept"]]
    assert len(kept) == 1 and kept[0]["min_topic_share"] == selection["kept_min_topic_share"]
    assert kept[0]["npmi"] == max(row["npmi"] for row in selection["candidates"] if not row["degenerate"])
    assert selection["candidates"][2]["degenerate"] == ["no topic found: every article is an outlier"]
    assert kept[0]["min_topic_share"] == 0.01  # equal NPMI: the smaller share, finer topics, is kept
    assert result.metrics["components"]["clusterer"]["min_topic_share"] == selection["kept_min_topic_share"]
    assert adjusted_rand_score(truth, result.fit.topics) > 0.9
    fixed = CONFIG.model_copy(update={"select": SelectConfig(min_topic_shares=(0.01, 0.3, 0.5))})
    assert model_topics(_articles(docs), embeddings, fixed, encoder, {"model_key": encoder.key}).metrics[
        "selection"] is None  # an absolute min_cluster_size is honoured: nothing to choose


def test_a_save_that_fails_midway_keeps_the_previous_model(fit, encoder, tmp_path, monkeypatch):
    import joblib

    config = EmbedConfig(encoder=Model2Vec(), cache_dir=tmp_path)
    save_model(fit, tmp_path / "model", config, CONFIG.outliers)
    before = sorted(str(path.relative_to(tmp_path)) for path in (tmp_path / "model").rglob("*"))

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(joblib, "dump", crash)
    with pytest.raises(OSError, match="disk full"):
        save_model(fit, tmp_path / "model", config, CONFIG.outliers)
    assert sorted(str(path.relative_to(tmp_path)) for path in (tmp_path / "model").rglob("*")) == before
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []  # no half-saved folder
    assert load_model(tmp_path / "model", encoder=encoder).model.custom_labels_ == fit.model.custom_labels_
