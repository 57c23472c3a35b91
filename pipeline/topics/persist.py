"""Saving and loading a fitted topic model, so that it assigns topics after a reload as it did before.

A model saved with safetensors keeps topics, c-TF-IDF and topic embeddings but drops the reducer and the
clusterer, after which `transform` falls back to nearest topic embeddings and disagrees with the fit.
`save_model` therefore stores both beside it (joblib) and `load_model` puts them back, so `assign_topics`
(`pipeline.topics.assign`) gives the same answers before and after a reload.

A fit is also kept between runs (`save_fit`, `load_saved`) in `<topics.cache_dir>/topics/<fit_digest>/`, outside
DVC's outputs (which `dvc repro` deletes before the stage runs): the model, the record of the fit and every
article placed so far. The folder's name hashes everything the fit depends on besides the articles (the
settings that change the model, the embeddings' model and text, the code, the libraries' versions), so a
changed knob finds no saved fit and fits again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import io
from pipeline.components.encoders import Encoder, hf_offline
from pipeline.config import EmbedConfig, OutlierConfig, TopicsConfig
from pipeline.embed import build_encoder
from pipeline.topics.fit import TopicFit, bertopic_backend

log = logging.getLogger(__name__)


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


# --- the saved fit: the model kept between runs, so new articles are placed instead of refitted -----------------

SAVED_FITS = "topics"  # <topics.cache_dir>/topics/<fit_digest>/
_PACKAGE = Path(__file__).resolve().parents[1]
# What a fit is made with besides its settings: the stage's code, the components it builds, the texts it reads.
_CODE = [*(_PACKAGE / "topics").glob("*.py"), *(_PACKAGE / "components").glob("*.py"), _PACKAGE / "embed.py",
         _PACKAGE / "corpus.py"]
_PACKAGES = ("bertopic", "hdbscan", "scikit-learn", "umap-learn", "numpy", "scipy", "gensim")
# Settings that decide nothing of the fit: how a run chooses between fitting and placing, where the fit is kept,
# and what is only counted from the placed topics (the prevalence plot, the degenerate flags).
_NOT_FIT = {"refit", "refit_share", "cache_dir", "plot_topics"}
_NOT_FIT_METRICS = {"flag_topic_share", "flag_min_topics", "flag_min_topics_documents", "flag_min_npmi"}


def fit_digest(config: TopicsConfig, embedding_info: dict[str, Any]) -> str:
    """A hash of what a fit depends on: the topics settings (those that change the model), the embeddings'
    model and text, the code of the stage and its components, and the versions of the libraries that fit."""
    from importlib.metadata import PackageNotFoundError, version

    from pipeline.result_cache import code_digest

    settings = config.model_dump(mode="json", exclude=_NOT_FIT)
    settings["metrics"] = {key: value for key, value in settings["metrics"].items() if key not in _NOT_FIT_METRICS}
    packages = {}
    for name in _PACKAGES:
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = None
    embeddings = {key: embedding_info.get(key) for key in ("encoder", "model_key", "text", "canonical_only")}
    return code_digest(_CODE, settings=settings, embeddings=embeddings, packages=packages)


@dataclass
class SavedFit:
    """A fit kept in `folder`: its model (`model/`, as `save_model` writes it, and `placer.joblib`, what placing
    needs of it), the record of the fit
    (`fit.json`: labels, words, aspects, NPMI per topic and the metrics that belong to the fit) and every article
    placed so far (`placed.parquet`: id, text_sha256, topic, cluster, and `since_fit`: placed by a later run)."""

    folder: Path
    record: dict[str, Any]
    placed: pd.DataFrame

    @property
    def model_folder(self) -> Path:
        return self.folder / "model"

    def placer(self) -> Any:
        """The model's `pipeline.topics.sample.Placer` (placing without importing BERTopic)."""
        import joblib

        return joblib.load(self.folder / "placer.joblib")  # written by `save_fit` only, never by a corpus


PLACED_COLUMNS = ["id", "text_sha256", "topic", "cluster", "since_fit"]


def save_fit(folder: Path, fit: TopicFit, embed_config: EmbedConfig, outliers: OutlierConfig,
             record: dict[str, Any], placed: pd.DataFrame) -> SavedFit:
    """Keep a fit in `folder` (replacing what was there, all at once)."""
    import joblib

    from pipeline.topics.sample import Placer

    with io.atomic_dir(folder) as tmp:
        save_model(fit, tmp / "model", embed_config, outliers)
        joblib.dump(Placer.of(fit.model), tmp / "placer.joblib")
        io.write_json(tmp / "fit.json", record)
        io.write_parquet(tmp / "placed.parquet", placed[PLACED_COLUMNS])
    return SavedFit(folder, record, placed[PLACED_COLUMNS])


def save_placed(saved: SavedFit, placed: pd.DataFrame) -> SavedFit:
    """Record the articles placed by a run that kept the model (the model and its record stay as they are)."""
    io.write_parquet(saved.folder / "placed.parquet", placed[PLACED_COLUMNS])
    return SavedFit(saved.folder, saved.record, placed[PLACED_COLUMNS])


def load_saved(folder: Path) -> SavedFit | None:
    """The fit kept in `folder`, or None when there is none or it does not load (the stage then fits again)."""
    folder = Path(folder)
    if not (folder / "fit.json").is_file():
        return None
    try:
        record = json.loads((folder / "fit.json").read_text(encoding="utf-8"))
        placed = pd.read_parquet(folder / "placed.parquet")
        missing = set(PLACED_COLUMNS) - set(placed.columns)
        if missing or not (folder / "model" / "assignment.json").is_file() or not (folder / "placer.joblib").is_file():
            raise ValueError(f"incomplete: {sorted(missing) or 'no model'}")
    except Exception as error:  # a damaged saved fit is not trusted: the stage fits again and replaces it
        log.warning("ignoring the saved topic model in %s: %s", folder, error)
        return None
    return SavedFit(folder, record, placed[PLACED_COLUMNS])
