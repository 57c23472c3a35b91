"""Byte-for-byte reproducible outputs: ingest on a slice of the real corpus, in this process or on Dask workers,
and every stage up to the timeline on a small synthetic corpus, run twice from cold."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.config import IngestConfig
from pipeline.engine import Engine
from pipeline.ingest.stage import ingest, write_outputs
from tests.synthetic import fast_params, output_digest, run_pipeline, write_corpus

REPO = Path(__file__).resolve().parents[1]

# The outputs the README declares byte-identical for identical input.
DETERMINISTIC = ("articles.parquet", "quarantine.parquet", "ingest.json")


@pytest.mark.integration
def test_ingest_twice_on_a_real_slice_gives_identical_bytes(
    corpus_slice: pd.DataFrame, seed_article: Path, tmp_path: Path, dask_engine: Engine
) -> None:
    """Once in this process, once on a two-worker Dask LocalCluster: the same bytes."""
    table = tmp_path / "slice.parquet"
    corpus_slice.to_parquet(table)
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(seed_article, folder / seed_article.name)
    digests = []
    config = IngestConfig.model_validate({"sources": [str(table), str(folder)]})
    for engine in (Engine(), dask_engine):
        result = ingest(config, progress=False, engine=engine)
        out = tmp_path / f"run-{engine.config.name}"
        write_outputs(result, out, out / "ingest.json")
        digests.append({name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in DETERMINISTIC})
        sources = result.metrics["date_source"]
        # the undated seed is inferred, or left unknown when its evidence is below ingest.dating.min_confidence
        assert result.metrics["kept"] > 250 and sources.get("inferred", 0) + sources.get("unknown", 0) == 1
    assert digests[0] == digests[1]


@pytest.mark.integration
def test_appending_one_percent_of_articles_parses_only_those(
    corpus_slice: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ingest.cache_dir, a re-run after 3 rows are added to 297 builds 3 records; its files are the bytes a
    cold run without any cache writes; a changed setting starts an empty cache."""
    from pipeline.ingest import stage

    built: list[str] = []
    build_article = stage.build_article
    monkeypatch.setattr(stage, "build_article", lambda record, config: built.append(record.locator)
                        or build_article(record, config))
    table = tmp_path / "slice.parquet"
    corpus_slice.iloc[:297].to_parquet(table)
    cached = IngestConfig.model_validate({"sources": [str(table)], "cache_dir": str(tmp_path / "cache")})
    ingest(cached, progress=False)
    assert len(built) == 297
    corpus_slice.to_parquet(table)  # the same 297 rows, then 3 new ones
    built.clear()
    digests = []
    for config in (cached, cached.model_copy(update={"cache_dir": None})):
        out = tmp_path / f"run-{len(digests)}"
        write_outputs(ingest(config, progress=False), out, out / "ingest.json")
        digests.append({name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in DETERMINISTIC})
        assert len(built) == (3 if config.cache_dir else 303)
    assert digests[0] == digests[1]
    built.clear()
    ingest(cached.model_copy(update={"min_words": 31}), progress=False)
    assert len(built) == 300


def _digests(root: Path) -> dict[str, str]:
    """SHA-256 of every output the README declares byte-identical (every data output and metrics file, but the
    wall-clock timings: `*_timing.json`, and the seconds and speeds inside metrics/timeline.json)."""
    found = {}
    for path in sorted([*(root / "interim").rglob("*"), *(root / "processed").rglob("*"), *(root / "metrics").glob("*")]):
        if not path.is_file() or path.name.endswith("_timing.json"):
            continue
        found[str(path.relative_to(root))] = output_digest(path)
    return found


@pytest.mark.slow
def test_every_stage_up_to_the_timeline_twice_gives_identical_bytes(tmp_path: Path, model2vec_folder: Path) -> None:
    """Two cold runs (the second after the first's outputs and embedding cache were moved away, so both write the
    same paths from nothing) of ingest, outlets, embed, topics and timeline on a small synthetic corpus of two
    outlets give the same bytes in every declared-deterministic output."""
    source, overrides = write_corpus("two_outlets_windows", tmp_path / "raw")
    base = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    stages = ("ingest", "outlets", "embed", "topics", "timeline")
    root = tmp_path / "run"
    digests = []
    for run in (1, 2):
        cache = root / "cache"
        cache.mkdir(parents=True)
        (cache / "model2vec").symlink_to(model2vec_folder, target_is_directory=True)  # distilled once a session
        params = fast_params(base, source, overrides, cache)
        (root / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
        codes = run_pipeline(root / "params.yaml", source, root, REPO / "benchmarks" / "results", stages)
        assert codes == dict.fromkeys(stages, 0), codes
        digests.append(_digests(root))
        root.rename(tmp_path / f"run-{run}")
    assert len(digests[0]) >= 15 and any(name.startswith("processed/topics/model/") for name in digests[0])
    differ = sorted(name for name in digests[0].keys() | digests[1].keys() if digests[0].get(name) != digests[1].get(name))
    assert not differ, differ
