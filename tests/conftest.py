"""Shared fixtures. Integration tests read the real corpus straight from the shared DVC remote in ../shared."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.config import EngineConfig
from pipeline.engine import Engine

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or a skip when the shared folder is not beside the repository."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared holds the real corpora)")
    return path


def _remote_file(md5: str) -> Path:
    return shared_path("dvc-remote", "files", "md5", md5[:2], md5[2:])


def corpus_file(relpath: str) -> Path:
    """Resolve a file of the default corpus (data/raw/<relpath>) inside the shared DVC remote."""
    pointer = yaml.safe_load(shared_path("corpus", "raw.dvc").read_text())
    listing = json.loads(_remote_file(pointer["outs"][0]["md5"].removesuffix(".dir") + ".dir").read_text())
    for entry in listing:
        if entry["relpath"] == relpath:
            return _remote_file(entry["md5"])
    pytest.skip(f"{relpath} is not in the shared corpus")


@pytest.fixture(scope="session")
def corpus_slice() -> pd.DataFrame:
    """300 articles of csli.parquet spread over outlets and time (deterministic)."""
    frame = pd.read_parquet(corpus_file("csli.parquet"))
    return frame.sample(300, random_state=7).sort_values(["date", "url"]).reset_index(drop=True)


@pytest.fixture(scope="session")
def seed_article() -> Path:
    return shared_path("seeds", "000_9ef5f17bb255e9d8.txt")


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache folder for the session, so the MiniLM ONNX graphs are written once for all tests."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def dask_engine() -> Iterator[Engine]:
    """A two-worker Dask LocalCluster for the session (started once: about 5 s), with small partitions so that
    even a small fixture is cut into several."""
    with Engine(EngineConfig(name="dask", workers=2, memory_limit="1GB", partition_size=4)) as engine:
        yield engine


@pytest.fixture(scope="session")
def model2vec_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the static Model2Vec encoder is distilled once for the session: data/cache/model2vec when a run of the
    pipeline made it, else a session folder that the first test to need it fills (link it as cache/model2vec)."""
    made = REPO / "data" / "cache" / "model2vec"
    return made if made.is_dir() else tmp_path_factory.mktemp("model2vec")
