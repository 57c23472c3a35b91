"""Topic metrics on a tiny corpus written here, whose topics are known by construction."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from gensim.corpora import Dictionary
from gensim.models.coherencemodel import CoherenceModel
from gensim.topic_coherence.text_analysis import WordOccurrenceAccumulator

from pipeline.topics.metrics import degenerate_findings, npmi_coherence, stability, topic_diversity, window_counts

WAR = ["tank", "artillery", "shelling", "frontline", "troops", "missile", "brigade", "offensive", "drone", "trench"]
ENERGY = ["gas", "pipeline", "oil", "prices", "supply", "winter", "export", "barrel", "embargo", "storage"]
REFUGEES = ["refugees", "border", "shelter", "aid", "children", "camp", "asylum", "volunteers", "train", "families"]
FILLER = ["report", "statement", "official", "country", "today", "people"]


def _tiny_corpus(n_docs: int = 240, seed: int = 3) -> list[list[str]]:
    """Each document draws its words from one topic's vocabulary, with some filler words mixed in."""
    rng = random.Random(seed)
    docs = []
    for index in range(n_docs):
        vocabulary = (WAR, ENERGY, REFUGEES)[index % 3]
        docs.append([rng.choice(vocabulary) if rng.random() < 0.7 else rng.choice(FILLER) for _ in range(40)])
    return docs


def test_npmi_is_high_for_true_topics_and_negative_for_mixed_ones():
    docs = _tiny_corpus()
    mixed = [WAR[:4] + ENERGY[:3] + REFUGEES[:3], ENERGY[5:] + REFUGEES[5:]]
    true_mean, true_scores = npmi_coherence([WAR, ENERGY, REFUGEES], docs)
    mixed_mean, _ = npmi_coherence(mixed, docs)
    assert true_mean > 0.1 and all(score > 0.1 for score in true_scores)
    assert mixed_mean < 0
    assert true_mean > mixed_mean + 0.2


def test_npmi_equals_gensim_with_a_dictionary_of_the_whole_corpus():
    docs = _tiny_corpus()
    topics = [WAR, ENERGY[:5] + REFUGEES[:5], FILLER + WAR[:4]]
    reference = CoherenceModel(
        topics=topics, texts=docs, dictionary=Dictionary(docs), coherence="c_npmi", topn=10, processes=1
    ).get_coherence_per_topic()
    _, scores = npmi_coherence(topics, docs, top_n=10)
    assert scores == reference  # to the last bit: the same counts through gensim's own measure


def test_window_counts_are_gensim_s_including_words_that_repeat_within_a_window():
    """gensim's sliding window clears a word that leaves even while another of its occurrences is inside;
    the counts follow it exactly, on documents of every length (empty, shorter than a window, one window)."""
    rng = np.random.default_rng(5)
    vocabulary = [f"w{number}" for number in range(30)]
    weights = np.r_[np.full(5, 0.12), np.full(25, 0.4 / 25)]  # five words that often repeat within a window
    docs = [list(rng.choice(vocabulary, size=int(rng.integers(0, 40)), p=weights)) for _ in range(300)]
    docs += [[], ["w1"], ["w1", "w1", "w2"], ["w3"] * 25, ["w0", *["w9"] * 9, "w0"], ["w4", "x", "w4"] * 6]
    dictionary = Dictionary([vocabulary])
    accumulator = WordOccurrenceAccumulator({dictionary.token2id[word] for word in vocabulary[:12]}, dictionary)
    accumulator.accumulate(docs, 10)
    words = [dictionary[word_id] for word_id in sorted(accumulator.id2contiguous, key=accumulator.id2contiguous.get)]
    occurrences, co_occurrences, windows = window_counts(docs, words, 10)
    assert windows == accumulator.num_docs
    assert np.array_equal(occurrences, accumulator._occurrences)
    assert np.array_equal(co_occurrences, accumulator._co_occurrences.toarray())


def test_npmi_skips_words_missing_from_the_corpus_and_unscorable_topics():
    docs = _tiny_corpus()
    mean, scores = npmi_coherence([[*WAR[:5], "zeppelin"], ["zeppelin", "tank"], ENERGY], docs, top_n=10)
    assert scores[0] == pytest.approx(npmi_coherence([WAR[:5]], docs)[1][0])
    assert math.isnan(scores[1])  # one known word cannot make a pair
    assert mean == pytest.approx((scores[0] + scores[2]) / 2)


def test_diversity_counts_unique_top_words():
    assert topic_diversity([WAR, ENERGY, REFUGEES], top_n=10) == 1.0
    assert topic_diversity([WAR, WAR], top_n=10) == 0.5
    assert topic_diversity([WAR, WAR[:5] + ENERGY[:5]], top_n=10) == pytest.approx(15 / 20)
    assert topic_diversity([WAR, ENERGY], top_n=3) == 1.0  # only the first three words of each topic count


def test_stability_is_one_for_relabelled_clusterings_and_low_for_unrelated_ones():
    labels = [0, 0, 0, 1, 1, 1, 2, 2, 2, -1, -1, -1]
    relabelled = [5, 5, 5, 0, 0, 0, 1, 1, 1, -1, -1, -1]
    assert stability(labels, relabelled)["ari"] == pytest.approx(1.0)
    rng = random.Random(0)
    unrelated = [rng.randrange(4) for _ in range(600)]
    other = [rng.randrange(4) for _ in range(600)]
    assert abs(stability(unrelated, other)["ari"]) < 0.05


def test_stability_separates_outlier_shifts_from_different_cuts():
    labels = [0, 0, 0, 0, 1, 1, 1, 1]
    more_outliers = [0, 0, -1, -1, 1, 1, -1, -1]  # same topics, a stricter outlier boundary
    result = stability(labels, more_outliers)
    assert result["ari_clustered"] == pytest.approx(1.0)
    assert result["ari"] < 1.0
    assert result["clustered_in_both_share"] == pytest.approx(0.5)
    with pytest.raises(ValueError):
        stability([0, 1], [0, 1, 2])


LIMITS = {"max_topic_share": 1 / 3, "min_topics": 5, "min_topics_documents": 1000, "min_npmi": 0.0}


def test_a_sound_model_raises_no_flag():
    sizes = {-1: 50, **{topic: 190 for topic in range(10)}}
    assert degenerate_findings(sizes, 0.2, **LIMITS) == []


def test_the_bbc_failure_of_issue_15_raises_every_flag():
    """Two topics for 2,070 articles, one of them 76%, NPMI -0.009: flagged three times."""
    findings = degenerate_findings({0: 1573, 1: 497}, -0.009, **LIMITS)
    assert len(findings) == 3
    assert "76%" in findings[0] and "2 topic(s) for 2,070 articles" in findings[1] and "-0.009" in findings[2]


def test_few_topics_are_fine_for_a_small_corpus_and_outliers_are_no_topic():
    assert degenerate_findings({-1: 300, 0: 200, 1: 200, 2: 200}, 0.1, **LIMITS) == []
    assert degenerate_findings({-1: 500, 0: 250, 1: 250}, 0.1, **LIMITS) == [  # outliers are no topic
        "2 topic(s) for 1,000 articles (at least 5 expected)"
    ]
    assert degenerate_findings({0: 350, 1: 350, 2: 300, 3: 100}, float("nan"), **LIMITS) == [
        "4 topic(s) for 1,100 articles (at least 5 expected)"
    ]


def test_a_model_without_any_topic_is_flagged_once():
    assert degenerate_findings({-1: 210}, float("nan"), **LIMITS) == ["no topic found: every article is an outlier"]


def test_the_tokenised_corpus_shares_one_string_per_word():
    from sklearn.feature_extraction.text import CountVectorizer

    from pipeline.topics.words import clean_for_vectorizer, tokenise

    docs = ["Kyiv shelled; Kyiv holds.", "Shelling near Kyiv", ""]
    vectorizer = CountVectorizer(stop_words="english")
    tokens = tokenise(iter(docs), vectorizer)  # any iterable: the stage feeds texts a slice at a time
    assert tokens == [vectorizer.build_analyzer()(clean_for_vectorizer(doc)) for doc in docs]
    kyiv = [token for doc in tokens for token in doc if token == "kyiv"]
    assert len(kyiv) == 3 and all(token is kyiv[0] for token in kyiv)
