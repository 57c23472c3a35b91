"""dvc.yaml's ingest stage depends on exactly the files `ingest.sources` names, so DVC sees a changed corpus."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.cli import main
from pipeline.config import EXIT_CONFIG
from pipeline.sources import declared_sources, sync, unsynced

REPO = Path(__file__).resolve().parents[1]
DVC = Path(sys.executable).with_name("dvc")

TOY = """\
stages:
  # the corpus comes first
  ingest:
    cmd: {python} -c "import shutil; shutil.copy('corpus/a.csv', 'out.csv')"
    deps:
      - data/raw
      - pipeline/ingest
    params:
      - ingest
    outs:
      - out.csv
"""


def test_sync_replaces_the_data_dependencies_and_keeps_code_and_comments(tmp_path: Path) -> None:
    dvc_yaml = tmp_path / "dvc.yaml"
    dvc_yaml.write_text(TOY.format(python="python"))
    assert sync(dvc_yaml, ["corpus/a.csv", "corpus/texts/"])
    text = dvc_yaml.read_text()
    assert "# the corpus comes first" in text
    assert yaml.safe_load(text)["stages"]["ingest"]["deps"] == ["corpus/a.csv", "corpus/texts", "pipeline/ingest"]
    assert not sync(dvc_yaml, ["corpus/a.csv", "corpus/texts"])  # already in step: the file is not rewritten
    assert declared_sources(dvc_yaml) == ["corpus/a.csv", "corpus/texts"]


def test_a_source_inside_a_declared_folder_counts_as_declared(tmp_path: Path) -> None:
    dvc_yaml = tmp_path / "dvc.yaml"
    dvc_yaml.write_text(TOY.format(python="python"))
    assert unsynced(dvc_yaml, ["data/raw/csli.parquet", "data/raw/articles"]) == []
    assert unsynced(dvc_yaml, ["data/mine.csv", "data/raw2/x.csv"]) == ["data/mine.csv", "data/raw2/x.csv"]


def test_the_repository_dvc_yaml_is_in_step_with_params_yaml() -> None:
    sources = yaml.safe_load((REPO / "params.yaml").read_text())["ingest"]["sources"]
    assert declared_sources(REPO / "dvc.yaml") == sources


def test_ingest_refuses_a_corpus_dvc_yaml_does_not_declare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["ingest"]["sources"] = ["mine.csv"]
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    (tmp_path / "dvc.yaml").write_text(TOY.format(python="python"))
    monkeypatch.chdir(tmp_path)
    assert main(["ingest"]) == EXIT_CONFIG
    assert "python -m pipeline sync" in caplog.text
    assert main(["sync"]) == 0
    assert declared_sources(tmp_path / "dvc.yaml") == ["mine.csv"]


@pytest.mark.skipif(not DVC.is_file() or shutil.which("git") is None, reason="needs dvc and git")
def test_dvc_status_sees_a_changed_source_after_sync(tmp_path: Path) -> None:
    def run(*command: str) -> str:
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=True,
                              env={**os.environ, "DVC_NO_ANALYTICS": "1"})
        return done.stdout

    run("git", "init", "-q")
    run(str(DVC), "init", "-q")
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.csv").write_text("text\nfirst\n")
    (tmp_path / "pipeline" / "ingest").mkdir(parents=True)
    (tmp_path / "params.yaml").write_text("ingest:\n  sources: [corpus/a.csv]\n")
    (tmp_path / "dvc.yaml").write_text(TOY.format(python=sys.executable))
    sync(tmp_path / "dvc.yaml", ["corpus/a.csv"])
    run(str(DVC), "repro", "-q")
    assert "up to date" in run(str(DVC), "status")
    (tmp_path / "corpus" / "a.csv").write_text("text\nsecond\n")
    status = run(str(DVC), "status")
    assert "ingest" in status and "corpus/a.csv" in status


def test_content_hash_follows_the_bytes_of_a_file_or_of_every_file_in_a_folder(tmp_path: Path) -> None:
    from pipeline.sources import content_hash

    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "a.txt").write_text("one")
    first = content_hash(tmp_path / "texts")
    (tmp_path / "texts" / "b.txt").write_text("two")
    second = content_hash(tmp_path / "texts")
    (tmp_path / "texts" / "b.txt").write_text("too")
    assert len({first, second, content_hash(tmp_path / "texts")}) == 3
    assert content_hash(tmp_path / "texts" / "a.txt") == content_hash(tmp_path / "texts" / "a.txt")
    assert content_hash(tmp_path / "absent") is None
