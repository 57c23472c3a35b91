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
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.metrics import adjusted_rand_score

WINDOW = 10  # gensim's boolean sliding window for c_npmi


def npmi_coherence(
    topic_words: Sequence[Sequence[str]],
    tokenised_docs: Sequence[Sequence[str]],
    top_n: int = 10,
) -> tuple[float, list[float]]:
    """Mean and per-topic NPMI of each topic's first `top_n` words that occur in the corpus.

    The scores are gensim's `CoherenceModel(coherence="c_npmi")` to the last bit: gensim segments the topics and
    computes each pair's normalised log ratio from the window counts, which `window_counts` computes with numpy
    (exactly gensim's counts, a hundred times faster than its per-window loop in worker processes; tested
    against gensim's own accumulator). Words absent from the corpus are skipped; a topic with fewer than two
    known words scores NaN and is left out of the mean.
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
        window_size=WINDOW,
    )
    segmented = model.measure.seg(model.topics)
    model._accumulator = exact_accumulator(segmented, dictionary, tokenised_docs)  # instead of gensim's count
    for index, score in zip(scorable, model.get_coherence_per_topic(segmented), strict=True):
        per_topic[index] = float(score)
    return float(np.nanmean(per_topic)), per_topic


def exact_accumulator(segmented: Any, dictionary: Any, tokenised_docs: Sequence[Sequence[str]]) -> Any:
    """gensim's `WordOccurrenceAccumulator` for the words of `segmented`, its counts filled by `window_counts`."""
    from gensim.topic_coherence.probability_estimation import unique_ids_from_segments
    from gensim.topic_coherence.text_analysis import WordOccurrenceAccumulator

    accumulator = WordOccurrenceAccumulator(unique_ids_from_segments(segmented), dictionary)
    order = sorted(accumulator.id2contiguous, key=accumulator.id2contiguous.__getitem__)
    occurrences, co_occurrences, windows = window_counts(
        tokenised_docs, [dictionary[word_id] for word_id in order], WINDOW
    )
    accumulator._occurrences = occurrences.astype(np.uint32)
    accumulator._co_occurrences = sparse.csr_matrix(co_occurrences.astype(np.uint32))
    accumulator._num_docs = windows
    return accumulator


def window_counts(
    tokenised_docs: Sequence[Sequence[str]], words: Sequence[str], window: int = WINDOW
) -> tuple[np.ndarray, np.ndarray, int]:
    """gensim's boolean sliding-window counts (`WordOccurrenceAccumulator`) of `words` on the documents:
    per word the windows it is counted in, per pair of words the windows both are counted in (the diagonal:
    the word's own count), and the number of windows.

    A document of n tokens has max(n - window + 1, 1) windows (an empty one counts one). gensim slides its
    windows by clearing the token that leaves and setting the one that enters, so a word that leaves while
    another of its occurrences is still inside the window stops counting until it enters again; that is
    reproduced here: an occurrence at position p counts from window max(p - window + 1, 0) until the window
    after the first occurrence of the word at or after p - window + 1 leaves.
    """
    column = {word: number for number, word in enumerate(words)}
    lengths = np.fromiter((len(doc) for doc in tokenised_docs), dtype=np.int64, count=len(tokenised_docs))
    windows_per_doc = np.maximum(lengths - window + 1, 1)
    first_window = np.concatenate([[0], np.cumsum(windows_per_doc)[:-1]])
    doc_of, position_of, word_of = [], [], []
    for number, doc in enumerate(tokenised_docs):
        found = [(position, column[token]) for position, token in enumerate(doc) if token in column]
        if found:
            doc_of.append(np.full(len(found), number, dtype=np.int64))
            positions, columns = zip(*found, strict=True)
            position_of.append(np.asarray(positions, dtype=np.int64))
            word_of.append(np.asarray(columns, dtype=np.int64))
    size = len(words)
    windows = int(windows_per_doc.sum())
    if not doc_of:
        return np.zeros(size, dtype=np.int64), np.zeros((size, size), dtype=np.int64), windows
    doc, position, word = np.concatenate(doc_of), np.concatenate(position_of), np.concatenate(word_of)
    order = np.lexsort((position, word, doc))  # each (document, word)'s occurrences in order
    doc, position, word = doc[order], position[order], word[order]
    new_group = np.r_[True, (doc[1:] != doc[:-1]) | (word[1:] != word[:-1])]
    group_key = (np.cumsum(new_group) - 1) * (int(lengths.max()) + window + 1)  # groups never interleave
    start = np.maximum(position - window + 1, 0)
    # Each occurrence counts until the first occurrence of its (document, word) at or after `start` leaves.
    first = np.searchsorted(group_key + position, group_key + start, side="left")
    end = np.minimum(position[first] + 1, windows_per_doc[doc])
    # Within a group starts and ends never decrease: an interval opens a new run of windows unless it overlaps
    # the previous one, and a run ends where its last interval ends.
    opens = new_group.copy()
    opens[1:] |= start[1:] >= end[:-1]
    first_of_run = np.flatnonzero(opens)
    last_of_run = np.r_[first_of_run[1:], len(doc)] - 1
    spans = end[last_of_run] - start[first_of_run]
    rows = _ranges(first_window[doc[first_of_run]] + start[first_of_run], spans)  # one per (window, word)
    columns = np.repeat(word[first_of_run], spans)
    membership = sparse.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, columns)), shape=(windows, size))
    co_occurrences = np.asarray((membership.T @ membership).todense())
    return np.diag(co_occurrences).copy(), co_occurrences, windows


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The ranges [start, start + length) one after another (every length > 0)."""
    return np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))


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
