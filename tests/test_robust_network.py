"""No stage opens a network socket: ingest, the temporal tagger, an embedding with the real MiniLM, the outlets stage,
a topic fit and the timeline stage run with every connection attempt refused and recorded (a library that swallows
the error is still caught)."""

from __future__ import annotations

import datetime as dt
import json
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.components.encoders import MiniLM
from pipeline.config import IngestConfig
from pipeline.ingest.stage import ingest
from pipeline.timex import tag
from tests.test_ingest import ENGLISH_BODY


@pytest.fixture()
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[object, ...]]]:
    """Refuse and record every outgoing connection and name lookup; the test fails if any was attempted."""
    attempts: list[tuple[object, ...]] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError(f"network access attempted in a test: {args[1:] or args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts
    assert not attempts, f"network access attempted: {attempts}"


def test_the_guard_catches_a_connection(no_network: list[tuple[object, ...]]) -> None:
    with pytest.raises(OSError):
        urllib.request.urlopen("http://example.com", timeout=1)
    assert no_network
    no_network.clear()


def test_ingest_the_tagger_and_minilm_open_no_socket(no_network: list[tuple[object, ...]], tmp_path: Path) -> None:
    rows = [{"url": f"https://a.example/{i}", "date": f"2022-03-0{i}", "text": f"{ENGLISH_BODY} {i}"} for i in (1, 2)]
    table = tmp_path / "rows.jsonl"
    table.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    config = IngestConfig.model_validate({"sources": [str(table)]})
    metrics = ingest(config, progress=False).metrics
    assert metrics["kept"] == 2, metrics

    values = [t.value for t in tag("Russian forces shelled Kharkiv on Sunday.", dct="2022-03-15")]
    assert values == ["2022-03-13"]

    vectors = MiniLM(max_seq_length=64, threads=1).build(tmp_path).encode(["Kyiv was shelled overnight.", "Gas prices rose."])
    assert vectors.shape == (2, 384) and np.isfinite(vectors).all()


def test_the_outlets_topics_and_timeline_stages_open_no_socket(
    no_network: list[tuple[object, ...]], tmp_path: Path
) -> None:
    """The stages after ingest (the report excepted: its notebook kernels talk to papermill over localhost by
    design) on small inputs, with every connection refused."""
    from pipeline.cli import main
    from pipeline.components.clustering import KMeans
    from pipeline.components.reduction import Pca
    from pipeline.config import load_config
    from pipeline.timeline.stage import load_articles, run_stage
    from pipeline.topics.fit import fit_topics
    from tests.test_topics_model import CONFIG, FakeEncoder, synthetic_docs

    repo = Path(__file__).resolve().parents[1]
    sentence = "Russian forces shelled the city of Kharkiv on Thursday, officials in Kyiv said on Friday."
    articles = pd.DataFrame({
        "id": ["a1", "a2", "a3"], "url": ["https://tass.com/1", "https://bbc.co.uk/2", None],
        "outlet": ["tass.com", "bbc.co.uk", None], "source_country": ["Russia", None, None],
        "title": ["Shelling", "Shelling", "Shelling"], "body": [sentence, sentence + " More followed.", sentence],
        "date": [dt.date(2022, 3, 4)] * 3, "is_canonical": [True, True, True],
    })
    articles.to_parquet(tmp_path / "articles.parquet")
    assert main(["outlets", f"--articles={tmp_path / 'articles.parquet'}", f"--out-dir={tmp_path / 'outlets'}"]) == 0

    params = load_config(repo / "params.yaml")
    result = run_stage(load_articles(tmp_path / "articles.parquet", canonical_only=True),
                       params.timeline.model_copy(update={"cache_dir": None}), params.corpus)
    assert len(result.timeline) >= 1

    encoder = FakeEncoder()
    docs, _ = synthetic_docs(30, seed=3)
    fast = CONFIG.model_copy(update={"reducer": Pca(n_components=3), "clusterer": KMeans(n_clusters=3)})
    fit = fit_topics(docs, encoder.encode(docs), fast, encoder)
    assert len(fit.words) >= 2
