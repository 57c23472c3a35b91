"""Explorer benchmark: the size of reports/explorer.html and how long headless Chromium takes to draw it, on the
default corpus and on the corpus replicated to several times its size (with and without a cap on map points),
and, side by side in the same browser, a plotly map alone and (when given) a datamapplot page of the same points.

Every page is opened from disk in one headless Chromium session (Debian's chromium through chromium-driver, as
the report stage does), the variants taking turns run after run. Each load is timed from the request to the
moment every view has drawn: wall seconds, and the CPU seconds of the browser's processes over that span (the
steadier figure on a shared machine). Replicated corpora copy each article (new id, same title, outlet and date;
its map position jittered by 0.05) and keep the events; they measure how size and load time grow with articles
and with the points the map draws, which is what `report.explorer.max_map_points` caps.

    python benchmarks/bench_explorer.py [--runs 3] [--scales 4 8] [--caps 15000 30000]
        [--event-minimums 1] [--datamapplot PAGE.html] [--data-root DIR] [--cache-dir DIR]

Reads the stage outputs under --data-root (default: the repository) and the 2-D map from the report stage's cache
(computed once if missing). Writes benchmarks/results/explorer.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline import io, paths
from pipeline.config import load_config
from pipeline.report import browser, explore_plots, explorer, explorer_page

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "explorer.json"
EXPLORER_READY = "window.explorerReady === true"
PLOTLY_READY = "window.benchReady === true"
DATAMAPPLOT_READY = ("(function () { const l = document.getElementById('loading'); "
                     "return l && getComputedStyle(l).display === 'none' && document.querySelector('canvas'); })()")


def replicate(outputs: explorer.Outputs, coordinates: pd.DataFrame, copies: int, seed: int = 0) -> tuple[
        explorer.Outputs, pd.DataFrame]:
    """The corpus `copies` times over: each copy of an article gets a new id and a jittered map position."""
    if copies == 1:
        return outputs, coordinates
    rng = np.random.default_rng(seed)

    def copied(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
        parts = []
        for copy in range(copies):
            part = frame.copy()
            for column in columns:
                part[column] = part[column].astype(str) + ("" if copy == 0 else f"~{copy}")
            parts.append(part)
        return pd.concat(parts, ignore_index=True)

    articles = copied(outputs.articles, ("id", "canonical_id"))
    placed = copied(coordinates, ("id",))
    copies_only = placed["id"].str.contains("~").to_numpy()[:, None]
    placed[["x", "y"]] += rng.normal(0, 0.05, size=(len(placed), 2)) * copies_only
    return dataclasses.replace(outputs, articles=articles, doc_topics=copied(outputs.doc_topics, ("id",)),
                               embedding_ids=placed[["id"]]), placed


def plotly_map_page(articles: pd.DataFrame, path: Path) -> int:
    """The map alone, as plotly.py writes it (plotly.js inline), with a flag set once it has drawn."""
    import plotly.graph_objects as go

    shown = articles.dropna(subset=["x", "y"])
    codes = shown["topic"].fillna(-2).astype(int)
    figure = go.Figure(go.Scattergl(
        x=shown["x"], y=shown["y"], mode="markers", marker={"size": 3.5, "color": codes, "colorscale": "Turbo"},
        hovertext=[f"{title}<br>{outlet} · {day:%Y-%m-%d}" if pd.notna(day) else title
                   for title, outlet, day in zip(shown["title"].map(explore_plots.label_text), shown["outlet"],
                                                 shown["date"], strict=True)],
        hoverinfo="text"))
    figure.update_layout(xaxis_visible=False, yaxis_visible=False, height=700)
    figure.write_html(path, include_plotlyjs=True, full_html=True,
                      post_script="window.benchLoadMs = performance.now(); window.benchReady = true;")
    return path.stat().st_size


def measure(driver: Any, page: Path, ready: str) -> dict[str, float]:
    driver.get("about:blank")
    time.sleep(0.5)
    driver.get_log("browser")  # what earlier pages logged
    before = browser.browser_cpu_seconds(driver)
    started = time.perf_counter()
    driver.get(page.resolve().as_uri())
    deadline = started + 300
    while not driver.execute_script(f"return Boolean({ready});"):
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{page} did not draw within 300 s")
        time.sleep(0.05)
    wall = time.perf_counter() - started
    after = browser.browser_cpu_seconds(driver)
    errors = [entry["message"] for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
    return {"wall": round(wall, 2), "cpu": round(after - before, 2) if before is not None and after is not None
            else float("nan"), "errors": len(errors)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scales", type=int, nargs="*", default=[4, 8], help="corpus replicated this many times")
    parser.add_argument("--caps", type=int, nargs="*", default=[15000, 30000],
                        help="map-point caps tried on the replicated corpora")
    parser.add_argument("--event-minimums", type=int, nargs="*", default=[1],
                        help="min_event_outlets tried on the default corpus (besides the configured one)")
    parser.add_argument("--datamapplot", type=Path, help="a datamapplot page of the same points (see README)")
    parser.add_argument("--data-root", type=Path, default=REPO, help="where the stage outputs (data/) are")
    parser.add_argument("--cache-dir", type=Path, help="the 2-D map's cache (default: embed.cache_dir/explorer)")
    args = parser.parse_args()

    root = args.data_root
    params = load_config(REPO / paths.PARAMS)
    config = params.report.explorer
    groups = params.corpus.model_dump(mode="json")["outlet_groups"]
    outputs = explorer.load(root / paths.ARTICLES, root / paths.TOPICS, root / paths.EMBEDDINGS, root / paths.TIMELINE,
                            params.corpus.outlet_countries, params.corpus.canonical_only)
    started = time.process_time()
    coordinates, cached = explorer.map_coordinates(outputs.embedding_ids, outputs.embeddings, config,
                                                   args.cache_dir or REPO / params.embed.cache_dir / "explorer")
    map_cpu = round(time.process_time() - started, 1)

    pages: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-explorer-") as folder:
        def add(name: str, scaled: explorer.Outputs, placed: pd.DataFrame, cap: int, events: int | None = None) -> None:
            path = Path(folder) / f"{name}.html"
            changed = {"max_map_points": cap, "min_event_outlets": events or config.min_event_outlets}
            built = explorer_page.write(scaled, placed, config.model_copy(update=changed), groups,
                                        params.report.compare_groups, params.report.min_week_articles,
                                        params.report.title, path)
            pages[name] = {"path": path, "ready": EXPLORER_READY, "articles": built.articles,
                           "map_points": built.map_points, "events": built.events, "sentences": built.sentences,
                           "min_event_outlets": changed["min_event_outlets"], "html_bytes": built.html_bytes,
                           "data_bytes": built.data_bytes}

        add("explorer_default_corpus", outputs, coordinates, config.max_map_points)
        for minimum in args.event_minimums:
            add(f"explorer_default_corpus_events_from_{minimum}_outlets", outputs, coordinates, config.max_map_points,
                minimum)
        for scale in args.scales:
            scaled, placed = replicate(outputs, coordinates, scale)
            add(f"explorer_x{scale}_all_points", scaled, placed, len(placed) + 1)
            for cap in args.caps:
                add(f"explorer_x{scale}_cap{cap}", scaled, placed, cap)
        articles = explorer.article_frame(outputs, coordinates, groups)
        path = Path(folder) / "plotly_map_only.html"
        pages["plotly_map_only"] = {"path": path, "ready": PLOTLY_READY, "map_points": int(articles["x"].notna().sum()),
                                    "html_bytes": plotly_map_page(articles, path)}
        if args.datamapplot:
            pages["datamapplot_map_only"] = {"path": args.datamapplot, "ready": DATAMAPPLOT_READY,
                                             "html_bytes": args.datamapplot.stat().st_size}

        loads: dict[str, list[dict[str, float]]] = {name: [] for name in pages}
        load_before = os.getloadavg()
        with browser.headless(browser.find_chromium()) as driver:
            for run in range(args.runs):
                for name, page in pages.items():
                    loads[name].append(measure(driver, page["path"], page["ready"]))
                    print(f"run {run + 1}: {name}: {loads[name][-1]}", flush=True)
        load_after = os.getloadavg()

    variants = {}
    for name, page in pages.items():
        runs = loads[name]
        variants[name] = {
            **{key: value for key, value in page.items() if key not in ("path", "ready")},
            "html_mb": round(page["html_bytes"] / 1e6, 2),
            "load_wall_s_median": statistics.median(run["wall"] for run in runs),
            "load_cpu_s_median": statistics.median(run["cpu"] for run in runs),
            "loads": runs,
        }
    result = {
        "conditions": {"machine": platform.platform(), "cpus": os.cpu_count(), "runs": args.runs,
                       "load_average_before": [round(value, 2) for value in load_before],
                       "load_average_after": [round(value, 2) for value in load_after],
                       "note": "one headless Chromium (software WebGL), pages taking turns; wall time swings with "
                               "the machine's load, browser CPU seconds less so"},
        "map": {"articles": len(coordinates), "from_cache": cached, "cpu_seconds_to_reduce_or_read": map_cpu},
        "variants": variants,
    }
    io.write_json(RESULTS, result)
    for name, values in variants.items():
        print(f"{name}: {values['html_mb']} MB, {values.get('map_points', '?')} points, "
              f"wall {values['load_wall_s_median']} s, CPU {values['load_cpu_s_median']} s")


if __name__ == "__main__":
    main()
