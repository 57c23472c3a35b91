"""No stage opens a network socket: ingest, the temporal tagger and an embedding with the real MiniLM run with
every connection attempt refused and recorded (a library that swallows the error is still caught)."""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
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
