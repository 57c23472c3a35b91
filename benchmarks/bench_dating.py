"""Publication-date inference on the default corpus with its dates hidden, in one run.

Held-out protocol: the outlets are split into two folds (ranked by article count, alternately), and the
prior model that dates an article is fitted on the other fold's dated articles only, so no figure here is on
articles the prior learnt from. A random sample of the dated articles (--hidden) has its dates hidden and is
dated in each setting:

(a) neighbours: the corpus's other dated articles are its neighbours and its calendar, with the article's own
    duplicate cluster excluded (a syndicated copy would give its date away), as ingest does in a dated corpus;
(b) alone: each article from its own text and nothing else, as the seed alone in its own folder (a year it
    states as its own bounds the candidates; without one the date stays unknown);
(b+) folder: every date in the corpus hidden, as in a folder of .txt files: the range comes from the years the
    texts state, the calendar and the neighbours from the undated articles' own inferences;
(b+ without neighbours) the same with each text, the folder's range and calendar only;
(c) baseline: the latest "Month D, YYYY" in the text (ANCHORS.md).

For each: coverage, median absolute error (days, over the dated articles) and the shares within 1, 3 and 7 days
(over all articles: no date is a miss), at `ingest.dating.min_confidence` and for every article (threshold 0),
and the coverage / accuracy curve. Also the seed article alone in its own folder (the production path, the
shipped model) and among all the corpus's dated articles; (b+) with the prior fitted on all outlets, to show
what holding out costs; and the shares of articles with each kind of date cue.

    python benchmarks/bench_dating.py [--articles data/interim/articles.parquet] [--hidden 2000]

Writes benchmarks/results/dating.json.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import io
from pipeline.config import DatingConfig, load_config
from pipeline.ingest.dating import DateGuess, DatePrior, extract, infer_dates, load_prior
from pipeline.ingest.dating.infer import NEIGHBOUR_CHARS, neighbour_texts
from pipeline.ingest.dating.prior import UNRESOLVED, latest_year, resolve_day
from pipeline.ingest.dating.training import cached_cues, fit_prior

RESULTS = Path(__file__).parent / "results" / "dating.json"
SEED = Path("data/raw/articles/000_9ef5f17bb255e9d8.txt")
SEED_PUBLISHED = dt.date(2022, 3, 15)
THRESHOLDS = (0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
_MONTHS = [calendar.month_name[number].lower() for number in range(1, 13)]
_FULL_DATE = re.compile(r"\b(" + "|".join(_MONTHS) + r") (\d{1,2}), (\d{4})\b", re.IGNORECASE)


def latest_full_date(text: str) -> dt.date | None:
    """The trivial baseline: the latest "Month D, YYYY" in the text."""
    days = []
    for match in _FULL_DATE.finditer(text):
        try:
            days.append(dt.date(int(match.group(3)), _MONTHS.index(match.group(1).lower()) + 1, int(match.group(2))))
        except ValueError:
            continue
    return max(days) if days else None


def summary(guesses: Sequence[tuple[dt.date | None, float]], truth: Sequence[dt.date], threshold: float) -> dict:
    """Coverage, median absolute error over dated articles, within-k shares over all articles."""
    errors = np.array([abs((day - true).days) if day is not None and confidence >= threshold else -1
                       for (day, confidence), true in zip(guesses, truth, strict=True)])
    dated = errors[errors >= 0]
    n = len(errors)
    return {
        "coverage": round(len(dated) / n, 4),
        "median_abs_error_days": float(np.median(dated)) if len(dated) else None,
        "within_1_day": round(float((dated <= 1).sum()) / n, 4),
        "within_3_days": round(float((dated <= 3).sum()) / n, 4),
        "within_7_days": round(float((dated <= 7).sum()) / n, 4),
    }


def report(guesses: dict[int, DateGuess], order: Sequence[int], truth: Sequence[dt.date], min_confidence: float,
           seconds: float) -> dict:
    pairs = [(guesses[i].best, guesses[i].confidence) for i in order]
    return {
        "at_min_confidence": {"min_confidence": min_confidence, **summary(pairs, truth, min_confidence)},
        "every_article": summary(pairs, truth, 0.0),
        "curve": {str(t): summary(pairs, truth, t) for t in THRESHOLDS},
        "seconds": round(seconds, 1),
    }


def cue_shares(cues: Sequence) -> dict[str, float]:
    """What the dated articles' texts offer: shares with a dateline, a day without its year, only weekdays,
    no day or weekday at all, and no year stated as their own."""
    def share(test) -> float:
        return round(sum(1 for c in cues if test(c)) / len(cues), 4)

    def body_days(c) -> list:
        return [day for day in c.days if day[5] != "caption"]

    return {
        "dateline": share(lambda c: any(day[5] == "dateline" for day in c.days)),
        "day_without_year_no_dateline": share(lambda c: any(day[0] == 0 and day[5] == "body" for day in c.days)
                                              and not any(day[5] == "dateline" for day in c.days)),
        "weekdays_only": share(lambda c: bool(c.weekdays) and not body_days(c)),
        "no_day_or_weekday": share(lambda c: not c.weekdays and not body_days(c)),
        "no_year_of_its_own": share(lambda c: latest_year(c) is None),
    }


def text_bounds(cues: Sequence, days: Sequence[int]) -> dict[str, float]:
    """What the texts themselves allow, each article checked against its true publication day: no method
    reading only the text dates within 3 days an article that names no day within 3 days of its publication
    (a dateline, a day of the body outside sentences about history, a live-blog stamp; a "March 14" resolved
    to its occurrence nearest the publication day), and none dates one alone unless the text also gives the
    year (the latest year it states is the publication year, or the day it names has its year). Weekdays and
    "yesterday" place a day within a week only once the week is known (from neighbours); an article with no day,
    weekday or "today"/"yesterday" at all can be dated only from its neighbours."""
    counts = {"no_day_weekday_or_relative_word": 0, "names_a_day_within_3_days": 0,
              "names_a_day_within_3_days_with_its_year": 0, "states_the_publication_year": 0}
    for cue, day in zip(cues, days, strict=True):
        ordinals = np.array([day], dtype=np.int64)
        year = dt.date.fromordinal(day).year
        near = with_year = False
        for y, month, number, named, _tense, kind, past in cue.days:
            if kind not in ("body", "dateline", "stamp") or past:
                continue
            if (kind == "stamp" and not y) or (resolved := resolve_day(y, month, number, named, "other", ordinals,
                                                                       np.array([year]))[0]) == UNRESOLVED:
                continue
            if abs(int(resolved) - day) <= 3:
                near = True
                with_year = with_year or bool(y)
        stated = latest_year(cue) == year
        counts["no_day_weekday_or_relative_word"] += not (
            any(kind != "caption" for *_, kind, _ in cue.days) or cue.weekdays or cue.relative)
        counts["names_a_day_within_3_days"] += near
        counts["names_a_day_within_3_days_with_its_year"] += near and (with_year or stated)
        counts["states_the_publication_year"] += stated
    return {name: round(count / len(days), 4) for name, count in counts.items()}


def outlet_folds(articles: pd.DataFrame) -> dict[str, int]:
    """Outlets ranked by article count (then name), assigned to folds 0 and 1 alternately."""
    counts = articles["outlet"].value_counts()
    ranked = sorted(counts.index, key=lambda outlet: (-counts[outlet], outlet))
    return {outlet: rank % 2 for rank, outlet in enumerate(ranked)}


def seed_alone(seed: Path, config: DatingConfig, params: str) -> dict:
    """The production path: ingest a folder holding only the seed, with the shipped model."""
    from pipeline.ingest.stage import ingest

    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(seed, Path(folder) / seed.name)
        ingest_config = load_config(params, {"ingest.sources": [folder]}).ingest
        row = ingest(ingest_config, progress=False).articles.iloc[0]
    date = row["date"] if row["date_source"] == "inferred" else None
    best = re.search(r"best guess (\d{4}-\d\d-\d\d)", row["date_evidence"])
    best_day = date or (dt.date.fromisoformat(best.group(1)) if best else None)
    return {
        "published": SEED_PUBLISHED.isoformat(),
        "date": date.isoformat() if date else None,
        "date_source": row["date_source"],
        "confidence": float(row["date_confidence"]),
        "evidence": row["date_evidence"],
        "error_days": abs((date - SEED_PUBLISHED).days) if date else None,
        "best_guess_error_days": abs((best_day - SEED_PUBLISHED).days) if best_day else None,
        "within_1_day": bool(date and abs((date - SEED_PUBLISHED).days) <= 1),
    }


def seed_in_corpus(seed: Path, setup: Setup, config: DatingConfig) -> dict:
    """The seed among the corpus's dated articles (all of them neighbours), with the shipped model."""
    from pipeline.ingest.parse import parse_article

    parsed = parse_article(seed.read_text(encoding="utf-8"))
    text = f"{parsed.title}\n{parsed.body[:NEIGHBOUR_CHARS]}"
    guess = infer_dates([extract(parsed.body, parsed.captions)], [text], ["seed"], setup.texts, setup.days,
                        setup.clusters, config, load_prior(config.prior))[0]
    return {
        "date": guess.date.isoformat() if guess.date else None,
        "confidence": guess.confidence,
        "evidence": guess.evidence,
        "best_guess_error_days": abs((guess.best - SEED_PUBLISHED).days) if guess.best else None,
        "within_1_day": bool(guess.date and abs((guess.date - SEED_PUBLISHED).days) <= 1),
    }


@dataclass
class Setup:
    """The dated articles (in id order), their cues, and the held-out prior of each."""

    dated: pd.DataFrame
    cues: list
    folds: dict[str, int]
    priors: dict[int, DatePrior]
    article_prior: list[DatePrior]
    texts: list[str]
    clusters: list
    days: list[int]
    seconds: dict[str, float]


def prepare(articles: pd.DataFrame, cache_dir: Path | None) -> Setup:
    """Cues of every dated article (cached) and one prior per outlet fold, fitted on the other fold."""
    dated = articles[articles["date_source"] == "metadata"].sort_values("id", kind="stable").reset_index(drop=True)
    started = time.perf_counter()
    cues = cached_cues(list(dated["body"]), [list(c) for c in dated["captions"]], cache_dir, progress=True)
    cue_seconds = time.perf_counter() - started
    folds = outlet_folds(dated)
    fold = dated["outlet"].map(folds).to_numpy()
    started = time.perf_counter()
    priors = {f: fit_prior(dated[fold != f], cache_dir) for f in (0, 1)}  # fold f is dated by priors[f]
    seconds = {"cues": round(cue_seconds, 1), "fit_two_priors": round(time.perf_counter() - started, 1)}
    return Setup(dated, cues, folds, priors, [priors[f] for f in fold], neighbour_texts(dated),
                 list(dated["dup_cluster"]), [day.toordinal() for day in dated["date"]], seconds)


def with_neighbours(setup: Setup, hidden: Sequence[int], config: DatingConfig) -> dict[int, DateGuess]:
    """Setting (a): the hidden articles dated with every other dated article as neighbours and calendar,
    their own duplicate clusters excluded; keys are positions in `hidden`."""
    hidden_set = set(hidden)
    rest = [i for i in range(len(setup.dated)) if i not in hidden_set]
    return infer_dates([setup.cues[i] for i in hidden], [setup.texts[i] for i in hidden],
                       [setup.clusters[i] for i in hidden], [setup.texts[i] for i in rest],
                       [setup.days[i] for i in rest], [setup.clusters[i] for i in rest], config,
                       [setup.article_prior[i] for i in hidden], exclude_dated_copies=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=Path("data/interim/articles.parquet"))
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--hidden", type=int, default=2000, help="articles whose date is hidden and inferred")
    parser.add_argument("--seed-file", type=Path, default=SEED)
    parser.add_argument("--cache-dir", type=Path, default=Path("data/cache"))
    args = parser.parse_args()

    config = load_config(args.params).ingest.dating
    everything = config.model_copy(update={"min_confidence": 0.0})  # the best guess of every article, scored after
    columns = ["id", "outlet", "title", "body", "captions", "date", "date_source", "dup_cluster"]
    setup = prepare(pd.read_parquet(args.articles, columns=columns), args.cache_dir)
    dated, cues, texts, clusters, article_prior = (setup.dated, setup.cues, setup.texts, setup.clusters,
                                                   setup.article_prior)
    hidden = sorted(dated.sample(min(args.hidden, len(dated)), random_state=0).index)
    truth = [dated.at[i, "date"] for i in hidden]
    results: dict[str, object] = {}

    started = time.perf_counter()
    guesses = with_neighbours(setup, hidden, everything)
    results["a_neighbours"] = report(guesses, range(len(hidden)), truth, config.min_confidence,
                                     time.perf_counter() - started)
    print("a", json.dumps(results["a_neighbours"]["at_min_confidence"]), flush=True)

    # (b) each article alone
    started = time.perf_counter()
    alone = {i: infer_dates([cues[i]], [texts[i]], [clusters[i]], [], [], [], everything, article_prior[i])[0]
             for i in hidden}
    results["b_alone"] = report(alone, hidden, truth, config.min_confidence, time.perf_counter() - started)
    print("b", json.dumps(results["b_alone"]["at_min_confidence"]), flush=True)

    # (b+) the whole corpus as an undated folder
    started = time.perf_counter()
    folder = infer_dates(cues, texts, clusters, [], [], [], everything, article_prior, targets=hidden)
    results["b_folder"] = report(folder, hidden, truth, config.min_confidence, time.perf_counter() - started)
    print("b+", json.dumps(results["b_folder"]["at_min_confidence"]), flush=True)

    # (b+) without neighbours: each text with the folder's range and calendar only
    started = time.perf_counter()
    no_neighbours = everything.model_copy(update={"neighbours": 0})
    ranged = infer_dates(cues, texts, clusters, [], [], [], no_neighbours, article_prior, targets=hidden)
    results["b_folder_without_neighbours"] = report(ranged, hidden, truth, config.min_confidence,
                                                    time.perf_counter() - started)

    # the same with the shipped prior, fitted on every outlet (in sample): what the held-out split costs
    started = time.perf_counter()
    shipped = load_prior(config.prior)
    in_sample = infer_dates(cues, texts, clusters, [], [], [], everything, shipped, targets=hidden)
    results["b_folder_prior_in_sample"] = report(in_sample, hidden, truth, config.min_confidence,
                                                 time.perf_counter() - started)

    # (c) the trivial baseline
    baseline = [(latest_full_date("\n".join([*dated.at[i, "captions"], dated.at[i, "body"]])), 1.0) for i in hidden]
    results["c_baseline_latest_full_date"] = summary(baseline, truth, 0.0)

    results["corpus_cues"] = cue_shares(cues)
    results["text_bounds"] = text_bounds([cues[i] for i in hidden], [setup.days[i] for i in hidden])
    results["seed_alone"] = seed_alone(args.seed_file, config, args.params) if args.seed_file.is_file() else None
    results["seed_in_corpus"] = seed_in_corpus(args.seed_file, setup, config) if args.seed_file.is_file() else None
    a = results["a_neighbours"]["at_min_confidence"]
    results["targets"] = {
        "a_within_3_days_at_least_0.70": {"value": a["within_3_days"], "met": a["within_3_days"] >= 0.70},
        **{f"{key}_within_3_days_at_least_0.60_at_coverage_0.90": {
            "within_3_days": r["within_3_days"], "coverage": r["coverage"],
            "met": r["within_3_days"] >= 0.60 and r["coverage"] >= 0.90}
           for key in ("b_alone", "b_folder") for r in [results[key]["at_min_confidence"]]},
        "seed_alone_within_1_day": bool(results["seed_alone"] and results["seed_alone"]["within_1_day"]),
    }
    results["protocol"] = {
        "hidden_articles": len(hidden),
        "sample_seed": 0,
        "folds": {str(f): sorted(o for o, g in setup.folds.items() if g == f) for f in (0, 1)},
        "prior": "an article of fold f is dated by the prior fitted on the other fold's dated articles",
        "prior_articles": {str(f): setup.priors[f].meta["articles"] for f in (0, 1)},
        "config": everything.model_dump() | {"min_confidence": config.min_confidence},
        "shipped_prior": {k: shipped.meta[k] for k in ("articles", "corpus_digest")},
    }
    results["seconds"] = setup.seconds
    print(json.dumps({k: v for k, v in results.items() if k in ("targets", "seed_alone")}, indent=2))
    io.write_json(RESULTS, results)


if __name__ == "__main__":
    main()
