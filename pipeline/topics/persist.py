"""Saving and loading a fitted topic model, so that it assigns topics after a reload as it did before.

A model saved with safetensors keeps topics, c-TF-IDF and topic embeddings but drops the reducer and the
clusterer, after which `transform` falls back to nearest topic embeddings and disagrees with the fit.
`save_model` therefore stores both beside it (joblib) and `load_model` puts them back, so `assign_topics`
(`pipeline.topics.assign`) gives the same answers before and after a reload.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import io
from pipeline.components.encoders import Encoder, hf_offline
from pipeline.config import EmbedConfig, OutlierConfig
from pipeline.embed import build_encoder
from pipeline.topics.fit import TopicFit, bertopic_backend


def save_model(fit: TopicFit, folder: Path, embed_config: EmbedConfig, outliers: OutlierConfig) -> None:
    """BERTopic with safetensors, plus the fitted reducer and HDBSCAN and what `load_model` needs to rebuild it."""
    import joblib

    pointer = str(embed_config.encoder.folder(embed_config.cache_dir))  # lets plain `BERTopic.load` find it too
    with io.atomic_dir(folder) as tmp:  # a half-saved model folder never replaces the last good one
        fit.model.save(tmp / "bertopic", serialization="safetensors", save_ctfidf=True, save_embedding_model=pointer)
        joblib.dump(fit.model.umap_model, tmp / "reducer.joblib")
        joblib.dump(fit.model.hdbscan_model, tmp / "clusterer.joblib")
        io.write_json(
            tmp / "assignment.json",
            {"embed": embed_config.model_dump(mode="json"), "outliers": outliers.model_dump(mode="json")},
        )


@dataclass
class LoadedModel:
    model: Any
    outliers: OutlierConfig
    embed_config: EmbedConfig


def load_model(folder: Path, encoder: Encoder | None = None) -> LoadedModel:
    """The saved model with its reducer and HDBSCAN restored; `encoder` defaults to the one it was fitted with."""
    import joblib
    from bertopic import BERTopic

    folder = Path(folder)
    settings = json.loads((folder / "assignment.json").read_text(encoding="utf-8"))
    embed_config = EmbedConfig.model_validate(settings["embed"])
    encoder = encoder or build_encoder(embed_config)
    hf_offline()  # BERTopic.load first tries the saved pointer with sentence-transformers
    model = BERTopic.load(str(folder / "bertopic"), embedding_model=bertopic_backend(encoder))
    model.umap_model = joblib.load(folder / "reducer.joblib")  # written by `save_model` only, never by a corpus
    model.hdbscan_model = joblib.load(folder / "clusterer.joblib")
    return LoadedModel(model, OutlierConfig.model_validate(settings["outliers"]), embed_config)
