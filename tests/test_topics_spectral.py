"""The spectral reducer (issue 13.5): a layout that is a continuous function of the embeddings, so topics survive
a last-bit change of the vectors; synthetic corpora with a fake encoder (fast, nothing downloaded)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score, homogeneity_score

from pipeline.components.clustering import Hdbscan
from pipeline.components.encoders import Model2Vec
from pipeline.components.reduction import (
    ExactCosineIndex,
    Spectral,
    SpectralEmbedding,
    duplicate_groups,
    membership_strengths,
)
from pipeline.config import EmbedConfig, SelectConfig, parse_params
from pipeline.topics.assign import assign_topics
from pipeline.topics.fit import fit_topics
from pipeline.topics.metrics import perturbed
from pipeline.topics.persist import load_model, save_model
from pipeline.topics.stage import model_topics
from tests.test_topics_model import CONFIG as MODEL_CONFIG
from tests.test_topics_model import FakeEncoder, _articles, synthetic_docs

# The model tests' configuration on the spectral layout, without the word lists this module never reads.
CONFIG = MODEL_CONFIG.model_copy(
    update={
        "reducer": Spectral(n_neighbors=10, n_components=4),
        "clusterer": Hdbscan(min_cluster_size=60, min_samples=10),
        "representation": (),
        "aspects": (),
    }
)


@pytest.fixture(scope="module")
def encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture(scope="module")
def corpus(encoder) -> tuple[list[str], np.ndarray, np.ndarray]:
    """750 articles of three topics: more distinct points than the dense eigen-solver takes, so ARPACK runs."""
    docs, truth = synthetic_docs(250, seed=1)
    return docs, encoder.encode(docs), truth


def test_membership_strengths_hit_umaps_target_and_move_continuously():
    rng = np.random.default_rng(0)
    distances = np.sort(rng.uniform(0.2, 0.8, size=(50, 9)), axis=1)
    strengths = membership_strengths(distances)
    assert np.allclose(strengths.sum(axis=1), np.log2(10), atol=1e-9)
    assert np.allclose(strengths[:, 0], 1.0)  # the nearest neighbour is at rho
    # A duplicate at distance 0 or 1e-9 is a change in the last bits, not a different graph (UMAP's rho jumps).
    duplicate = np.concatenate([[[0.0]], distances[:1, :-1]], axis=1)
    nudged = duplicate + np.array([[1e-9] + [0.0] * 8])
    assert np.abs(membership_strengths(duplicate) - membership_strengths(nudged)).max() < 1e-6


def test_duplicates_are_one_point_whatever_order_their_ties_come_in():
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(40, 16)).astype(np.float32)
    vectors[[5, 17, 30]] = vectors[2]
    vectors[33] = vectors[8]
    for noisy in (vectors, perturbed(vectors)):
        indices, distances = ExactCosineIndex(noisy).neighbor_graph(6)
        groups = duplicate_groups(indices, distances)
        assert groups[[2, 5, 17, 30]].tolist() == [2] * 4 and groups[[8, 33]].tolist() == [8, 8]
        assert (groups[np.setdiff1d(np.arange(40), [5, 17, 30, 33])] == np.setdiff1d(np.arange(40), [5, 17, 30, 33])).all()
    model = Spectral(n_neighbors=6, n_components=4).build(0)
    layout = model.fit_transform(vectors)
    assert len(model.degrees_) == 36 and (layout[[5, 17, 30]] == layout[2]).all()


def test_the_layout_is_the_same_after_a_last_bit_change_and_from_another_start(corpus):
    _, embeddings, truth = corpus
    layouts = [
        Spectral(n_neighbors=10, n_components=8).build(seed).fit_transform(vectors)
        for vectors, seed in ((embeddings, 3), (perturbed(embeddings), 3), (embeddings, 4))
    ]
    distances = [np.linalg.norm(layout[:, None] - layout[None], axis=2) for layout in layouts]
    assert np.abs(distances[1] - distances[0]).max() < 1e-2  # eigenvectors are defined up to sign and rotation
    assert np.abs(distances[2] - distances[0]).max() < 1e-2
    labels = [Hdbscan(min_cluster_size=15, min_samples=10).build(0).fit(layout).labels_ for layout in layouts]
    assert adjusted_rand_score(labels[0], labels[1]) == 1.0 and adjusted_rand_score(labels[0], labels[2]) == 1.0
    assert adjusted_rand_score(truth, labels[0]) > 0.8


def _blobs(separation: float = 1.0, size: int = 250) -> tuple[np.ndarray, np.ndarray]:
    """Three overlapping Gaussian blobs in 16 dimensions: one connected neighbour graph, three groups."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 16)) * separation
    truth = np.repeat(np.arange(3), size)
    return (centres[truth] + rng.normal(size=(len(truth), 16))).astype(np.float32), truth


def test_the_eigengap_counts_groups_and_is_offered_unless_the_layout_collapses(corpus):
    vectors, _ = _blobs()
    model = Spectral(n_neighbors=10, n_components=8).build(0)
    model.fit(vectors)
    assert model.eigengap_components() == 2  # three groups: two small eigenvalues besides the trivial one
    (kind, components, layout), = model.alternatives()  # the default cuts (10, 20) are not below 8 components
    assert (kind, components) == ("eigengap", 2) and layout.shape == (len(vectors), 2)
    assert model.use(2).embedding_.shape == (len(vectors), 2)
    assert Spectral(n_neighbors=10, n_components=8, eigengap=False).build(0).fit(vectors).alternatives() == []
    # Three disconnected topics: the cut keeps two eigenvalues of 0, each topic would be one point: not offered.
    disconnected = Spectral(n_neighbors=10, n_components=8).build(0).fit(corpus[1])
    assert disconnected.eigengap_components() == 2 and disconnected.alternatives() == []


def test_cuts_below_the_configured_components_are_offered_once_each_after_the_eigengap():
    vectors, _ = _blobs()
    model = Spectral(n_neighbors=10, n_components=8, cuts=[5, 2, 3, 5, 8, 12]).build(0)
    layout = model.fit_transform(vectors)
    offered = model.alternatives()
    assert [(kind, m) for kind, m, _ in offered] == [("eigengap", 2), ("cut", 3), ("cut", 5)]  # 2 is the gap's
    assert all(np.array_equal(cut, model._rows_to_unit(model.vectors_[:, :m])[model.rows_]) for _, m, cut in offered)
    assert np.array_equal(model.embedding_, layout) and layout.shape[1] == 8  # offering changes nothing kept
    assert [m for _, m, _ in Spectral(n_neighbors=10, n_components=8, eigengap=False, cuts=(3,)).build(0)
            .fit(vectors).alternatives()] == [3]


def test_the_layout_has_one_sign_whatever_the_start_and_the_number_of_eigenvectors_solved():
    """A kept cut is refitted with fewer eigenvectors (and the stability fit with another seed): HDBSCAN must see
    the same layout, not one flipped along an axis, which breaks its ties otherwise."""
    vectors, _ = _blobs()
    wide = Spectral(n_neighbors=10, n_components=6, cuts=(4,)).build(7)
    wide.fit(vectors)
    for kind, m, layout in wide.alternatives():
        narrow = Spectral(n_neighbors=10, n_components=m, eigengap=False, cuts=()).build(8).fit_transform(vectors)
        assert np.abs(layout - narrow).max() < 1e-8, kind
        sizes = Hdbscan(min_cluster_size=16, min_samples=2).build(0)
        assert adjusted_rand_score(sizes.fit(layout).labels_, sizes.fit(narrow).labels_) == 1.0


def test_new_documents_are_placed_through_the_fitted_eigenvectors(corpus):
    _, embeddings, _ = corpus
    model = SpectralEmbedding(n_neighbors=10, n_components=8, eigengap=True, seed=0)
    layout = model.fit_transform(embeddings)
    placed = model.transform(embeddings)
    assert np.median((placed * layout).sum(axis=1)) > 0.99  # cosine between fitted and re-placed rows


def test_a_fit_with_the_spectral_reducer_survives_perturbation_and_reloads(corpus, encoder, tmp_path):
    docs, embeddings, truth = corpus
    first = fit_topics(docs, embeddings, CONFIG, encoder)
    second = fit_topics(docs, perturbed(embeddings), CONFIG, encoder)
    assert len(first.words) == len(second.words) >= 3
    assert adjusted_rand_score(first.topics, second.topics) == 1.0
    assert homogeneity_score(truth, first.topics) > 0.9  # each topic within one true topic (some split in two)
    new_docs, new_truth = synthetic_docs(10, seed=99)
    new_embeddings = encoder.encode(new_docs)
    before = assign_topics(first.model, new_docs, new_embeddings, CONFIG.outliers)
    save_model(first, tmp_path / "model", EmbedConfig(encoder=Model2Vec(), cache_dir=tmp_path), CONFIG.outliers)
    loaded = load_model(tmp_path / "model", encoder=encoder)
    after = assign_topics(loaded.model, new_docs, new_embeddings, loaded.outliers)
    assert (before == after).all() and homogeneity_score(new_truth, after) > 0.9


def test_the_stage_compares_sizes_on_every_layout_and_records_the_kept_one(encoder):
    """The default rule: the smallest topic scales with the square root of 750 articles (27.4): 0.1 and 0.3 are
    both the floor of 10 (tried once), 0.6 gives 16 and 1.2 gives 33, each on the configured 6 components, the
    eigengap cut (2) and the cut at 4."""
    docs, truth = synthetic_docs(250, seed=1)
    embeddings, blob = _blobs()
    assert (blob == truth).all()  # each document gets a vector of its topic's blob
    config = CONFIG.model_copy(
        update={"reducer": Spectral(n_neighbors=10, n_components=6, cuts=(4,)), "clusterer": Hdbscan(),
                "select": SelectConfig(min_topic_scales=(0.1, 0.3, 0.6, 1.2))}
    )
    result = model_topics(_articles(docs), embeddings, config, encoder, {"model_key": encoder.key})
    selection = result.metrics["selection"]
    rows = [(row["layout"], row["n_components"], row["min_topic_scale"], row["min_cluster_size"])
            for row in selection["candidates"]]
    assert rows == [(layout, components, scale, size) for layout, components in
                    (("configured", 6), ("eigengap", 2), ("cut", 4)) for scale, size in ((0.1, 10), (0.6, 16), (1.2, 33))]
    kept = next(row for row in selection["candidates"] if row["kept"])
    assert (selection["kept_min_topic_scale"], selection["kept_min_cluster_size"], selection["kept_n_components"],
            selection["kept_layout"]) == (kept["min_topic_scale"], kept["min_cluster_size"], kept["n_components"],
                                          kept["layout"])
    reducer, clusterer = result.metrics["components"]["reducer"], result.metrics["components"]["clusterer"]
    assert reducer["n_components"] == kept["n_components"]
    if kept["layout"] != "configured":  # the kept cut is the model's layout, nothing else offered
        assert (reducer["eigengap"], reducer["cuts"]) == (False, [])
    assert (clusterer["min_topic_scale"], clusterer["min_cluster_size"]) == (kept["min_topic_scale"],
                                                                             kept["min_cluster_size"])
    assert result.metrics["stability"]["ari"] > 0.99  # seed + 1 only starts the eigen-solver elsewhere
    assert homogeneity_score(truth, result.fit.topics) > 0.9  # each topic within one blob (NPMI is flat here)


def test_spectral_settings_are_validated_by_name():
    params = parse_params({"ingest": {"sources": ["x"]},
                           "topics": {"reducer": {"name": "spectral", "n_components": 12, "eigengap": False}}})
    assert params.topics.reducer == Spectral(n_components=12, eigengap=False)
    with pytest.raises(ValueError, match=r"topics\.reducer\.spectral\.n_components"):
        parse_params({"ingest": {"sources": ["x"]}, "topics": {"reducer": {"name": "spectral", "n_components": 1}}})
    assert parse_params({"ingest": {"sources": ["x"]},
                         "topics": {"reducer": {"name": "spectral", "cuts": [10, 20]}}}).topics.reducer.cuts == (10, 20)
    with pytest.raises(ValueError, match=r"topics\.reducer\.spectral\.cuts"):
        parse_params({"ingest": {"sources": ["x"]}, "topics": {"reducer": {"name": "spectral", "cuts": [1]}}})


@pytest.mark.parametrize("size", [150, 250])  # 450 distinct points: LAPACK's dense solver; 750: ARPACK
def test_the_layout_has_the_same_bits_whatever_the_number_of_blas_threads(encoder, size):
    """OpenBLAS splits its dot products and eigen-solvers by thread count: a machine with more cores, or a
    caller that set OMP_NUM_THREADS, must still write the same model."""
    from threadpoolctl import threadpool_limits

    docs, _ = synthetic_docs(size, seed=1)
    embeddings = encoder.encode(docs)
    layouts = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            layouts.append(Spectral(n_neighbors=10, n_components=8).build(3).fit_transform(embeddings))
    assert layouts[0].tobytes() == layouts[1].tobytes()


def test_a_large_index_searches_in_smaller_blocks_with_the_same_neighbours(monkeypatch):
    data = np.random.default_rng(3).normal(size=(300, 16)).astype(np.float32)
    whole = ExactCosineIndex(data).neighbor_graph(8)
    monkeypatch.setattr(ExactCosineIndex, "BLOCK_CELLS", 300 * 7)  # blocks of 7 query rows
    blocked = ExactCosineIndex(data).neighbor_graph(8)
    np.testing.assert_array_equal(blocked[0], whole[0])
    np.testing.assert_allclose(blocked[1], whole[1], atol=1e-6)
    assert (whole[0][:, 0] == np.arange(300)).all() and (whole[1][:, 0] == 0).all()
