"""benchmarks/bench_scale.py: corpora larger than the default one are copies that deduplication keeps apart."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import IngestConfig
from pipeline.ingest.stage import ingest

REPO = Path(__file__).resolve().parents[1]


def _bench() -> object:
    spec = importlib.util.spec_from_file_location("bench_scale", REPO / "benchmarks" / "bench_scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_perturbed_copies_keep_their_words_and_differ_from_the_original() -> None:
    bench = _bench()
    text = "one two three four five six seven eight nine ten eleven twelve"
    assert bench.perturb(text, 0) == text
    copies = [bench.perturb(text, copy) for copy in (1, 2, 3)]
    assert len({text, *copies}) == 4
    assert all(sorted(copy.split()) == sorted(text.split()) for copy in copies)


@pytest.mark.integration
def test_a_corpus_at_twice_its_size_keeps_every_copy_through_deduplication(
    corpus_slice: pd.DataFrame, tmp_path: Path
) -> None:
    """40 rows of the real corpus at 2x and at half: twice the articles, each copy its own article and none a
    duplicate of its original; the copies are dated a day later."""
    bench = _bench()
    base = corpus_slice.iloc[:40].reset_index(drop=True)
    doubled = bench.scaled_table(base, 2)
    assert len(doubled) == 80 and doubled["url"].nunique() == 80
    assert (pd.to_datetime(doubled["date"].iloc[40:]).to_numpy()
            == (pd.to_datetime(base["date"]) + pd.Timedelta(days=1)).to_numpy()).all()
    assert len(bench.scaled_table(base, 0.5)) == 20
    doubled.to_parquet(tmp_path / "doubled.parquet")
    base.to_parquet(tmp_path / "base.parquet")
    once, twice = (ingest(IngestConfig.model_validate({"sources": [str(tmp_path / name)]}), progress=False)
                   for name in ("base.parquet", "doubled.parquet"))
    assert len(twice.articles) == 2 * len(once.articles) > 60
    # a copy is never a duplicate of its original: as many canonical articles as once, times two
    assert int(twice.articles["is_canonical"].sum()) == 2 * int(once.articles["is_canonical"].sum())


def test_the_plus_one_percent_share_pairs_runs_of_one_encoder_and_the_fit_reads_the_static_runs() -> None:
    """A +1% run is compared with the cold run of its own encoder; the shipped encoder's runs (one size) stay out
    of the exponents fitted over the sizes."""
    bench = _bench()

    def run(factor: float, phase: str, cpu: float, encoder: str = "static") -> dict:
        return {"engine": "local", "encoder": encoder, "factor": factor, "phase": phase, "stage": "embed",
                "rows": int(1000 * factor), "articles": int(1000 * factor), "cpu_seconds": cpu, "returncode": 0,
                "peak_process_mb": 100, "peak_tree_mb": 100}

    runs = [run(0.5, "cold", 5.0), run(1, "cold", 10.0), run(2, "cold", 20.0), run(1, "plus_1pct", 1.0),
            run(1, "cold", 400.0, "default"), run(1, "plus_1pct", 8.0, "default")]
    found = bench.incremental(runs)
    assert found["local@1"]["share"] == 0.1 and found["local@1 default encoder"]["share"] == 0.02
    fitted = bench.exponents(runs)["local"]["embed"]
    assert fitted["exponent"] == pytest.approx(1.0) and fitted["cpu_seconds"] == [5.0, 10.0, 20.0]
    assert len(bench.merged(runs, [run(1, "cold", 11.0)])) == len(runs)  # the same key: replaced, not added
    two_logs = bench.merged(runs, [run(1, "cold", 11.0), run(1, "cold", 12.0)])  # the later log's run is kept
    assert len(two_logs) == len(runs) and [r["cpu_seconds"] for r in two_logs if r["factor"] == 1
                                            and r["phase"] == "cold" and r["encoder"] == "static"] == [12.0]
