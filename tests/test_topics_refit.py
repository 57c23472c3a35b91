"""topics.refit: the fit kept in topics.cache_dir places the articles a later run adds, unless too many changed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from pipeline.components.encoders import Model2Vec
from pipeline.config import EmbedConfig
from pipeline.topics.persist import SAVED_FITS, fit_digest
from pipeline.topics.stage import refit_reason, run_topics, write_outputs
from tests.test_topics_model import CONFIG, FakeEncoder, _articles, synthetic_docs

INFO = {"model_key": "fake-encoder"}


@pytest.fixture(scope="module")
def encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture(scope="module")
def corpus(encoder) -> tuple[list[str], np.ndarray, np.ndarray]:
    """270 articles of three topics, in an order that mixes them (the last 30 are the ones added later)."""
    docs, truth = synthetic_docs(90, seed=5)
    order = np.random.default_rng(0).permutation(len(docs))
    docs = [docs[i] for i in order]
    return docs, encoder.encode(docs), truth[order]


def _inputs(docs: list[str], rows: np.ndarray, embeddings: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    articles = _articles(docs).iloc[rows].reset_index(drop=True)
    current = pd.DataFrame({"id": articles["id"], "text_sha256": [hashlib.sha256(text.encode()).hexdigest()
                                                                  for text in articles["lead"]]})
    return articles, current, embeddings[rows]


def _run(tmp_path: Path, docs, embeddings, rows, encoder, **update):
    config = CONFIG.model_copy(update={"cache_dir": tmp_path / "cache", "refit_share": 0.2, **update})
    articles, current, vectors = _inputs(docs, rows, embeddings)
    embed = EmbedConfig(encoder=Model2Vec(), cache_dir=tmp_path)
    return run_topics(articles, current, vectors, config, encoder, INFO, embed), config, embed


def _written(tmp_path: Path, name: str, result, config, embed) -> dict[str, bytes]:
    out, metrics = tmp_path / name / "topics", tmp_path / name / "metrics"
    write_outputs(result, out, metrics, embed, config)
    files = {str(path.relative_to(out)): path.read_bytes() for path in sorted(out.rglob("*")) if path.is_file()}
    files["topics.json"] = (metrics / "topics.json").read_bytes()
    return files


def test_added_articles_are_placed_with_the_kept_fit_and_the_earlier_ones_keep_their_topics(
    corpus, encoder, tmp_path
):
    docs, embeddings, truth = corpus
    first, config, embed = _run(tmp_path, docs, embeddings, np.arange(240), encoder)
    assert first.run["fitted"] and first.run["reason"].startswith("no saved fit")
    assert first.metrics["model"] == {"fitted_documents": 240, "placed_since_fit": 0,
                                      "npmi_counted_on": "the articles of the fit"}
    second, _, _ = _run(tmp_path, docs, embeddings, np.arange(270), encoder)  # 30 new: 11% <= 20%
    assert not second.run["fitted"] and second.run["placed_now"] == 30
    assert (second.fit.topics[:240] == first.fit.topics).all()
    assert adjusted_rand_score(truth, second.fit.topics) > 0.9  # the new ones land in their true topics
    assert second.metrics["documents"] == 270 and second.metrics["model"]["placed_since_fit"] == 30
    assert int(second.topic_info["size"].sum()) == 270
    for key in ("npmi", "diversity", "topics", "corpus_stop_words", "components"):
        assert second.metrics[key] == first.metrics[key]  # what the fit measured, not measured again
    # a third run with nothing new places nothing, and writes what the second wrote
    third, config, embed = _run(tmp_path, docs, embeddings, np.arange(270), encoder)
    assert not third.run["fitted"] and third.run["placed_now"] == 0
    assert _written(tmp_path, "second", second, config, embed) == _written(tmp_path, "third", third, config, embed)


def test_a_run_that_places_nothing_new_writes_the_bytes_of_the_run_that_fitted(corpus, encoder, tmp_path):
    docs, embeddings, _ = corpus
    fitted, config, embed = _run(tmp_path, docs, embeddings, np.arange(270), encoder)
    placed, _, _ = _run(tmp_path, docs, embeddings, np.arange(270), encoder)
    assert fitted.run["fitted"] and not placed.run["fitted"]
    assert _written(tmp_path, "fitted", fitted, config, embed) == _written(tmp_path, "placed", placed, config, embed)


def test_the_rule_refits_when_too_much_changed_when_asked_and_when_a_fit_knob_changed(corpus, encoder, tmp_path):
    docs, embeddings, _ = corpus
    _run(tmp_path, docs, embeddings, np.arange(200), encoder)
    # 70 added of 270: 26% > 20%
    more, _, _ = _run(tmp_path, docs, embeddings, np.arange(270), encoder)
    assert more.run["fitted"] and "70 articles added, changed or removed" in more.run["reason"]
    # removed articles count too: 30 of the 270 fitted gone, 30 others changed text = 60 of 240 (25%)
    _, current, _ = _inputs(docs, np.arange(30, 270), embeddings)
    current.loc[:29, "text_sha256"] = "edited"
    config = CONFIG.model_copy(update={"cache_dir": tmp_path / "cache", "refit_share": 0.2})
    from pipeline.topics.persist import load_saved

    saved = load_saved(tmp_path / "cache" / SAVED_FITS / fit_digest(config, INFO))
    assert saved is not None and saved.record["fitted_documents"] == 270
    assert "60 articles" in refit_reason(saved, current, config)
    assert refit_reason(saved, current, config.model_copy(update={"refit_share": 0.25})) is None
    assert refit_reason(saved, current, config.model_copy(update={"refit": "never", "refit_share": 0.0})) is None
    assert refit_reason(saved, current, config.model_copy(update={"refit": "always"})) == "topics.refit is always"
    # a knob of the fit names another folder: no saved fit there, so the stage fits
    assert fit_digest(config.model_copy(update={"top_n_words": 12}), INFO) != fit_digest(config, INFO)
    assert fit_digest(config.model_copy(update={"refit_share": 0.5, "plot_topics": 5}), INFO) == fit_digest(config, INFO)
    assert fit_digest(config, {"model_key": "another"}) != fit_digest(config, INFO)
    changed, _, _ = _run(tmp_path, docs, embeddings, np.arange(270), encoder, seed=8)
    assert changed.run["fitted"] and changed.run["reason"].startswith("no saved fit")


def test_a_damaged_saved_fit_is_fitted_again(corpus, encoder, tmp_path, caplog):
    docs, embeddings, _ = corpus
    _, config, _ = _run(tmp_path, docs, embeddings, np.arange(240), encoder)
    folder = tmp_path / "cache" / SAVED_FITS / fit_digest(config, INFO)
    (folder / "placed.parquet").write_bytes(b"not parquet")
    again, _, _ = _run(tmp_path, docs, embeddings, np.arange(240), encoder)
    assert again.run["fitted"] and "ignoring the saved topic model" in caplog.text
    assert json.loads((folder / "fit.json").read_text())["fitted_documents"] == 240
    assert len(pd.read_parquet(folder / "placed.parquet")) == 240  # replaced by the new fit


@pytest.mark.parametrize("clusterer", ["hdbscan", "kmeans"])
def test_the_placer_places_new_articles_as_the_bertopic_model_does(corpus, encoder, clusterer):
    """The kept `Placer` (no BERTopic import) against the fitted BERTopic model on 60 new articles (5 of them
    random vectors): the same clusters and topics, and outliers placed alike."""
    from pipeline.components.clustering import KMeans
    from pipeline.config import OutlierConfig
    from pipeline.topics.fit import fit_topics
    from pipeline.topics.sample import Placer, place_in_partitions

    docs, embeddings, _ = corpus
    config = CONFIG if clusterer == "hdbscan" else CONFIG.model_copy(update={"clusterer": KMeans(n_clusters=4)})
    fit = fit_topics(docs[:200], embeddings[:200], config, encoder)
    new_docs, _ = synthetic_docs(20, seed=77)
    new = encoder.encode(new_docs)
    new[:5] = np.random.default_rng(1).normal(size=new[:5].shape)  # far from every topic: outliers
    strict = OutlierConfig(strategy="embeddings", threshold=0.6)
    for outliers in (config.outliers, strict):
        by_model = place_in_partitions(fit.model, new_docs, new, outliers, partition=25)
        by_placer = place_in_partitions(Placer.of(fit.model), new_docs, new, outliers, partition=25)
        assert (by_model[0] == by_placer[0]).all() and (by_model[1] == by_placer[1]).all()
    forced = by_model[0].copy()
    forced[:8] = -1  # outliers placed by their similarity to the topics' embeddings, some below the threshold
    from pipeline.topics.assign import reassign_outliers

    placed = reassign_outliers(Placer.of(fit.model), new_docs, new, forced, strict)
    assert (placed == reassign_outliers(fit.model, new_docs, new, forced, strict)).all()
    assert (placed[:5] == -1).all() and (placed[5:8] != -1).all()
