"""The whole pipeline on corpora a researcher may bring: every stage and the report, through the command line.

Each shape of `tests/synthetic.py` (texts alone; one outlet on one day; two outlets named, not by domain, in
different windows; a table with unusual column names and a stray old article) runs ingest, embed (the static
Model2Vec encoder, distilled once per session), topics (PCA and k-means), timeline and report with params made
fast for a small corpus, and the rendered report is read the way a reader would: no figure or table empty or
misleading for the shape. The undated folder of .txt files runs the stages up to the timeline.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.synthetic import fast_params, run_pipeline, write_corpus

REPO = Path(__file__).resolve().parents[1]
STAGES = ("ingest", "outlets", "embed", "topics", "timeline", "report")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory, model2vec_folder: Path) -> Path:
    """One embedding cache for the module; the distilled encoder is the session's (`model2vec_folder`)."""
    cache = tmp_path_factory.mktemp("cache")
    (cache / "model2vec").symlink_to(model2vec_folder, target_is_directory=True)
    return cache


def pipeline_run(shape: str, root: Path, cache: Path, stages: tuple[str, ...] = STAGES,
                 extra: dict[str, object] | None = None) -> dict[str, object]:
    source, overrides = write_corpus(shape, root / "raw")
    base = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    params = fast_params(base, source, {**overrides, **(extra or {})}, cache)
    (root / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    codes = run_pipeline(root / "params.yaml", source, root, REPO / "benchmarks" / "results", stages)
    assert codes == dict.fromkeys(stages, 0), codes
    return params


def items(root: Path) -> dict[str, dict[str, str]]:
    """Every figure and table the report stage saved, with its caption and interpretation."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in (root / "reports" / "figures").glob("*.json")}


def check_report(root: Path) -> tuple[str, dict[str, dict[str, str]]]:
    """What every report must get right whatever the corpus; returns the HTML and the items."""
    html = (root / "reports" / "report.html").read_text(encoding="utf-8")
    metrics = json.loads((root / "metrics" / "report.json").read_text(encoding="utf-8"))
    assert metrics["pages"] >= 4
    saved = items(root)
    for name, item in saved.items():
        if item["kind"] == "table":
            table = pd.read_csv(root / "reports" / "figures" / f"{name}.csv", keep_default_na=False)
            assert len(table) or name in ("group_contrast", "framing"), f"table {name} is empty"
        else:
            assert (root / "reports" / "figures" / f"{name}.png").stat().st_size > 5_000, f"figure {name} is blank"
        text = f"{item['caption']} {item['interpretation']}"
        assert "None" not in text and "nan" not in text.split(), (name, text)
        assert "Russian state" not in text, (name, text)  # nothing of the default corpus's groups leaks in
    assert "Part II. The package" in html and "not this corpus" in html
    assert ">None<" not in html
    return html, saved


@pytest.mark.slow
def test_a_corpus_of_texts_alone(tmp_path: Path, cache_dir: Path) -> None:
    """A CSV with one `text` column: no title, date, outlet or URL. Dates the model is less sure of than 0.2 stay
    unknown here (the default keeps nine in ten of a folder's dates: all of these), so the report's undated
    articles are exercised too."""
    pipeline_run("text_only", tmp_path, cache_dir, extra={"ingest.dating.min_confidence": 0.2})
    articles = pd.read_parquet(tmp_path / "interim" / "articles.parquet")
    quarantine = pd.read_parquet(tmp_path / "interim" / "quarantine.parquet")
    assert quarantine.empty  # the exact copy is no duplicate_id: it joined its original's cluster
    assert (articles["dup_cluster_size"] > 1).sum() >= 4  # the exact copy and the near copy, with their originals
    assert not articles["body"].str.contains(r"\(c\) 2022 BBC|Maxar|Daily Planet\. All rights", regex=True).any()
    assert not articles["body"].str.contains("Â£").any() and articles["body"].str.contains("£45").any()
    obituary = articles[articles["body"].str.contains("Walter Grey")].iloc[0]
    assert pd.isna(obituary["date"]) or obituary["date"].year == 2022  # never 1870, 1911 or 1950
    assert articles["date"].isna().any()  # some texts do not tell their day

    html, saved = check_report(tmp_path)
    undated = int(articles["date"].isna().sum())
    assert f"{undated} of {len(articles)} articles have no publication date" in saved["articles_per_week"]["caption"]
    assert "No article names its outlet" in saved["outlets"]["interpretation"]
    assert "topics_per_outlet" not in saved and "topics_per_country" not in saved and "group_contrast" not in saved
    assert "outlets" not in pd.read_csv(tmp_path / "reports" / "figures" / "top_events.csv").columns
    assert " 1 outlets" not in html and "(unknown) (" not in html
    assert "no topic shares per outlet" in html
    flags = json.loads((tmp_path / "metrics" / "topics.json").read_text(encoding="utf-8"))["degenerate"]
    assert ("Topics flagged as degenerate" in html) == bool(flags)  # in the summary and the topics section


@pytest.mark.slow
def test_two_outlets_named_not_by_domain_in_different_windows(tmp_path: Path, cache_dir: Path) -> None:
    """Outlet names in a column, no URLs; the groups name the outlets; their windows overlap by about ten days."""
    pipeline_run("two_outlets_windows", tmp_path, cache_dir)
    _html, saved = check_report(tmp_path)
    report = json.loads((tmp_path / "metrics" / "report.json").read_text(encoding="utf-8"))
    assert report["outlet_groups"]["outlets"] == {"planet": ["Daily Planet"], "star": ["Evening Star"]}
    assert report["outlet_groups"]["warnings"] == []
    assert "red planet, blue star" in saved["articles_per_week"]["caption"]

    weekly = pd.read_csv(tmp_path / "processed" / "topics" / "topics_per_outlet_over_time.csv")
    per_outlet = weekly.groupby(["week", "outlet"])["count"].sum().unstack(fill_value=0)
    both = int(((per_outlet["Daily Planet"] > 0) & (per_outlet["Evening Star"] > 0)).sum())
    assert 0 < both < len(per_outlet) / 2
    caption = saved["group_contrast"]["caption"]
    assert f"Counted only in the {both} weeks in which both groups published" in caption
    assert "left out" in caption
    framing = saved["framing"]["interpretation"]
    assert "key event" in framing


@pytest.mark.slow
def test_a_table_with_unusual_column_names_and_a_stray_old_article(tmp_path: Path, cache_dir: Path) -> None:
    """'Headline', 'Body Text', 'Published At', 'Source Name', 'Link'; one group by outlet name, one by domain."""
    pipeline_run("unusual_columns", tmp_path, cache_dir)
    articles = pd.read_parquet(tmp_path / "interim" / "articles.parquet")
    assert set(articles["outlet"]) == {"Wire Service", "The Herald", "Gazette"}
    assert articles["title"].str.len().gt(0).all() and articles["date_source"].eq("metadata").all()
    _html, saved = check_report(tmp_path)
    report = json.loads((tmp_path / "metrics" / "report.json").read_text(encoding="utf-8"))
    assert report["outlet_groups"]["outlets"] == {"agency": ["Wire Service"], "papers": ["Gazette", "The Herald"]}
    weeks = pd.read_csv(tmp_path / "reports" / "plots" / "articles_per_week.csv")["week"]
    assert weeks.min() >= "2022-01-31"  # the 2013 article does not stretch the axis over nine years ...
    assert "1 dated article(s) lie outside the period shown, 1 before it (earliest 04 June 2013)" in (
        saved["articles_per_week"]["caption"])  # ... and the caption says it is there
    key = pd.read_csv(tmp_path / "reports" / "figures" / "top_events.csv")
    assert key["date"].min() >= "2022-02-07"


@pytest.mark.slow
def test_one_outlet_on_one_day_with_groups_that_match_nothing(tmp_path: Path, cache_dir: Path) -> None:
    """Forty articles of one outlet, all published the same day; the configured group names another outlet."""
    pipeline_run("one_outlet_one_day", tmp_path, cache_dir,
                 extra={"corpus.outlet_groups": {"wire": ["apnews.com", "Reuters"]}})
    html, saved = check_report(tmp_path)
    report = json.loads((tmp_path / "metrics" / "report.json").read_text(encoding="utf-8"))
    assert report["outlet_groups"]["unmatched_entries"] == {"wire": ["apnews.com", "Reuters"]}
    assert any("matches no outlet" in warning for warning in report["outlet_groups"]["warnings"])
    assert re.search(r"Outlet group (?:'|&#x27;)wire(?:'|&#x27;) matches no outlet of this corpus", html)
    assert saved["articles_per_week"]["interpretation"].startswith("Every dated article falls in the week")
    if "topic_prevalence" in saved:
        assert "no trend" in saved["topic_prevalence"]["interpretation"]
    assert re.search(r"Every article with a known outlet comes from planet\.example", html)


@pytest.mark.slow
def test_an_undated_folder_of_texts_runs_every_stage(tmp_path: Path, cache_dir: Path) -> None:
    pipeline_run("undated_folder", tmp_path, cache_dir, stages=("ingest", "embed", "topics", "timeline"))
    metrics = json.loads((tmp_path / "metrics" / "ingest.json").read_text(encoding="utf-8"))
    assert metrics["date_source"].get("metadata", 0) == 0
    assert metrics["quarantined"] == 0
    timeline = json.loads((tmp_path / "metrics" / "timeline.json").read_text(encoding="utf-8"))
    assert timeline["merged_events"] > 0
