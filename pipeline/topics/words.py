"""The topic model's words: the vocabulary it counts, and each topic's word list and label.

`make_vectorizer` counts letter-only words without English, configured and corpus-specific stop words
(`corpus_stop_words`: words in more than `max_doc_share` of the articles); `tokenise` reads documents as that
vectorizer does after BERTopic's own cleaning, so NPMI is computed on the words the topics are made of.
`topic_words` lists a fitted model's words per topic and `make_label` names a topic by its first words,
skipping variants of a word already taken.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from pipeline.config import VectorizerConfig


def make_vectorizer(params: VectorizerConfig, corpus_stop_words: Iterable[str] = ()) -> CountVectorizer:
    """Unigram counts of letter-only tokens without English, configured and corpus-specific stop words."""
    extra = {word.lower() for word in params.extra_stop_words} | set(corpus_stop_words)
    return CountVectorizer(
        stop_words=sorted(ENGLISH_STOP_WORDS | extra),
        min_df=params.min_df,
        max_df=params.max_df,
        token_pattern=params.token_pattern,
    )


def corpus_stop_words(tokenised_docs: Sequence[Sequence[str]], max_doc_share: float) -> list[str]:
    """Words found in more than `max_doc_share` of the documents: in a corpus about one war, "ukraine" or
    "russia" say nothing about which topic an article belongs to and would head every topic's word list."""
    if max_doc_share >= 1 or not tokenised_docs:
        return []
    document_frequency = Counter(word for doc in tokenised_docs for word in set(doc))
    limit = max_doc_share * len(tokenised_docs)
    return sorted(word for word, count in document_frequency.items() if count > limit)


_NON_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9 ]+")


def clean_for_vectorizer(doc: str) -> str:
    """What BERTopic does to English text before its vectorizer sees it (whitespace, then non-alphanumerics)."""
    return _NON_ALPHANUMERIC.sub("", doc.replace("\n", " ").replace("\t", " ")) or "emptydoc"


def tokenise(docs: Iterable[str], vectorizer: CountVectorizer) -> list[list[str]]:
    """The corpus as the topic model's vectorizer reads it: BERTopic's cleaning, then the same analyzer. Every
    occurrence of a word is one shared string, so a corpus's tokens cost a pointer each, not a string each
    (60 bytes or so: 1.6 GB for the full texts of 60,000 articles)."""
    analyzer = vectorizer.build_analyzer()
    shared: dict[str, str] = {}
    return [[shared.setdefault(token, token) for token in analyzer(clean_for_vectorizer(doc))] for doc in docs]


def topic_words(model: Any) -> dict[int, list[str]]:
    """Each topic's words in the order of its main representation (outliers excluded)."""
    return {
        int(topic): [word for word, _ in words if word]
        for topic, words in sorted(model.get_topics().items())
        if topic != -1
    }


def _variant(word: str, taken: str) -> bool:
    """Plural/singular or spelling variants: "sanction"/"sanctions", "zelensky"/"zelenskyy", "russia"/"russian"."""
    a, b = word.rstrip("s"), taken.rstrip("s")
    return a == b or (min(len(a), len(b)) >= 5 and (a.startswith(b) or b.startswith(a)))


def make_label(words: Sequence[str], n_words: int) -> str:
    """The first `n_words` words, skipping variants of a word already taken."""
    chosen: list[str] = []
    for word in words:
        if not any(_variant(word, taken) for taken in chosen):
            chosen.append(word)
        if len(chosen) == n_words:
            break
    return ", ".join(chosen)
