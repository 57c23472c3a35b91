"""The report stage's explorer step: write `reports/explorer.html`, then open it in headless Chromium, shoot each
view into `reports/figures/` (with a caption, like every figure of the report) and measure how long it takes
to draw. Without a usable browser the explorer is still written and the report says why it has no screenshots.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline import io
from pipeline.config import Params
from pipeline.report import browser, explorer, explorer_page
from pipeline.report.items import Item

if TYPE_CHECKING:
    from pipeline.report.stage import Inputs

log = logging.getLogger(__name__)

EXPLORER_HTML = "explorer.html"
# (view, title, what the reader does there); the interpretation is written from what the browser showed.
VIEWS = (
    ("map", "The explorer's topic map",
     "Each article is a point placed by a 2-D reduction of its embedding and coloured by its topic; hovering "
     "shows its title, outlet and date."),
    ("topic", "The explorer after clicking a topic",
     "Clicking a topic (in the list or on the map) fades the other topics and lists the topic's words and the "
     "articles closest to it, each linked to its source."),
    ("over_time", "Topics over time in the explorer",
     "Weekly share of the largest topics, filtered by outlet group and outlet; the grey bars count the "
     "selection's articles per week."),
    ("event", "The explorer after clicking an event",
     "The event timeline (marker size: outlets); clicking an event lists its sentences, its outlets in order "
     "of first report with their lag, and links to the articles."),
)


@dataclass(frozen=True)
class Explored:
    facts: dict[str, Any]  # for the report notebook: size, points, load time, screenshots (or why none)
    metrics: dict[str, Any]  # for metrics/report.json
    seconds: dict[str, float]  # for metrics/report_timing.json


def build_and_shoot(params: Params, inputs: Inputs, out_dir: Path) -> Explored:
    config = params.report.explorer
    html_path = out_dir / EXPLORER_HTML
    started = time.perf_counter()
    outputs = explorer.load(inputs.articles, inputs.topics_dir, inputs.embeddings_dir, inputs.timeline_dir,
                            inputs.outlets_dir, params.corpus.canonical_only)
    built = explorer_page.build(
        outputs, config, params.report.compare_groups,
        params.report.min_week_articles, params.report.title, html_path, params.embed.cache_dir / "explorer",
    )
    seconds = {"explorer_build": round(time.perf_counter() - started, 2)}
    log.info("explorer: %s (%.1f MB, %d articles, %d on the map, %d events; map %s)", html_path,
             built.html_bytes / 1e6, built.articles, built.map_points, built.events,
             "from the cache" if built.map_from_cache else "reduced now")
    facts: dict[str, Any] = {
        "path": str(html_path), "html_bytes": built.html_bytes, "articles": built.articles,
        "map_points": built.map_points, "events": built.events, "min_event_outlets": config.min_event_outlets,
        "screenshots": [], "why_no_screenshots": "",
    }
    if not config.screenshots:
        facts["why_no_screenshots"] = "report.explorer.screenshots is off"
    else:
        try:
            tour = browser.tour(html_path, out_dir / "figures", prefix="explorer")
        except browser.BrowserUnavailable as error:
            facts["why_no_screenshots"] = f"no browser to take them: {error}"
            log.warning("explorer screenshots skipped: %s", error)
        else:
            problems = tour.page_errors + tour.console_errors
            if problems:
                log.warning("the explorer reported errors in Chromium: %s", "; ".join(problems))
            seconds["explorer_load_in_chromium"] = tour.load_seconds
            if tour.load_cpu_seconds is not None:
                seconds["explorer_load_cpu_in_chromium"] = tour.load_cpu_seconds
            facts.update(load_seconds=tour.load_seconds, load_cpu_seconds=tour.load_cpu_seconds,
                         browser_errors=problems, screenshots=save_items(tour, out_dir / "figures"))
    metrics = {key: value for key, value in asdict(built).items() if key != "map_from_cache"}
    return Explored(facts, metrics, seconds)


def save_items(tour: browser.Tour, figures_dir: Path) -> list[str]:
    """Caption each screenshot as a report item (`explorer_<view>.json` beside the PNG); returns their names."""
    names = []
    for view, title, caption in VIEWS:
        if view not in tour.screenshots:
            continue
        name = f"explorer_{view}"
        io.write_json(figures_dir / f"{name}.json",
                      asdict(Item(name, "figure", title, caption, interpretation(view, tour))))
        names.append(name)
    return names


def interpretation(view: str, tour: browser.Tour) -> str:
    """One sentence on what the browser showed in the view (read from the page, not typed)."""
    if view == "topic" and tour.topic_title:
        return f"Here topic {tour.topic_title}, with {tour.topic_articles} of its articles listed."
    if view == "event" and tour.event_title:
        first = tour.event_outlets[0].split(" ")[0] if tour.event_outlets else "no outlet"
        return (f"Here the widest-reported event ({tour.event_title}), first reported by {first}; the panel lists "
                f"{tour.event_mentions} of its {tour.event_mentions_all} sentences, the first of each outlet.")
    if view == "over_time" and tour.time_note:
        return tour.time_note.split("; ")[0] + "."  # what the chart shows, without the page's instructions
    return tour.summary


def summary_sentence(facts: dict[str, Any]) -> str:
    """The report's sentence on the explorer: where it is, its size, what it holds and how fast it opened."""
    size = facts.get("html_bytes", 0) / 1e6
    shown, articles = facts.get("map_points", 0), facts.get("articles", 0)
    points = f"all {articles:,}" if shown == articles else f"{shown:,} (a sample) of the {articles:,}"
    sentence = (
        f"reports/explorer.html is one {size:.1f} MB file that opens from disk in a browser, without a server or a "
        f"network: a map of {points} articles coloured by "
        f"topic, the topics' weekly shares by outlet group and outlet, the {facts.get('events', 0):,} events reported "
        f"by at least {facts.get('min_event_outlets', 2)} outlets with their sources, and a search over titles and "
        "event sentences."
    )
    if facts.get("load_seconds") is not None:
        cpu = facts.get("load_cpu_seconds")
        sentence += (
            f" Headless Chromium drew all its views {facts['load_seconds']:.1f} s after opening it on the machine "
            "that ran the report"
            + (f" ({cpu:.1f} s of browser CPU)" if cpu is not None else "") + "."
        )
    if facts.get("why_no_screenshots"):
        sentence += f" No screenshots in this report: {facts['why_no_screenshots']}."
    return sentence
