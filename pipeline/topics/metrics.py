"""Topic-model quality measures, the same for this stage and for every baseline it is compared with.

- NPMI coherence: gensim's `CoherenceModel` with `c_npmi` (boolean sliding windows of 10 tokens) over the
  top words of each topic, counted on the whole corpus tokenised by the topic model's own analyzer;
- topic diversity: the unique share of all topics' top words (Dieng et al., 2020);
- stability: the adjusted Rand index between two clusterings (fits with different seeds).
"""

from __future__ import annotations

from collections.abc import Sequence

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
