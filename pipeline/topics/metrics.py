"""Topic-model quality measures, the same for this stage and for every baseline it is compared with.

- NPMI coherence: gensim's `CoherenceModel` with `c_npmi` (boolean sliding windows of 10 tokens) over the
  top words of each topic, counted on the whole corpus tokenised by the topic model's own analyzer;
- topic diversity: the unique share of all topics' top words (Dieng et al., 2020);
- stability: the adjusted Rand index between two clusterings (fits with different seeds);
- degenerate results: one topic holding most articles, a handful of topics for thousands of articles, NPMI
  below zero (`degenerate_findings`), flagged in the metrics, the log and the report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.metrics import adjusted_rand_score


def npmi_coherence(
    topic_words: Sequence[Sequence[str]],
    tokenised_docs: Sequence[Sequence[str]],
    top_n: int = 10,
    processes: int = 1,
) -> tuple[float, list[float]]:
    """Mean and per-topic NPMI of each topic's first `top_n` words that occur in the corpus.

    The gensim dictionary holds only the topic words: the sliding-window counts keep every other token as a
    placeholder, so the scores equal those computed with a dictionary of the whole corpus, at a fraction of
    the cost. Words absent from the corpus are skipped; a topic with fewer than two known words scores NaN
    and is left out of the mean.
    """
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    present = set()
    wanted = {word for words in topic_words for word in words[:top_n]}
    for doc in tokenised_docs:
        present.update(wanted.intersection(doc))
        if len(present) == len(wanted):
            break
    topics = [[word for word in words[:top_n] if word in present] for words in topic_words]
    scorable = [index for index, words in enumerate(topics) if len(words) >= 2]
    per_topic = [float("nan")] * len(topics)
    if not scorable:
        return float("nan"), per_topic
    dictionary = Dictionary([sorted(present)])
    model = CoherenceModel(
        topics=[topics[index] for index in scorable],
        texts=tokenised_docs,
        dictionary=dictionary,
        coherence="c_npmi",
        topn=top_n,
        processes=processes,
    )
    for index, score in zip(scorable, model.get_coherence_per_topic(), strict=True):
        per_topic[index] = float(score)
    return float(np.nanmean(per_topic)), per_topic


def topic_diversity(topic_words: Sequence[Sequence[str]], top_n: int = 25) -> float:
    """Share of unique words among all topics' first `top_n` words (1.0: no word is shared by two topics)."""
    words = [word for topic in topic_words for word in topic[:top_n]]
    return len(set(words)) / len(words) if words else float("nan")


def stability(labels_a: Sequence[int], labels_b: Sequence[int]) -> dict[str, float]:
    """Agreement of two clusterings of the same documents (outliers, label -1, count as one cluster).

    `ari_clustered` repeats the index over the documents that both clusterings place in a topic, so a
    shifted outlier boundary is told apart from topics that are cut differently.
    """
    labels_a, labels_b = np.asarray(labels_a), np.asarray(labels_b)
    if labels_a.shape != labels_b.shape:
        raise ValueError(f"clusterings of different lengths: {labels_a.shape} and {labels_b.shape}")
    both = (labels_a != -1) & (labels_b != -1)
    return {
        "ari": float(adjusted_rand_score(labels_a, labels_b)),
        "ari_clustered": float(adjusted_rand_score(labels_a[both], labels_b[both])) if both.any() else float("nan"),
        "clustered_in_both_share": float(both.mean()) if len(both) else float("nan"),
    }


def degenerate_findings(
    sizes: Mapping[int, int],
    npmi: float,
    max_topic_share: float,
    min_topics: int,
    min_topics_documents: int,
    min_npmi: float,
) -> list[str]:
    """What makes a topic model unfit to be read as a finding, each as one sentence (empty: nothing found).

    `sizes` maps topic -> articles (outliers, topic -1, count as articles but not as a topic). Flagged: one
    topic holding more than `max_topic_share` of the articles; fewer than `min_topics` topics when the corpus
    has at least `min_topics_documents` articles; mean NPMI below `min_npmi` (words that do not co-occur).
    """
    documents = sum(sizes.values())
    topics = {topic: size for topic, size in sizes.items() if topic != -1}
    findings = []
    if documents and not topics:
        findings.append("no topic found: every article is an outlier")
    if documents and topics:
        largest, size = max(topics.items(), key=lambda item: (item[1], -item[0]))
        if size / documents > max_topic_share:
            share = size / documents
            findings.append(f"topic {largest} holds {share:.0%} of the articles (limit {max_topic_share:.0%})")
    if documents >= min_topics_documents and 0 < len(topics) < min_topics:
        findings.append(f"{len(topics)} topic(s) for {documents:,} articles (at least {min_topics} expected)")
    if not math.isnan(npmi) and npmi < min_npmi:
        findings.append(f"mean NPMI {npmi:.3f} is below {min_npmi:g}: the topics' words do not go together")
    return findings


def perturbed(embeddings: np.ndarray, relative: float = 1e-6, seed: int = 0) -> np.ndarray:
    """The embeddings with each value multiplied by (1 + relative * N(0, 1)): what a change of machine does to
    the last bits of a float32 vector (issue 13), for testing that topics do not depend on them."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(embeddings.shape)
    return (embeddings * (1.0 + relative * noise)).astype(embeddings.dtype)
