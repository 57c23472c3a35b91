"""The embed and topics stages end to end, through the CLI, on 300 real articles (skipped without ../shared)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from sklearn.metrics import adjusted_rand_score

from pipeline.cli import main
from pipeline.config import load_config
from pipeline.embed import load_embeddings
from pipeline.text import split_paragraphs, split_sentences
from pipeline.topics.assign import assign_topics
from pipeline.topics.metrics import perturbed
from pipeline.topics.persist import load_model
from pipeline.topics.stage import document_texts, model_topics

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.integration


def _articles(raw: pd.DataFrame) -> pd.DataFrame:
    """The ingest stage's columns, built simply: the stages under test only read these."""
    paragraphs = [split_paragraphs(text) for text in raw["text"]]
    return pd.DataFrame(
        {
            "id": [hashlib.sha1(url.encode()).hexdigest()[:16] for url in raw["url"]],
            "url": raw["url"],
            "outlet": raw["outlet"],
            "source_country": raw["source_country"],
            "title": raw["title"],
            "body": ["\n\n".join(parts) for parts in paragraphs],
            "lead": [" ".join(split_sentences(" ".join(parts))[:3]) for parts in paragraphs],
            "date": pd.to_datetime(raw["date"]).dt.date,
            "is_canonical": [index % 10 != 0 for index in range(len(raw))],  # every tenth is a duplicate copy
        }
    )


@pytest.fixture(scope="module")
def workspace(corpus_slice, tmp_path_factory) -> Path:
    """A working folder with the slice as articles.parquet and params for a small corpus."""
    folder = tmp_path_factory.mktemp("stages")
    _articles(corpus_slice).to_parquet(folder / "articles.parquet")
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["embed"]["cache_dir"] = str(folder / "cache")
    params["topics"]["reducer"]["n_neighbors"] = 10
    params["topics"]["clusterer"].update(min_cluster_size=8, min_samples=4)
    params["topics"]["metrics"]["stability"] = True  # off by default; the refit with another seed is tested here
    (folder / "params.yaml").write_text(yaml.safe_dump(params))
    return folder


def _run_topics(folder: Path, out: str) -> int:
    return main(
        [
            "topics",
            f"--params={folder / 'params.yaml'}",
            f"--articles={folder / 'articles.parquet'}",
            f"--embeddings={folder / 'embeddings'}",
            f"--out-dir={folder / out}",
            f"--metrics-dir={folder / (out + '_metrics')}",
        ]
    )


@pytest.fixture(scope="module")
def stages(workspace) -> Path:
    embed_args = [f"--params={workspace / 'params.yaml'}", f"--articles={workspace / 'articles.parquet'}"]
    assert main(["embed", *embed_args, f"--out-dir={workspace / 'embeddings'}", "--no-progress"]) == 0
    assert _run_topics(workspace, "topics") == 0
    return workspace


def test_embed_covers_the_canonical_articles_in_id_order(stages):
    ids, embeddings, info = load_embeddings(stages / "embeddings")
    articles = pd.read_parquet(stages / "articles.parquet")
    assert ids["id"].tolist() == sorted(articles.loc[articles["is_canonical"], "id"])
    assert embeddings.shape == (len(ids), 384) and info["encoder"]["name"] == "minilm"


def test_topics_outputs_are_consistent(stages):
    out = stages / "topics"
    doc_topics = pd.read_parquet(out / "doc_topics.parquet")
    info = pd.read_csv(out / "topic_info.csv")
    metrics = json.loads((stages / "topics_metrics" / "topics.json").read_text())
    ids, _, _ = load_embeddings(stages / "embeddings")
    assert doc_topics["id"].tolist() == ids["id"].tolist()
    assert set(doc_topics["topic"]) == set(info["topic"])
    assert info["size"].sum() == len(doc_topics)
    assert metrics["topics"] == (info["topic"] != -1).sum() >= 2
    assert 0 <= metrics["outlier_share"] <= metrics["outlier_share_before_reduction"] <= 1
    assert -1 <= metrics["npmi"] <= 1 and 0 < metrics["diversity"] <= 1
    assert set(metrics["stability"]) >= {"ari", "ari_clustered", "seeds"}
    assert info["label"].str.len().gt(0).all() and {"keybert_words", "mmr_words"} <= set(info.columns)
    for name, group in (("topics_over_time", ["week"]), ("topics_per_outlet", ["outlet", "source_country"])):
        table = pd.read_csv(out / f"{name}.csv")
        assert table.groupby(group)["share"].sum().round(4).eq(1).all()
    per_outlet_week = pd.read_csv(out / "topics_per_outlet_over_time.csv")
    assert per_outlet_week["count"].sum() == len(doc_topics)
    plot = pd.read_csv(stages / "topics_metrics" / "topics_prevalence.csv")
    assert list(plot.columns) == ["week", "topic", "share"]


def test_a_second_run_gives_identical_assignments_and_metrics(stages):
    assert _run_topics(stages, "again") == 0
    assert (stages / "again" / "doc_topics.parquet").read_bytes() == (stages / "topics" / "doc_topics.parquet").read_bytes()
    assert (stages / "again_metrics" / "topics.json").read_text() == (stages / "topics_metrics" / "topics.json").read_text()


def test_the_saved_model_reassigns_the_fitted_articles_mostly_alike(stages):
    loaded = load_model(stages / "topics" / "model")
    ids, embeddings, _ = load_embeddings(stages / "embeddings")
    articles = pd.read_parquet(stages / "articles.parquet").set_index("id").loc[ids["id"]].reset_index()
    docs = document_texts(articles, "title_lead")
    assigned = assign_topics(loaded.model, docs, embeddings, loaded.outliers)
    fitted = pd.read_parquet(stages / "topics" / "doc_topics.parquet")["topic"].to_numpy()
    assert (assigned == fitted).mean() > 0.7  # UMAP's transform of training points only approximates the fit


def test_missing_inputs_and_stale_embeddings_fail_with_a_message(stages, tmp_path, caplog):
    assert main(["topics", f"--params={stages / 'params.yaml'}", f"--articles={tmp_path / 'none.parquet'}"]) == 3
    assert "run the ingest and embed stages first" in caplog.text
    fewer = pd.read_parquet(stages / "articles.parquet").iloc[5:]
    fewer.to_parquet(tmp_path / "fewer.parquet")
    args = [f"--params={stages / 'params.yaml'}", f"--articles={tmp_path / 'fewer.parquet'}"]
    assert main(["topics", *args, f"--embeddings={stages / 'embeddings'}", f"--out-dir={tmp_path / 'out'}"]) == 3
    assert "re-run the embed stage" in caplog.text


@pytest.fixture(scope="module")
def shipped_fit(stages):
    """The slice's topics with the shipped params (what the perturbation test compares against)."""
    config = load_config(REPO / "params.yaml").topics.model_copy(update={"aspects": ()})
    ids, embeddings, info = load_embeddings(stages / "embeddings")
    articles = pd.read_parquet(stages / "articles.parquet").set_index("id").loc[ids["id"]].reset_index()
    return articles, embeddings, info, config, model_topics(articles, embeddings, config, None, info)


@pytest.mark.parametrize("noise_seed", [0, 1, 2])
def test_topics_survive_a_last_bit_change_of_the_embeddings(shipped_fit, noise_seed):
    """Issue 13.5 on the slice, with the shipped params (the spectral reducer, sizes relative to the corpus,
    shares and layouts compared): the embeddings times (1 + 1e-6 N(0, 1)), as another machine's math kernels
    would leave them, give the same number of topics and assignments with an adjusted Rand index of at least
    0.95, for each of three noise draws (another machine is any of them). UMAP (n_neighbors 30, 5-D) fails it
    here, checked once: 2 topics, then 2, 11 and 9 for draws 0, 1 and 2 (ARI 0.96, 0.02, 0.00); one draw alone
    can pass by the accident of the layout."""
    articles, embeddings, info, config, first = shipped_fit
    second = model_topics(articles, perturbed(embeddings, seed=noise_seed), config, None, info)
    assert second.metrics["topics"] == first.metrics["topics"]
    assert adjusted_rand_score(first.fit.topics, second.fit.topics) >= 0.95
