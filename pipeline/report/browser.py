"""Open the explorer in a real browser: Debian's headless `chromium`, driven by selenium through Debian's
`chromium-driver`. Nothing is downloaded: selenium is given both programs' paths and told to stay offline.

`find_chromium` says where the two programs are (or why they cannot be used); `headless` starts the browser;
`tour` loads the page, waits until every view has drawn, takes a screenshot of each view, clicks a topic and
an event the way a reader would, and returns what appeared, how long the page took and what the browser
console said. The report stage puts the screenshots in the report; the browser test asserts on the tour.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import io

WINDOW = (1400, 1600)  # tall enough for a section and its panel in one screenshot
READY_SECONDS = 120.0
CHROMIUM_NAMES = ("chromium", "chromium-browser")
DRIVER_NAMES = ("chromedriver", "chromium-driver")
# SwiftShader is Chromium's software WebGL; the explorer is trusted content, so the map may use it when the
# machine has no GPU (without the flag Chromium still falls back to it, with a deprecation warning).
FLAGS = ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu-sandbox",
         "--enable-unsafe-swiftshader", "--hide-scrollbars", "--no-first-run", "--no-default-browser-check",
         "--disable-extensions", "--disable-background-networking", "--force-device-scale-factor=1")


class BrowserUnavailable(RuntimeError):
    """Chromium, its driver or selenium is missing (the message says which and how to install it)."""


@dataclass(frozen=True)
class Chromium:
    browser: Path
    driver: Path


def why_not_installable() -> str | None:
    """Why apt cannot install chromium and chromium-driver here (no apt, or no candidate), or None if it can."""
    if shutil.which("apt-cache") is None:
        return "there is no apt-cache (not a Debian-based machine)"
    try:
        policy = subprocess.run(["apt-cache", "policy", "chromium", "chromium-driver"], capture_output=True,
                                text=True, timeout=60, check=False).stdout
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"apt-cache failed: {error}"
    candidates = [line.split(":", 1)[1].strip() for line in policy.splitlines()
                  if line.strip().startswith("Candidate:")]
    if len(candidates) < 2 or "(none)" in candidates:
        return "apt knows no installable chromium and chromium-driver (apt-cache policy shows no candidate)"
    return None


def find_chromium() -> Chromium:
    """Debian's chromium and chromium-driver (or $CHROMIUM / $CHROMEDRIVER), else `BrowserUnavailable`."""
    browser = os.environ.get("CHROMIUM") or next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    driver = os.environ.get("CHROMEDRIVER") or next(filter(None, map(shutil.which, DRIVER_NAMES)), None)
    missing = [name for name, path in (("chromium", browser), ("chromium-driver", driver)) if not path]
    if missing:
        raise BrowserUnavailable(
            f"{' and '.join(missing)} not installed (Debian: apt-get install chromium chromium-driver; "
            "`make system` does it as root)"
        )
    try:
        import selenium  # noqa: F401
    except ImportError as error:
        raise BrowserUnavailable("selenium is not installed (pip install -r requirements.txt)") from error
    return Chromium(Path(str(browser)), Path(str(driver)))


@contextlib.contextmanager
def headless(chromium: Chromium, window: tuple[int, int] = WINDOW) -> Iterator[Any]:
    """A headless Chromium session whose console messages can be read back (`console_errors`)."""
    os.environ.setdefault("SE_OFFLINE", "true")  # selenium manager must not look for a driver online
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium.browser)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={window[0]},{window[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(chromium.driver)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@dataclass
class Tour:
    """What a reader saw: timings, the texts that appeared after each click, screenshots and console errors."""

    load_seconds: float  # from navigation start until every view had drawn (performance.now at ready)
    load_cpu_seconds: float | None  # CPU time of the browser's processes over the same span (None: unknown)
    webgl: bool
    summary: str
    time_note: str = ""
    topic_title: str = ""
    topic_words: str = ""
    topic_articles: int = 0
    event_title: str = ""
    event_sentence: str = ""
    event_outlets: list[str] = field(default_factory=list)
    event_mentions: int = 0  # sentences listed at first (the first of each outlet)
    event_mentions_all: int = 0  # after "show all"
    event_links: list[str] = field(default_factory=list)
    search_results: list[str] = field(default_factory=list)
    hover_text: str = ""  # the map's hover label over the point the tour hovered
    probe: Any = None  # the value of the caller's JavaScript expression, evaluated last
    page_errors: list[str] = field(default_factory=list)
    console: list[dict[str, Any]] = field(default_factory=list)
    screenshots: dict[str, Path] = field(default_factory=dict)

    @property
    def console_errors(self) -> list[str]:
        return [entry["message"] for entry in self.console if entry.get("level") == "SEVERE"]


def browser_cpu_seconds(driver: Any) -> float | None:
    """CPU seconds used so far by the browser's processes (the driver's children), or None if unreadable.

    Wall-clock load times swing with whatever else the machine runs; CPU time is the steadier measure.
    """
    try:
        import psutil

        total = 0.0
        for process in psutil.Process(driver.service.process.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
        return total
    except Exception:  # psutil missing or the driver's process gone: the load time is still measured
        return None


def wait_until(driver: Any, script: str, seconds: float, what: str) -> Any:
    """Poll a JavaScript expression until it is truthy; a timeout names what did not happen and the page's errors."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = driver.execute_script(f"return {script};")
        if value:
            return value
        time.sleep(0.1)
    errors = driver.execute_script("return window.explorerErrors || [];")
    raise TimeoutError(f"{what} did not happen within {seconds:.0f} s (page errors: {errors or 'none'})")


def _text(driver: Any, selector: str) -> str:
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.CSS_SELECTOR, selector)
    return found[0].text if found else ""


def _shoot(driver: Any, element_id: str, path: Path | None) -> Path | None:
    """A screenshot of one section of the page (None when no folder was given)."""
    from selenium.webdriver.common.by import By

    if path is None:
        return None
    section = driver.find_element(By.ID, element_id)
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'}); window.scrollBy(0, -80);", section)
    time.sleep(0.3)
    with io.atomic_path(path) as tmp:
        tmp.write_bytes(section.screenshot_as_png)
    return path


POINTS = "#timeline .scatterlayer .trace .points path.point"
# The event each marker stands for (its trace's customdata), and the widest-reported one's marker.
WIDEST_EVENT = """
const paths = Array.from(document.querySelectorAll(arguments[0]));
const events = window.explorer.data.events;
let best = -1, bestOutlets = -1;
paths.forEach(function (path, index) {
  const calc = path.parentNode && path.parentNode.parentNode && path.parentNode.parentNode.__data__;
  const trace = calc && calc[0] && calc[0].trace;
  const event = trace && trace.customdata ? trace.customdata[path.__data__.i] : undefined;
  if (event !== undefined && events.n_outlets[event] > bestOutlets) {
    best = index;
    bestOutlets = events.n_outlets[event];
  }
});
return best;
"""


def click_event(driver: Any) -> None:
    """Click the widest-reported event's marker with the mouse, as a reader does."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    driver.execute_script("document.getElementById('events-section').scrollIntoView({block: 'start'});")
    points = driver.find_elements(By.CSS_SELECTOR, POINTS)
    chosen = int(driver.execute_script(WIDEST_EVENT, POINTS))
    if chosen < 0:
        raise AssertionError("the event timeline drew no event marker")
    ActionChains(driver).move_to_element(points[chosen]).pause(0.2).click().perform()


# Where a map point is, in pixels from the centre of the map's element (selenium's offsets): the first point
# whose article's title contains arguments[0], else the first point.
POINT = """
const plot = document.getElementById('map'), layout = plot._fullLayout, trace = plot._fullData[0];
const titles = window.explorer.data.articles.title, needle = arguments[0];
const found = needle ? trace.customdata.findIndex(function (i) { return titles[i].indexOf(needle) >= 0; }) : 0;
const point = Math.max(found, 0), box = plot.getBoundingClientRect();
const x = layout.xaxis.l2p(trace.x[point]) + layout._size.l, y = layout.yaxis.l2p(trace.y[point]) + layout._size.t;
return [x - box.width / 2, y - box.height / 2];
"""


def hover_point(driver: Any, title: str = "") -> str:
    """Move the mouse over the map's point of the first article whose title contains `title` (else the first
    point), as a reader does; return the hover label's text."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    driver.execute_script("document.getElementById('map-section').scrollIntoView({block: 'start'});")
    time.sleep(0.2)
    dx, dy = driver.execute_script(POINT, title)
    ActionChains(driver).move_to_element_with_offset(driver.find_element(By.ID, "map"), int(dx), int(dy)).perform()
    try:
        return str(wait_until(driver, "(document.querySelector('#map .hoverlayer') || {}).textContent", 10,
                              "a hover label on the map"))
    except TimeoutError:
        return ""


def tour(html_path: Path, screenshots: Path | None = None, prefix: str = "explorer", search: str = "",
         probe: str = "null", hover: str = "") -> Tour:
    """Open the page from disk, wait for it, and visit every view; screenshots go to `screenshots/prefix_*.png`.

    `hover`: the mouse rests on the map point of the first article whose title contains it (else the first
    point); `search` is typed into the search box; `probe`, a JavaScript expression, is evaluated at the end."""
    from selenium.webdriver.common.by import By

    chromium = find_chromium()
    shot = (lambda name: screenshots / f"{prefix}_{name}.png") if screenshots is not None else (lambda name: None)
    with headless(chromium) as driver:
        cpu_before = browser_cpu_seconds(driver)
        driver.get(Path(html_path).resolve().as_uri())
        wait_until(driver, "window.explorerReady === true || (window.explorerErrors || []).length > 0", READY_SECONDS,
                   "drawing the explorer's views")
        cpu_after = browser_cpu_seconds(driver)
        result = Tour(
            load_seconds=round(float(driver.execute_script("return window.explorerLoadMs || 0;")) / 1000, 3),
            load_cpu_seconds=(round(cpu_after - cpu_before, 2) if cpu_before is not None and cpu_after is not None
                              else None),
            webgl=bool(driver.execute_script("return window.explorer ? window.explorer.webgl : false;")),
            summary=_text(driver, "#summary"),
            time_note=_text(driver, "#time-note"),
        )
        result.screenshots["map"] = _shoot(driver, "map-section", shot("map"))
        result.hover_text = hover_point(driver, hover)
        result.screenshots["over_time"] = _shoot(driver, "time-section", shot("over_time"))
        # A topic, clicked in the topic list: its words and articles appear, the map fades the others.
        item = driver.find_elements(By.CSS_SELECTOR, "#topic-list button.topic-item")
        if item:
            driver.execute_script("document.getElementById('map-section').scrollIntoView({block: 'start'});")
            item[0].click()
            wait_until(driver, "document.getElementById('topic-title')", 20, "showing the clicked topic")
            time.sleep(0.5)
            result.topic_title = _text(driver, "#topic-title")
            result.topic_words = _text(driver, "#topic-words")
            result.topic_articles = len(driver.find_elements(By.CSS_SELECTOR, "#topic-articles li"))
            result.screenshots["topic"] = _shoot(driver, "map-section", shot("topic"))
        # An event, clicked on the timeline with the mouse: its sentences, outlets and links appear.
        if driver.find_elements(By.CSS_SELECTOR, POINTS):
            click_event(driver)
            wait_until(driver, "document.getElementById('event-title')", 20, "showing the clicked event")
            time.sleep(0.5)
            result.event_title = _text(driver, "#event-title")
            result.event_sentence = _text(driver, "#event-sentence")
            result.event_outlets = [node.text for node in driver.find_elements(By.CSS_SELECTOR, "#event-outlets li")]
            result.event_mentions = len(driver.find_elements(By.CSS_SELECTOR, "#event-mentions li"))
            result.event_mentions_all = result.event_mentions
            result.event_links = [node.get_attribute("href") for node in
                                  driver.find_elements(By.CSS_SELECTOR, "#event-mentions a")]
            result.screenshots["event"] = _shoot(driver, "events-section", shot("event"))
            more = driver.find_elements(By.ID, "all-sentences")
            if more:
                more[0].click()
                result.event_mentions_all = len(driver.find_elements(By.CSS_SELECTOR, "#event-mentions li"))
        if search:
            box = driver.find_element(By.ID, "search")
            driver.execute_script("window.scrollTo(0, 0);")
            box.send_keys(search)
            wait_until(driver, "!document.getElementById('search-results').hidden", 20, "showing search results")
            time.sleep(0.3)
            result.search_results = [node.text for node in
                                     driver.find_elements(By.CSS_SELECTOR, "#search-results button.item")]
            if shot("search") is not None:
                path = shot("search")
                path.parent.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(path))
                result.screenshots["search"] = path
        result.page_errors = list(driver.execute_script("return window.explorerErrors || [];"))
        result.probe = driver.execute_script(f"return ({probe});")
        result.console = list(driver.get_log("browser"))
    result.screenshots = {name: path for name, path in result.screenshots.items() if path is not None}
    return result
