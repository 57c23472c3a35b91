"""Small synthetic news corpora, one per shape a researcher may bring, written for the end-to-end tests.

Every corpus is generated from a seed (the same files on every run): English articles on three themes (energy
prices, a football league, an election), each naming the days of the events it reports the way news does
("on Monday", "on March 14"), so ingest can date them, topics can tell the themes apart and the timeline can
merge one event told by several outlets. Some articles carry what real corpora carry: a copyright line, an
agency photo credit, mojibake, an exact copy, a near copy, a biography with old dates.

Shapes (`write_corpus(shape, folder)` returns the source path and the params overrides that read it):
- `text_only`: a CSV with a single `text` column (no title, date, outlet or URL);
- `undated_folder`: a folder of .txt files (title line, paragraphs), no dates;
- `one_outlet_one_day`: JSON Lines from one outlet's URLs, all published on the same day;
- `two_outlets_windows`: a CSV with outlet *names* (no URL) whose coverage windows barely overlap;
- `unusual_columns`: a Parquet table whose columns are named "Headline", "Body Text", "Published At",
  "Source Name", "Link", with one stray article from years before the rest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
PLACES = ["Northfield", "Eastbrook", "Westmoor", "Southport", "Kingsbridge", "Ashford", "Milltown", "Redcliffe"]
PEOPLE = ["Anna Keller", "Tom Reyes", "Maria Olsen", "David Cho", "Lena Brandt", "Paul Okafor", "Sara Lind"]

# Three themes: each has titles, background sentences and events (what happened on a day).
THEMES: dict[str, dict[str, list[str]]] = {
    "energy": {
        "titles": [
            "Gas prices climb again as suppliers warn of a cold winter",
            "Households face higher electricity bills from next month",
            "Regulator reviews the price cap after a volatile quarter",
            "Energy firms report record profits as wholesale costs rise",
            "Ministers consider support for families struggling with heating bills",
        ],
        "background": [
            "Wholesale gas prices have doubled since the spring, and suppliers pass the cost on to customers.",
            "The regulator sets a ceiling on the unit price that suppliers may charge for electricity and gas.",
            "Consumer groups say millions of households will struggle to heat their homes this winter.",
            "Analysts expect the price of electricity to stay high until new storage capacity is built.",
            "Several small suppliers have collapsed, and their customers were moved to larger companies.",
            "Heating oil and liquefied gas deliveries were delayed by storms in the North Sea.",
            "The average annual bill for a typical household is now about 2,400 pounds.",
            "Campaigners want a windfall tax on the profits of the largest energy producers.",
            "Engineers said the new interconnector cable would carry power from offshore wind farms.",
            "Industrial users such as steel and glass makers warned that high prices could cost jobs.",
        ],
        "events": [
            "the regulator raised the energy price cap by {n} percent for the coming quarter",
            "the largest supplier announced a fixed tariff for customers in {place}",
            "the government unveiled a support package for households worth {n} billion pounds",
            "a storage site near {place} reopened after repairs to its compressors",
        ],
    },
    "football": {
        "titles": [
            "Late goal keeps the title race open",
            "Manager praises young squad after derby win",
            "Striker signs new contract until the end of the decade",
            "Injury crisis deepens before the cup semi-final",
            "Supporters protest against ticket prices at the stadium",
        ],
        "background": [
            "The club has not won the league title for eleven seasons and the supporters are restless.",
            "The midfield has looked tired after a run of matches every three or four days.",
            "Ticket prices rose by a fifth this season, and supporters' groups organised a walkout.",
            "The young goalkeeper has kept nine clean sheets and was called up by the national team.",
            "The stadium's new stand will hold another eight thousand fans when it opens.",
            "The striker has scored in each of his last six matches and leads the scoring chart.",
            "Television money makes up more than half of the club's income, according to its accounts.",
            "The coaching staff rotated the squad to rest players before the cup fixtures.",
            "The academy has produced four first-team regulars in the last two seasons.",
            "The referee's decision to award a penalty divided pundits after the match.",
        ],
        "events": [
            "{place} United beat {place2} City {n} to one in front of a full stadium",
            "the league fined {place} Rovers for fielding an ineligible player",
            "the manager of {place} Athletic resigned after a fourth straight defeat",
            "{place} Town reached the cup final with a penalty shootout win",
        ],
    },
    "election": {
        "titles": [
            "Candidates clash over housing in the final televised debate",
            "Turnout expected to be high as polling stations prepare",
            "Opposition leader promises to cut rail fares",
            "Poll shows the governing party's lead narrowing",
            "Election officials recruit volunteers to count the ballots",
        ],
        "background": [
            "Housing costs have become the main issue of the campaign in the cities.",
            "The governing party has led in the opinion polls since the start of the year.",
            "Postal votes are counted on the same night as the ballots cast at polling stations.",
            "The opposition has promised to build three hundred thousand homes a year.",
            "Young voters registered in record numbers before the deadline, officials said.",
            "Both main parties have pledged more money for hospitals and schools.",
            "Observers from neighbouring countries will monitor the count in several districts.",
            "The electoral commission warned candidates about misleading advertisements online.",
            "Rural constituencies are expected to decide the result, according to pollsters.",
            "The campaign has been dominated by arguments over taxes and public spending.",
        ],
        "events": [
            "the electoral commission published the final list of {n} candidates",
            "{person} launched the party manifesto at a rally in {place}",
            "the two leading candidates met for a televised debate in {place}",
            "police arrested a man for damaging campaign posters in {place}",
        ],
    },
}
FURNITURE = ["(c) 2022 BBC.", "© 2022 Daily Planet. All rights reserved.", "Satellite image ©2022 Maxar Technologies."]


@dataclass
class Event:
    day: dt.date
    theme: str
    text: str


@dataclass
class Article:
    title: str
    paragraphs: list[str]
    published: dt.date
    outlet: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def _fill(template: str, rng: random.Random) -> str:
    place, place2 = rng.sample(PLACES, 2)
    return template.format(place=place, place2=place2, person=rng.choice(PEOPLE), n=rng.randint(2, 40))


def _events(first: dt.date, last: dt.date, rng: random.Random) -> list[Event]:
    """About three events a week, each on one theme, spread over the period."""
    events = []
    day = first
    while day <= last:
        for _ in range(rng.choice([0, 1, 1])):
            theme = rng.choice(list(THEMES))
            events.append(Event(day, theme, _fill(rng.choice(THEMES[theme]["events"]), rng)))
        day += dt.timedelta(days=rng.choice([1, 2, 3]))
    return events


def _when(event_day: dt.date, published: dt.date, rng: random.Random) -> str:
    """How an article published on `published` names the day of an event before it, as news does."""
    gap = (published - event_day).days
    if gap == 0:
        return rng.choice(["on Monday".replace("Monday", WEEKDAYS[event_day.weekday()]), "today"])
    if gap == 1:
        return rng.choice(["yesterday", f"on {WEEKDAYS[event_day.weekday()]}"])
    if gap < 7:
        return f"on {WEEKDAYS[event_day.weekday()]}"
    if rng.random() < 0.5:  # a day further back is named with its year now and then
        return f"on {event_day:%B} {event_day.day}, {event_day.year}"
    return f"on {event_day:%B} {event_day.day}"


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _article(published: dt.date, outlet: str, events: list[Event], rng: random.Random) -> Article:
    recent = [event for event in events if 0 <= (published - event.day).days <= 10]
    theme = rng.choice([event.theme for event in recent] or list(THEMES))
    pool = THEMES[theme]
    told = [event for event in recent if event.theme == theme][-2:]
    sentences = []
    for event in told:
        when = _when(event.day, published, rng)
        sentence = f"{_upper(when)}, {event.text}." if rng.random() < 0.5 else f"{_upper(event.text)} {when}."
        sentences.append(sentence)
    sentences += rng.sample(pool["background"], 5)
    lead, rest = sentences[:2], sentences[2:]
    paragraphs = [" ".join(lead), " ".join(rest[:3]), " ".join(rest[3:])]
    return Article(rng.choice(pool["titles"]), [p for p in paragraphs if p], published, outlet)


def generate(first: dt.date, last: dt.date, outlets: dict[str, tuple[dt.date, dt.date]], per_day: float,
             seed: int) -> list[Article]:
    """Articles from each outlet over its own window, about `per_day` a day each, with copies and furniture."""
    rng = random.Random(seed)
    events = _events(first, last, rng)
    articles = []
    for outlet, (start, end) in outlets.items():
        day = start
        while day <= end:
            for _ in range(int(per_day) + (rng.random() < per_day % 1)):
                articles.append(_article(day, outlet, events, rng))
            day += dt.timedelta(days=1)
    # Furniture and mojibake as real corpora have them: a copyright line, an agency credit, "Â£" for "£".
    for number, article in enumerate(articles[::7]):
        article.paragraphs.append(FURNITURE[number % len(FURNITURE)])
    for article in articles[3::11]:
        article.paragraphs[-1] += " Tickets cost \u00c2\u00a345 and the organisers \u00e2\u20ac\u0153sold out\u00e2\u20ac\x9d."
    # An exact copy (same text, republished the next day) and a near copy (one sentence added).
    original = articles[len(articles) // 2]
    articles.append(Article(original.title, list(original.paragraphs), original.published + dt.timedelta(days=1),
                            original.outlet))
    near = articles[len(articles) // 3]
    articles.append(Article(near.title, [*near.paragraphs, "The story was updated with a new comment."],
                            near.published, near.outlet))
    # A retrospective whose days lie decades before the corpus: never a publication date.
    articles.append(Article(
        "Obituary: the engineer who built the city's first power station",
        ["Walter Grey was born on May 12, 1870, in Northfield, and died peacefully at the age of 92.",
         "In 1901 he designed the city's first power station; on September 11, 1911, it lit the high street for "
         "the first time. He later ran the grid company until 1950 and wrote two books about electricity.",
         "Colleagues remembered a patient teacher who trained a generation of engineers in the region."],
        first + dt.timedelta(days=(last - first).days // 2), next(iter(outlets))))
    return articles


def _mid(first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=(last - first).days // 2)


def write_corpus(shape: str, folder: Path) -> tuple[Path, dict[str, Any]]:
    """Write one shape's source under `folder`; return it and the params overrides (dotted keys) to read it."""
    folder.mkdir(parents=True, exist_ok=True)
    start = dt.date(2022, 2, 7)
    if shape == "text_only":
        articles = generate(start, start + dt.timedelta(days=55), {"bbc": (start, start + dt.timedelta(days=55))},
                            2.2, seed=1)
        path = folder / "texts.csv"
        pd.DataFrame({"text": [article.text for article in articles]}).to_csv(path, index=False)
        return path, {}
    if shape == "undated_folder":
        articles = generate(start, start + dt.timedelta(days=20), {"x": (start, start + dt.timedelta(days=20))},
                            1.5, seed=2)
        path = folder / "texts"
        path.mkdir(exist_ok=True)
        for number, article in enumerate(articles):
            (path / f"{number:03d}.txt").write_text(article.title + "\n\n" + article.text + "\n", encoding="utf-8")
        return path, {}
    if shape == "one_outlet_one_day":
        articles = generate(start - dt.timedelta(days=6), start, {"planet.example": (start, start)}, 40, seed=3)
        path = folder / "day.jsonl"
        rows = [{"url": f"https://www.planet.example/news/{number}", "date": start.isoformat(),
                 "title": article.title, "text": article.text} for number, article in enumerate(articles)]
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        return path, {}
    if shape == "two_outlets_windows":
        first, last = start, start + dt.timedelta(days=90)
        windows = {"Daily Planet": (first, first + dt.timedelta(days=55)),
                   "Evening Star": (first + dt.timedelta(days=45), last)}
        articles = generate(first, last, windows, 1.6, seed=4)
        path = folder / "two_outlets.csv"
        pd.DataFrame({
            "date": [article.published.isoformat() for article in articles],
            "outlet": [article.outlet for article in articles],
            "title": [article.title for article in articles],
            "text": [article.text for article in articles],
        }).to_csv(path, index=False)
        overrides = {"corpus.outlet_groups": {"planet": ["Daily Planet"], "star": ["Evening Star"]},
                     "report.compare_groups": ["planet", "star"]}
        return path, overrides
    if shape == "unusual_columns":
        first, last = start, start + dt.timedelta(days=60)
        domains = {"wire.example": (first, last), "herald.example": (first, last), "gazette.example": (first, last)}
        articles = generate(first, last, domains, 0.8, seed=5)
        stray = Article("Ten years on: the city remembers the flood", [
            "The river burst its banks on a wet Tuesday and flooded the lower town for nine days, destroying "
            "shops and homes along the quay. Volunteers filled sandbags through the night while the fire service "
            "rescued residents from their upper floors, and the army sent boats to help."], dt.date(2013, 6, 4),
            "gazette.example")
        stray.paragraphs.append(" ".join(THEMES["election"]["background"][:5]))
        articles.append(stray)
        path = folder / "export.parquet"
        pd.DataFrame({
            "Headline": [article.title for article in articles],
            "Body Text": [article.text for article in articles],
            "Published At": [f"{article.published.isoformat()}T09:30:00Z" for article in articles],
            "Source Name": [{"wire.example": "Wire Service", "herald.example": "The Herald",
                             "gazette.example": "Gazette"}[article.outlet] for article in articles],
            "Link": [f"https://{article.outlet}/story/{number}" for number, article in enumerate(articles)],
        }).to_parquet(path)
        overrides = {
            "ingest.columns": {"title": "Headline", "text": "Body Text", "date": "Published At",
                               "outlet": "Source Name", "url": "Link"},
            # one group by outlet name, one by domain: both must match
            "corpus.outlet_groups": {"agency": ["Wire Service"], "papers": ["herald.example", "gazette.example"]},
            "report.compare_groups": ["agency", "papers"],
        }
        return path, overrides
    raise ValueError(f"unknown shape {shape!r}")


SHAPES = ("text_only", "undated_folder", "one_outlet_one_day", "two_outlets_windows", "unusual_columns")


def fast_params(base: dict[str, Any], source: Path, overrides: dict[str, Any], cache_dir: Path) -> dict[str, Any]:
    """params.yaml's settings made fast for a small corpus (static encoder, PCA + k-means, one process), with
    the shape's overrides applied."""
    params = json.loads(json.dumps(base))  # a deep copy
    params["engine"] = {"name": "local"}
    params["ingest"].update(sources=[str(source)], cache_dir=str(cache_dir))
    params["timeline"]["cache_dir"] = str(cache_dir)
    params["embed"].update(encoder={"name": "model2vec", "pca_dims": 256, "max_seq_length": 256},
                           cache_dir=str(cache_dir))
    params["topics"].update(reducer={"name": "pca", "n_components": 5},
                            clusterer={"name": "kmeans", "n_clusters": 3, "n_init": 4}, aspects=[])
    params["topics"]["metrics"].update(stability=False)
    params["topics"]["vectorizer"].update(min_df=1)
    params["report"].update(title="Report on a synthetic corpus", min_week_articles=5, min_column_articles=10,
                            compare_groups=[])
    params["corpus"].update(outlet_groups={}, outlet_countries={})
    for dotted, value in overrides.items():
        *parents, last = dotted.split(".")
        target = params
        for key in parents:
            target = target[key]
        target[last] = value
    return params


def run_pipeline(params_path: Path, source: Path, root: Path, benchmarks_dir: Path, stages: tuple[str, ...] = (
        "ingest", "outlets", "embed", "topics", "timeline", "report")) -> dict[str, int]:
    """Every stage through the command line, as `dvc repro` runs them, with outputs under `root`."""
    from pipeline.cli import main

    interim, processed, metrics, reports = root / "interim", root / "processed", root / "metrics", root / "reports"
    articles = interim / "articles.parquet"
    commands = {
        "ingest": ["ingest", f"--source={source}", f"--out-dir={interim}", f"--metrics={metrics / 'ingest.json'}",
                   "--no-progress"],
        "outlets": ["outlets", f"--articles={articles}", f"--out-dir={processed / 'outlets'}"],
        "embed": ["embed", f"--articles={articles}", f"--out-dir={processed / 'embeddings'}", "--no-progress"],
        "topics": ["topics", f"--articles={articles}", f"--embeddings={processed / 'embeddings'}",
                   f"--out-dir={processed / 'topics'}", f"--metrics-dir={metrics}"],
        "timeline": ["timeline", f"--articles={articles}", f"--out-dir={processed / 'timeline'}",
                     f"--metrics={metrics / 'timeline.json'}"],
        "report": ["report", f"--articles={articles}", f"--topics-dir={processed / 'topics'}",
                   f"--timeline-dir={processed / 'timeline'}", f"--embeddings-dir={processed / 'embeddings'}",
                   f"--outlets-dir={processed / 'outlets'}",
                   f"--metrics-dir={metrics}",
                   f"--benchmarks-dir={benchmarks_dir}", f"--out-dir={reports}",
                   f"--report-metrics={metrics / 'report.json'}"],
    }
    codes = {}
    for stage in stages:
        codes[stage] = main([commands[stage][0], f"--params={params_path}", *commands[stage][1:]])
        if codes[stage]:
            break
    return codes


def output_digest(path: Path) -> str:
    """SHA-256 of a stage output as the README declares it byte-identical: metrics/timeline.json without its
    wall-clock seconds and speeds (`*_per_second`); every other declared output whole."""
    data = path.read_bytes()
    if path.name == "timeline.json" and path.parent.name == "metrics":
        data = json.dumps({key: value for key, value in json.loads(data).items()
                           if key != "seconds" and not key.endswith("_per_second")}, sort_keys=True).encode()
    return hashlib.sha256(data).hexdigest()
