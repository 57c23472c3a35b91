"""The explorer in a real browser: Debian's headless chromium, driven by selenium (Debian's chromium-driver).

The page built from hostile stage outputs (markup in titles, sentences, an outlet's name and topic words) is
opened from disk; the test waits until every view has drawn, hovers the map, clicks a topic in the list and the
widest-reported event on the timeline with the mouse, searches, and checks what appeared, that no injected
script ran and that the console shows no error. `make test` installs chromium first (`make system`), so the
test skips only where apt cannot install it, and fails where it could have been installed but was not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from pipeline.report import browser
from tests.test_explorer import HOSTILE, build_page

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[1]
NO_SCRIPT_RAN = "typeof window.__pwned === 'undefined'"


def chromium_or_skip() -> browser.Chromium:
    try:
        return browser.find_chromium()
    except browser.BrowserUnavailable as error:
        reason = browser.why_not_installable()
        if reason:
            pytest.skip(f"{error}; and it cannot be installed here: {reason}")
        pytest.fail(f"{error}, though apt can install it: `make system` (run by `make test`) installs it as root")


@pytest.fixture(scope="module")
def visited(tmp_path_factory: pytest.TempPathFactory) -> tuple[browser.Tour, Path]:
    chromium_or_skip()
    folder = tmp_path_factory.mktemp("explorer_browser")
    html, _ = build_page(folder)
    return browser.tour(html, folder / "screenshots", prefix="hostile", search="pwned", probe=NO_SCRIPT_RAN,
                         hover="<script>"), folder


def test_the_page_draws_every_view_without_errors(visited: tuple[browser.Tour, Path]) -> None:
    tour, _ = visited
    assert tour.page_errors == []
    assert tour.console_errors == [], tour.console
    assert 0 < tour.load_seconds < browser.READY_SECONDS
    assert tour.summary.startswith("80 articles from 4 outlets") and "3 events reported by at least 2 outlets" in \
        tour.summary


def test_no_injected_markup_runs_and_corpus_text_shows_as_text(visited: tuple[browser.Tour, Path]) -> None:
    tour, _ = visited
    assert tour.probe is True  # none of the <script>, onerror or </script> titles ran
    assert HOSTILE[0][:40] in tour.hover_text  # the map's hover label shows the title's markup as text
    assert any(HOSTILE[2].strip()[:30] in result for result in tour.search_results)
    assert any(HOSTILE[0][:30] in result for result in tour.search_results)
    assert any("Tom & Jerry &lt;b&gt; 5 < 6 > 4" in result for result in tour.search_results)  # entities as typed


def test_clicking_a_topic_lists_its_words_and_articles(visited: tuple[browser.Tour, Path]) -> None:
    tour, _ = visited
    assert tour.topic_title == "0: <i>troops</i>, border"  # the largest topic, its label as text
    assert tour.topic_words.startswith("<i>troops</i>, border")
    assert tour.topic_articles == 20  # all 20 articles of the topic (fewer than topic_articles, 40)


def test_clicking_an_event_lists_its_sources_in_order_of_first_report(visited: tuple[browser.Tour, Path]) -> None:
    tour, _ = visited
    assert tour.event_title.startswith("2022-01-17") and "4 outlets" in tour.event_title  # the widest-reported
    assert tour.event_sentence == HOSTILE[2]
    assert [line.split(" ")[0] for line in tour.event_outlets] == ["<b>evil</b>.example", "apnews.com", "tass.com",
                                                                   "punchng.com"]
    assert "first to report" in tour.event_outlets[0] and "(+2 days)" in tour.event_outlets[2]
    assert "(+5 days)" in tour.event_outlets[3]
    assert tour.event_mentions == 5  # two sentences of each outlet at first (apnews.com has three)
    assert tour.event_mentions_all == 6
    assert tour.event_links and all(link.startswith("https://") for link in tour.event_links)


def test_each_view_is_saved_as_a_screenshot(visited: tuple[browser.Tour, Path]) -> None:
    tour, folder = visited
    assert set(tour.screenshots) == {"map", "over_time", "topic", "event", "search"}
    for name, path in tour.screenshots.items():
        assert path == folder / "screenshots" / f"hostile_{name}.png"
        image = imread(path)
        assert image.shape[0] > 200 and image.shape[1] > 800
        assert np.std(image[..., :3]) > 0.05, f"{name} looks blank"


def test_the_explorer_built_by_dvc_repro_opens_on_the_default_corpus() -> None:
    built = REPO / "reports" / "explorer.html"
    if not built.is_file():
        pytest.skip(f"{built} is not built (dvc repro builds it)")
    chromium_or_skip()
    tour = browser.tour(built, probe=NO_SCRIPT_RAN)
    assert tour.page_errors == [] and tour.console_errors == []
    assert tour.topic_title and tour.topic_articles > 0
    assert tour.event_title and tour.event_mentions >= 2 and len(tour.event_outlets) >= 2
