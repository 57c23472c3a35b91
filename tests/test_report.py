"""The report stage: tables read stage outputs correctly, corpus text is escaped, and the whole stage renders.

The stage test builds small stage outputs with the real schemas (the topics tables through the topics
stage's own `prevalence`, the events with the timeline stage's `EVENT_COLUMNS`), runs every notebook with
papermill, and checks the HTML and the PDF a reader gets.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.cli import main
from pipeline.config import CorpusConfig, load_config
from pipeline.corpus import find_outlets, select_articles, write_outlets
from pipeline.report import corpus_tables, formatting, stage
from pipeline.report.items import ItemStore
from pipeline.timeline.merge import EVENT_COLUMNS
from pipeline.topics.tables import assignments_frame, prevalence

REPO = Path(__file__).resolve().parents[1]
SCRIPT = '<script>alert("owned")</script>'
OUTLETS = {  # outlet: (group, country)
    "tass.com": ("russian_state", None),
    "sputniknews.com": ("russian_state", "Russia"),
    "apnews.com": ("western", "United States"),
    "bbc.co.uk": ("western", "United Kingdom"),
    "punchng.com": ("other", "Nigeria"),
}
LABELS = {-1: "outliers, misc", 0: "troops, border, military", 1: "gas, prices, sanctions", 2: "talks, diplomacy, geneva"}


def run_report(params: Path, articles: Path, topics_dir: Path, timeline_dir: Path, metrics_dir: Path,
               benchmarks_dir: Path, notebooks: Path, out_dir: Path, embeddings_dir: Path | None = None) -> int:
    """The report command, as `dvc repro` runs it, on the given inputs (embeddings and outlets beside the topics)."""
    return main([
        "report", f"--params={params}", f"--articles={articles}", f"--topics-dir={topics_dir}",
        f"--timeline-dir={timeline_dir}", f"--metrics-dir={metrics_dir}", f"--benchmarks-dir={benchmarks_dir}",
        f"--embeddings-dir={embeddings_dir or topics_dir.parent / 'embeddings'}",
        f"--outlets-dir={topics_dir.parent / 'outlets'}",
        f"--notebooks={notebooks}", f"--out-dir={out_dir}",
        f"--report-metrics={out_dir / 'report.json'}",
    ])


def make_articles(count: int = 240) -> pd.DataFrame:
    """Articles spread over ten weeks and five outlets; every tenth is a copy (of its own outlet or another's)."""
    rng = np.random.default_rng(3)
    outlets = list(OUTLETS)
    rows = []
    for number in range(count):
        outlet = outlets[number % len(outlets)]
        rows.append(
            {
                "id": f"{number:016x}",
                "url": f"https://{outlet}/{number}",
                "outlet": outlet,
                "source_country": OUTLETS[outlet][1],
                "title": SCRIPT + " Troops at the border" if number == 7 else f"Article {number}",
                "date": dt.date(2022, 1, 3) + dt.timedelta(days=int(rng.integers(0, 70))),
                "is_canonical": True,
                "canonical_id": f"{number:016x}",
            }
        )
    frame = pd.DataFrame(rows)
    for copy in range(10, count, 10):
        source = copy - 5 if copy % 20 else copy - 1  # 5 apart: the same outlet; 1 apart: another outlet
        frame.loc[copy, ["is_canonical", "canonical_id"]] = [False, frame.loc[source, "id"]]
    return frame


def make_event(day: dt.date, outlets: list[str], sentence: str) -> dict:
    groups = sorted({OUTLETS[outlet][0] for outlet in outlets})
    event = {
        "date": day, "date_last": day, "precision": "day", "date_value": day.isoformat(), "n_mentions": len(outlets),
        "n_articles": len(outlets) + 1, "n_outlets": len(outlets), "n_countries": len(outlets), "n_groups": len(groups),
        "outlets": outlets, "lag_days": [0] * len(outlets), "timely_outlets": outlets, "countries": [],
        "groups": groups, "silent_outlets": [], "silent_countries": [], "first_outlet": outlets[0],
        "first_published": day, "representative": sentence, "representative_article": "0" * 16,
        "representative_outlet": outlets[0],
        "group_sentences": [{"group": group, "outlet": next(o for o in outlets if OUTLETS[o][0] == group),
                             "article_id": "0" * 16, "sentence": f"{group} says: {sentence}"} for group in groups],
        "trigger": "met", "actors": ["Putin"], "targets": [], "locations": ["Geneva"], "article_ids": ["0" * 16],
        "mention_ids": ["0" * 16 + ":0"],
    }
    assert set(event) == set(EVENT_COLUMNS), "the timeline stage's event schema changed"
    return event


def write_stage_outputs(root: Path, articles: pd.DataFrame, corpus: CorpusConfig | None = None) -> dict[str, Path]:
    """Minimal ingest, outlets, topics and timeline outputs (and metrics) with the schemas the stages write; the
    outlets through the outlets stage's own functions, with params.yaml's corpus section unless `corpus` is given."""
    paths = {name: root / name for name in ("interim", "topics", "timeline", "metrics", "benchmarks", "embeddings")}
    for path in paths.values():
        path.mkdir(parents=True)
    articles.to_parquet(paths["interim"] / "articles.parquet")

    canonical = articles[articles["is_canonical"]].reset_index(drop=True)
    corpus = corpus or load_config(REPO / "params.yaml").corpus
    write_outlets(root / "outlets", find_outlets(select_articles(articles, corpus.canonical_only), corpus))
    doc_topics = pd.DataFrame({"id": canonical["id"], "topic": [(i % 4) - 1 for i in range(len(canonical))]})
    assignments = assignments_frame(canonical, doc_topics)
    sizes = doc_topics["topic"].value_counts()
    topic_info = pd.DataFrame(
        {
            "topic": list(LABELS),
            "label": list(LABELS.values()),
            "size": [int(sizes[topic]) for topic in LABELS],
            "share": [round(sizes[topic] / len(doc_topics), 6) for topic in LABELS],
            "npmi": [None, 0.12, 0.08, -0.01],
            "words": [label + ", more, words" for label in LABELS.values()],
            "example_titles": [f"{SCRIPT} Title A | Title B | Title C"] * len(LABELS),
        }
    )
    topic_info.to_csv(paths["topics"] / "topic_info.csv", index=False)
    doc_topics.assign(score=0.5).to_parquet(paths["topics"] / "doc_topics.parquet")
    write_embeddings(paths["embeddings"], canonical["id"], doc_topics["topic"])
    prevalence(assignments, ["week"], LABELS).to_csv(paths["topics"] / "topics_over_time.csv", index=False)
    prevalence(assignments, ["outlet", "source_country"], LABELS).to_csv(
        paths["topics"] / "topics_per_outlet.csv", index=False
    )
    prevalence(assignments, ["outlet", "week"], LABELS, complete=False).to_csv(
        paths["topics"] / "topics_per_outlet_over_time.csv", index=False
    )

    events = [
        make_event(dt.date(2022, 1, 10), ["apnews.com", "tass.com", "bbc.co.uk"], "Talks began in Geneva on Monday."),
        make_event(dt.date(2022, 1, 10), ["punchng.com", "tass.com"], "A second event on the same day."),
        make_event(dt.date(2022, 2, 1), ["sputniknews.com", "apnews.com"], SCRIPT + " Troops moved to the border."),
        make_event(dt.date(2022, 2, 20), ["bbc.co.uk"], "Gas prices rose again."),
        make_event(dt.date(1945, 5, 9), list(OUTLETS), "Victory Day marks the end of the war in 1945."),
    ]
    pd.DataFrame(
        [{"event_id": f"{event['date']}-{n:04d}", **event} for n, event in enumerate(events)]
    ).to_parquet(paths["timeline"] / "timeline.parquet")
    pd.DataFrame(
        [{"event_id": f"{event['date']}-{n:04d}", "article_id": "0" * 16, "outlet": outlet,
          "published": event["first_published"], "sentence": f"{outlet}: {event['representative']}"}
         for n, event in enumerate(events) for outlet in event["outlets"]]
    ).to_parquet(paths["timeline"] / "events.parquet")
    summary = [{"date": "2022-01-10T00:00:00", "score": 1.0, "sentences": [
        {"text": SCRIPT + " Talks began.", "article_id": "0" * 16, "outlet": "tass.com", "url": "https://tass.com/0",
         "published": "2022-01-10", "event_id": None}]}]
    (paths["timeline"] / "timeline.json").write_text(json.dumps(summary))

    metrics = {
        "ingest": {"records_read": len(articles) + 2, "kept": len(articles), "quarantined": 2,
                   "quarantined_by_reason": {"too_short": 2}, "date_source": {"metadata": len(articles)},
                   "duplicates": {"canonical_articles": len(canonical)}},
        "topics": {"documents": len(doc_topics), "topics": 3, "npmi": 0.063, "diversity": 0.9,
                   "largest_topics": [{"topic": 0, "label": LABELS[0], "size": int(sizes[0])}]},
        "timeline": {"articles": len(canonical), "merged_events": len(events), "events_reported_by_2plus_outlets": 4,
                     "largest_event_outlets": 5, "share_articles_with_dated_event": 0.5},
    }
    for name, values in metrics.items():
        (paths["metrics"] / f"{name}.json").write_text(json.dumps(values))
    return paths


def write_embeddings(folder: Path, ids: pd.Series, topics: pd.Series) -> None:
    """The embed stage's outputs for `ids`: 8-dimensional vectors, close within each topic."""
    rng = np.random.default_rng(5)
    centres = {topic: rng.normal(size=8) for topic in sorted(set(topics))}
    vectors = np.stack([centres[topic] + 0.2 * rng.normal(size=8) for topic in topics]).astype(np.float32)
    np.save(folder / "embeddings.npy", vectors)
    pd.DataFrame({"id": ids, "text_sha256": ["0" * 64] * len(ids)}).to_parquet(folder / "ids.parquet")
    (folder / "info.json").write_text(json.dumps({"articles": len(ids), "dimensions": 8}))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The report stage run once on small stage outputs; returns the output folder and the exit code."""
    root = tmp_path_factory.mktemp("report")
    paths = write_stage_outputs(root, make_articles())
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["report"].update(min_week_articles=5, min_column_articles=5, key_events=10, title=f"Test report {SCRIPT}")
    params["embed"]["cache_dir"] = str(root / "cache")  # the explorer's map cache
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    code = run_report(root / "params.yaml", paths["interim"] / "articles.parquet", paths["topics"], paths["timeline"],
                      paths["metrics"], paths["benchmarks"], REPO / "notebooks",
                      root / "reports")
    return root / "reports", code


def test_stage_runs_every_notebook_without_an_error(rendered: tuple[Path, int]) -> None:
    out, code = rendered
    assert code == 0
    for name in stage.NOTEBOOKS:
        notebook = nbformat.read(out / "notebooks" / f"{name}.ipynb", as_version=4)
        errors = [output for cell in notebook.cells for output in cell.get("outputs", [])
                  if output.get("output_type") == "error"]
        assert errors == [], name


def test_html_embeds_every_figure_and_shows_no_code(rendered: tuple[Path, int]) -> None:
    out, _ = rendered
    page = (out / "report.html").read_text(encoding="utf-8")
    pngs = sorted(path for path in (out / "figures").glob("*.png") if not path.name.startswith("explorer_"))
    screenshots = sorted((out / "figures").glob("explorer_*.png"))  # of the explorer, when Chromium is installed
    assert len(pngs) == 7
    assert len(re.findall(r'<img\b[^>]*\bsrc="data:image/png;base64,', page)) == len(pngs) + len(screenshots)
    assert all(path.with_suffix(".svg").is_file() for path in pngs)
    assert "store.html(" not in page and "corpus_tables.load_articles" not in page  # code cells are left out
    assert 'src="http' not in page and "<script src" not in page  # self-contained


def test_corpus_text_is_escaped_in_the_html(rendered: tuple[Path, int]) -> None:
    page = (rendered[0] / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in page or "&lt;script&gt;alert(\"owned\")" in page


def test_pdf_pages_render(rendered: tuple[Path, int], tmp_path: Path) -> None:
    out, _ = rendered
    pages = json.loads((out / "report.json").read_text())["pages"]
    assert pages >= 3
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (Debian package poppler-utils) is not installed; `make test` installs it as root")
    subprocess.run(["pdftoppm", "-png", "-r", "20", str(out / "report.pdf"), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    assert all(path.stat().st_size > 1000 for path in images)


def test_report_lists_only_events_inside_the_corpus_period(rendered: tuple[Path, int]) -> None:
    top = pd.read_csv(rendered[0] / "figures" / "top_events.csv")
    assert top["date"].tolist() == ["2022-01-10", "2022-02-01", "2022-02-20"]  # one per day, 1945 left out
    assert top["outlets"].tolist() == [3, 2, 1]
    framing = json.loads((rendered[0] / "figures" / "framing.json").read_text())
    assert framing["interpretation"].startswith("2 of the 3 key events were reported by both Russian state and Western")


def test_plots_files_are_tidy_weekly_series(rendered: tuple[Path, int]) -> None:
    plots = rendered[0] / "plots"
    weekly = pd.read_csv(plots / "articles_per_week.csv")
    assert list(weekly.columns) == ["week", "series", "articles"]
    assert weekly["articles"].sum() == 240
    events = pd.read_csv(plots / "events_per_week.csv")
    assert events["week"].min() >= "2022-01-03"


def test_missing_input_is_a_clear_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    code = run_report(REPO / "params.yaml", tmp_path / "none.parquet", tmp_path, tmp_path, tmp_path, tmp_path,
                      REPO / "notebooks", tmp_path / "reports")
    assert code == 3
    assert "none.parquet" in caplog.text


def test_copy_shares_tell_own_copies_from_syndication() -> None:
    shares = corpus_tables.copy_shares(make_articles(40)).set_index("outlet")
    # copies at 10 and 30 copy 5 rows earlier (same outlet), the copy at 20 the row before (another outlet)
    assert shares["copies of own articles"].sum() == 2
    assert shares["copies of other outlets' articles"].sum() == 1
    assert shares.loc["tass.com", "copy share"] == pytest.approx(3 / 8)  # all three copies are tass.com articles


def test_articles_per_week_fills_empty_weeks_with_zeros() -> None:
    articles = pd.DataFrame({"outlet": ["a", "b", "a"], "date": pd.to_datetime(["2022-01-03", "2022-01-05", "2022-01-24"])})
    weekly = corpus_tables.articles_per_week(articles)
    assert len(weekly) == 4 * 2  # four weeks, two outlets
    assert weekly.groupby("week")["articles"].sum().tolist() == [2, 0, 0, 1]


def test_items_escape_captions_and_cells(tmp_path: Path) -> None:
    store = ItemStore(tmp_path)
    store.save_table(pd.DataFrame({"title": [SCRIPT]}), "t", "A <b>title</b>", SCRIPT, "x < y")
    markup = store.html("t")
    assert "<script>" not in markup and "<b>title" not in markup
    assert "Table 1. A &lt;b&gt;title&lt;/b&gt;" in markup and "x &lt; y" in markup


def test_shorten_cuts_at_a_word_boundary() -> None:
    assert formatting.shorten("one two three four", 12) == "one two\u2026"
    assert formatting.shorten("  short   text ", 50) == "short text"


def test_provenance_names_each_source_read_and_whether_the_commit_rebuilds_the_report(tmp_path: Path) -> None:
    metrics = tmp_path / "ingest.json"
    metrics.write_text(json.dumps({"per_source": {"data/mine.csv": {"sha256": "ab12", "read": 3, "kept": 2}}}))
    assert stage.data_versions(metrics) == ["data/mine.csv: SHA-256 ab12, 3 records read, 2 kept"]
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    assert stage.code_version(tmp_path / "repo") == ("unknown (not a git checkout)", False)  # no commit yet
    assert stage.code_version(tmp_path / "elsewhere") == ("unknown (not a git checkout)", False)
    version, committed = stage.code_version(REPO)
    assert committed == (", with uncommitted changes" not in version)


def test_a_failing_cell_fails_the_stage_with_its_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    paths = write_stage_outputs(tmp_path, make_articles(40))
    notebooks = tmp_path / "notebooks"
    shutil.copytree(REPO / "notebooks", notebooks)
    broken = nbformat.read(notebooks / "01_corpus.ipynb", as_version=4)
    broken.cells.insert(2, nbformat.v4.new_code_cell("raise RuntimeError('broken cell')"))
    nbformat.write(broken, notebooks / "01_corpus.ipynb")
    code = run_report(REPO / "params.yaml", paths["interim"] / "articles.parquet", paths["topics"], paths["timeline"],
                      paths["metrics"], paths["benchmarks"], notebooks, tmp_path / "reports")
    assert code == 1
    assert "broken cell" in caplog.text
    assert not (tmp_path / "reports" / "report.html").exists()


def test_a_report_without_outlet_groups_to_compare_leaves_the_contrasts_out(tmp_path: Path) -> None:
    paths = write_stage_outputs(tmp_path, make_articles(120), CorpusConfig())
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["corpus"]["outlet_groups"] = {}
    params["report"].update(compare_groups=[], min_week_articles=5, min_column_articles=5)
    params["topics"]["clusterer"] = {"name": "kmeans", "n_clusters": 3}
    params["report"]["explorer"] = {"screenshots": False}
    params["embed"]["cache_dir"] = str(tmp_path / "cache")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    code = run_report(tmp_path / "params.yaml", paths["interim"] / "articles.parquet", paths["topics"],
                      paths["timeline"], paths["metrics"], paths["benchmarks"],
                      REPO / "notebooks", tmp_path / "reports")
    assert code == 0
    assert not (tmp_path / "reports" / "figures" / "group_contrast.csv").exists()
    assert not (tmp_path / "reports" / "figures" / "framing.csv").exists()
    page = (tmp_path / "reports" / "report.html").read_text(encoding="utf-8")
    assert "clustered by k-means into 3 topics" in page  # the method names the components used


def test_timex_table_shows_na_where_heideltime_published_no_figure() -> None:
    from pipeline.report.run_tables import timex_table

    scores = {measure: {"f1": 80.0} for measure in ("strict", "relaxed", "type", "value")}
    benchmark = {
        "datasets": {"wikiwars_dev": {"documents": 10, "scores": scores}, "MEANTIME": {"documents": 3, "scores": scores}},
        "heideltime_reference": {"wikiwars_dev": {"value": 83.44, "type": None}, "MEANTIME": None},
    }
    table = timex_table(benchmark).set_index("corpus")
    assert table.loc["wikiwars_dev", "value F1 (HeidelTime)"] == "83.4"
    assert table.loc["wikiwars_dev", "type F1 (HeidelTime)"] == "n/a"
    assert table.loc["MEANTIME", "strict F1 (HeidelTime)"] == "n/a"


def test_benchmark_tables_read_the_results_files_as_the_benchmarks_write_them() -> None:
    """Part II's tables from benchmarks/results/: Timeline17 leaving one topic out, dating, TempEval-3."""
    from pipeline.report import run_tables

    tls = json.loads((REPO / "benchmarks" / "results" / "tls.json").read_text(encoding="utf-8"))
    table = run_tables.tls_table(tls)
    assert list(table.columns) == ["left-out topic (timelines)", "ours", "learnt ranker", "PubCount", "random",
                                   "date oracle", "text oracle"]
    assert len(table) == len(tls["folds"]) + 2
    overall = tls["overall"]["scores"]["ours"]
    row = table[table["left-out topic (timelines)"] == f"all {len(tls['folders'])} timelines"].iloc[0]
    assert row["ours"] == f"{overall['date_f1']:.3f} / {overall['ar1']:.3f} / {overall['ar2']:.3f}"
    assert table["left-out topic (timelines)"].iloc[-1] == f"mean over {len(tls['folds'])} topics"
    dating = run_tables.date_inference_table(json.loads((REPO / "benchmarks" / "results" / "dating.json").read_text()))
    assert dating["setting"].str[:4].tolist() == ["(a) ", "(b) ", "(b+)", "(c) "]
    timex = run_tables.timex_table(json.loads((REPO / "benchmarks" / "results" / "timex.json").read_text()))
    assert "n/a" in set(timex["strict F1 (HeidelTime)"])  # MEANTIME has no published figure

def test_the_performance_table_lists_each_run_phase_and_stage() -> None:
    from pipeline.report.run_tables import embedding_description, performance_table

    stage = {"wall_seconds": 61.0, "cpu_seconds": 95.5, "peak_pss_tree_mb": 812, "load_average_mean": 2.1}
    benchmark = {"runs": {
        "before": {"commit": "956f170abc", "cold": {"seconds": 700.0, "load_average_before": 0.4,
                                                      "stages": {"ingest": stage, "embed": stage}},
                   "noop": {"seconds": 2.6, "stages": {}}},
        "after": {"commit": "0123456789", "param_change": {"seconds": 80.0, "param": "topics.label_words=5",
                                                            "stages": {"topics": stage, "report": stage}}},
    }, "slice_runs": {"after": {"cold": {"seconds": 1.0}}}}
    table = performance_table(benchmark)
    assert table["step"].tolist() == ["cold dvc repro", "· ingest", "· embed", "no-op dvc repro",
                                      "one topics setting changed (topics.label_words=5)", "· topics", "· report"]
    assert table["run"].tolist()[0] == "before (956f170)" and table["run"].tolist()[4] == "after (0123456)"
    assert table.loc[1, "CPU (s)"] == 95.5 and table.loc[1, "peak memory (MB)"] == 812
    assert performance_table({}).empty  # no benchmark run yet: the report leaves the table out
    onnx = {"embed": {"encoder": {"name": "minilm", "backend": "onnx", "precision": "int8"}, "text": "full"}}
    assert embedding_description(onnx) == ("all-MiniLM-L6-v2 sentence embeddings (ONNX Runtime, int8 weights) of "
                                            "each article's title and body")


def test_topic_corpora_table_lists_each_method_per_corpus_with_labels_and_robustness_where_measured():
    from pipeline.report.run_tables import topic_corpora_table

    stage = {"topics": 7, "npmi": 0.246, "diversity": 0.95, "outlier_share": 0.002, "largest_topic_share": 0.404,
             "nmi": 0.846, "ari": 0.911, "degenerate": ["topic 0 holds 40% of the articles (limit 33%)"]}
    benchmark = {"corpora": {
        "Timeline17 pooled (3,663)": {
            "this_stage": stage,
            "lda": {"topics": 7, "npmi": 0.1, "diversity": 0.7, "outlier_share": 0.0, "largest_topic_share": 0.3,
                    "nmi": 0.5, "ari": 0.4},
            "robustness": {"perturbed_1e-6": {"topics": 7, "ari": 0.99}, "seed_plus_1": {"topics": 7, "ari": 0.98}},
            "this_stage_umap": {**stage, "topics": 8, "degenerate": []},
            "robustness_umap": {"perturbed_1e-6": {"topics": 9, "ari": 0.71}, "seed_plus_1": {"topics": 8, "ari": 0.8}},
        },
        "default subset 1,000": {"this_stage": {**stage, "degenerate": []}},
    }, "corpora_targets": {"Timeline17 pooled (3,663)": {"npmi_at_least_0.17": True, "nmi_at_least_0.80": True},
                           "default subset 1,000": {"npmi_at_least_0.17": False, "no_topic_above_a_third": False}}}
    table = topic_corpora_table(benchmark)
    assert table[["corpus", "method"]].values.tolist() == [
        ["Timeline17 pooled (3,663)", "this stage"], ["Timeline17 pooled (3,663)", "this stage with UMAP (before issue 13.5)"],
        ["Timeline17 pooled (3,663)", "LDA"], ["default subset 1,000", "this stage"],
    ]
    first, umap = table.iloc[0], table.iloc[1]
    assert first["ARI perturbed (topics)"] == "0.990 (7)" and first["largest topic"] == "40.4%"
    assert umap["ARI perturbed (topics)"] == "0.710 (9)" and umap["ARI seed + 1"] == "0.800" and umap["flags"] == "none"
    assert first["flags"].startswith("topic 0 holds 40%") and table.iloc[3]["flags"] == "none"
    assert table.iloc[2]["ARI perturbed (topics)"] == "" and table.iloc[2]["flags"] == ""
    assert table["targets missed"].tolist() == ["none", "", "", "NPMI >= 0.17; no topic above a third"]


def test_changed_paths_keep_the_first_letter_of_each_path(tmp_path: Path) -> None:
    """`git status --porcelain` starts with a space for a modified file: the path must survive whole."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for command in (["init", "-q"], ["config", "user.email", "t@t"], ["config", "user.name", "t"]):
        subprocess.run(["git", "-C", str(repo), *command], check=True)
    (repo / "dvc.yaml").write_text("stages: {}\n")
    (repo / "params.yaml").write_text("a: 1\n")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "x"], check=True)
    (repo / "dvc.yaml").write_text("stages: {a: {cmd: x}}\n")
    (repo / "notebooks").mkdir()
    (repo / "notebooks" / "new.ipynb").write_text("{}")
    assert sorted(stage.changed_paths(repo, ("dvc.yaml", "notebooks", "params.yaml"))) == [
        "dvc.yaml", "notebooks/new.ipynb"]
    assert stage.code_version(repo)[0].endswith("with uncommitted changes to dvc.yaml, notebooks")


def test_the_scale_table_and_figure_read_bench_scale_s_results() -> None:
    """benchmarks/results/scale.json as bench_scale.py writes it (its `exponents` and `incremental`): one row per
    stage and engine with the peak memory at 1x and at the largest size, and the +1% runs in words."""
    import importlib.util

    import matplotlib

    matplotlib.use("Agg")
    from pipeline.report import figures, run_tables

    spec = importlib.util.spec_from_file_location("bench_scale", REPO / "benchmarks" / "bench_scale.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)  # type: ignore[union-attr]
    runs = []
    for factor, articles in ((0.5, 8000), (1, 16000), (2, 32000)):
        for name, cpu in (("ingest", 0.007), ("timeline", 0.03)):
            runs.append({"engine": "local", "factor": factor, "stage": name, "phase": "cold", "returncode": 0,
                         "rows": articles, "articles": articles, "cpu_seconds": cpu * articles + 5,
                         "peak_process_mb": 400 + articles // 100, "peak_tree_mb": 400 + articles // 100})
    runs += [{**run, "phase": "plus_1pct", "cpu_seconds": 9.0} for run in runs if run["factor"] == 1]
    runs += [{**run, "encoder": "default", "cpu_seconds": 900.0 if run["phase"] == "cold" else 9.0,
              "peak_process_mb": 9_999} for run in runs if run["factor"] == 1]  # the shipped encoder at 1x
    benchmark = {"runs": runs, "fitted": bench.exponents(runs), "plus_1pct": bench.incremental(runs)}
    table = run_tables.scale_table(benchmark)
    assert table["stage (engine)"].tolist() == ["ingest (local)", "timeline (local)"]
    row = table.iloc[0]
    assert row["articles"] == "8,000 – 32,000" and row["peak memory (MB): 1x → largest"] == "560 → 720 (1.29x)"
    assert 0.9 < float(row["k"]) < 1.0
    words = run_tables.plus_one_percent(benchmark)
    assert words.startswith("1% more articles at 1x (local, static encoder) cost 18 CPU s, 3.0% of the cold run's "
                            "602 (ingest 8%")
    assert "timeline 2%" in words and "1% more articles at 1x (local, default encoder) cost 18 CPU s, 1.0%" in words
    assert len(figures.scale(benchmark["fitted"]).axes) == 2
    assert run_tables.scale_table({}).empty and run_tables.plus_one_percent({}) == ""
