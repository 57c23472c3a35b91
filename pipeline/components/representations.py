"""Topic representations: models that re-rank a topic's c-TF-IDF candidate words (BERTopic's representation
models), used as extra word lists (aspects) or to re-rank the main words."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from pipeline.components import REPRESENTATIONS, Component


@REPRESENTATIONS.register("keybert")
class KeyBertInspired(Component):
    """Candidate words ranked by the similarity of their embeddings to the topic's representative documents."""

    name: Literal["keybert"] = "keybert"
    candidates: int = Field(50, ge=1, description="c-TF-IDF words it chooses from")

    def build(self, top_n_words: int, seed: int) -> Any:
        from bertopic.representation import KeyBERTInspired

        return KeyBERTInspired(
            top_n_words=top_n_words, nr_candidate_words=max(self.candidates, top_n_words), random_state=seed
        )


@REPRESENTATIONS.register("mmr")
class MaximalMarginalRelevance(Component):
    """Candidate words re-ranked for relevance to the topic and diversity among themselves."""

    name: Literal["mmr"] = "mmr"
    diversity: float = Field(0.3, ge=0.0, le=1.0)

    def build(self, top_n_words: int, seed: int) -> Any:
        from bertopic.representation import MaximalMarginalRelevance as Mmr

        return Mmr(diversity=self.diversity, top_n_words=top_n_words)
