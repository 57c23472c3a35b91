"""Publication dates inferred from the text: cues, the shipped prior model, alone, in a corpus, and the seed."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.config import ConfigError, DatingConfig, IngestConfig, parse_params
from pipeline.ingest.dating import DEFAULT_MODEL, DatePrior, extract, infer_dates, load_prior
from pipeline.ingest.dating.training import learn_calibration
from pipeline.ingest.stage import ingest

# Short texts written for these tests.
YESTERDAY_MONDAY = (
    "KYIV, Ukraine — Russian missiles struck a residential block in Kyiv yesterday (Monday, March 14), killing two "
    "people, the city's mayor said. Air defences shot down several missiles on Monday night, officials said. "
    "Negotiators met again on Monday for a fourth round of talks by video link. President Volodymyr Zelensky said "
    "the talks would resume today. Officials expect the 2022 harvest to fall by a third."
)
BIOGRAPHY = (
    "Leo Tolstoy was born in 1828 at Yasnaya Polyana. In 1870 he began work on a new novel, and on 3 May 1870 he "
    "wrote to a friend about it. He died in 1910 at the railway station of Astapovo. His novels remain among the "
    "most read in the world, and his house is now a museum visited by thousands every year."
)
ONLY_A_WEEKDAY = (
    "The minister said on Monday that the talks had failed. Officials expect the 2022 harvest to fall by a third. "
    "The opposition said it would call for a vote, and diplomats declined to comment on the next steps."
)
DATELINE = (
    "MOSCOW, March 14. /TASS/. Russia's Foreign Ministry said on Monday that the talks would continue next week, "
    "and that the delegations had agreed on an agenda."
)


@pytest.fixture(scope="module")
def prior() -> DatePrior:
    return load_prior(DatingConfig().prior)


def alone(text: str, prior: DatePrior, captions: tuple[str, ...] = (), **config: object):
    """Date one text with nothing beside it, as the only file of a folder."""
    return infer_dates([extract(text, captions)], [text], [0], [], [], [], DatingConfig(**config), prior)[0]


def in_corpus(text: str, prior: DatePrior, dated: list[tuple[str, dt.date]], **config: object):
    """Date one text in a corpus of dated articles (their texts and days)."""
    return infer_dates([extract(text)], [text], ["x"], [t for t, _ in dated], [d.toordinal() for _, d in dated],
                       [f"d{n}" for n in range(len(dated))], DatingConfig(**config), prior)[0]


def test_cues_keep_days_weekdays_years_and_what_yesterday_is_written_beside() -> None:
    cues = extract(YESTERDAY_MONDAY)
    assert (0, 3, 14, 0, "past", "body", False) in cues.days  # "Monday, March 14": a Monday, year unknown
    assert (0, "past", "") in cues.weekdays
    assert (2022, "other", False, True) in cues.years
    assert -1 in cues.relative and 0 in cues.relative and cues.fresh
    assert (-1, 0, 3, 14, 0) in cues.pinned  # "yesterday (Monday, March 14)": publication is the day after


def test_yesterday_monday_march_14_is_dated_within_a_day_of_tuesday_march_15(prior: DatePrior) -> None:
    guess = alone(YESTERDAY_MONDAY, prior)
    assert guess.date in (dt.date(2022, 3, 14), dt.date(2022, 3, 15))  # "yesterday (Monday, March 14)", "today"
    assert guess.confidence >= 0.5
    assert "latest day reported 2022-03-14" in guess.evidence and "'yesterday'" in guess.evidence


def test_a_dateline_dates_the_article_in_a_corpus(prior: DatePrior) -> None:
    dated = [(f"Unrelated story number {n} about markets, weather and sport.", dt.date(2022, 1, 1) +
              dt.timedelta(days=3 * n)) for n in range(40)]
    guess = in_corpus(DATELINE, prior, dated)
    assert guess.date == dt.date(2022, 3, 14)
    assert "dateline March 14" in guess.evidence


def test_a_biography_mentioning_1870_is_never_dated_1870(prior: DatePrior) -> None:
    on_its_own = alone(BIOGRAPHY, prior, min_confidence=0.0)
    assert on_its_own.date is None and on_its_own.best is None  # full dates only: background, not news
    assert "names days only with full dates" in on_its_own.evidence
    dated = [(f"Report {n} on talks about grain exports from Black Sea ports.", dt.date(2022, 3, 1) +
              dt.timedelta(days=n)) for n in range(30)]
    in_a_corpus = in_corpus(BIOGRAPHY, prior, dated, min_confidence=0.0)
    assert in_a_corpus.best is not None and in_a_corpus.best.year == 2022  # the corpus's range, never 1870
    # ... and no surer than a guess inside the corpus's month is (three days of thirty)
    assert in_a_corpus.confidence < 0.15


def test_a_low_confidence_date_stays_unknown_with_its_best_guess_named(prior: DatePrior) -> None:
    guess = alone(ONLY_A_WEEKDAY, prior)  # a Monday of 2022 or so: any of fifty
    assert guess.date is None and guess.best is not None and guess.best.weekday() in (0, 1)
    assert guess.confidence < DatingConfig().min_confidence
    assert guess.evidence.startswith("too uncertain") and guess.best.isoformat() in guess.evidence
    assert alone(ONLY_A_WEEKDAY, prior, min_confidence=0.0).date == guess.best


def test_confidence_is_a_non_decreasing_map_of_the_mass_and_tiny_for_a_flat_posterior(prior: DatePrior) -> None:
    rng = np.random.default_rng(0)
    masses = rng.uniform(0, 1, 1000)
    hits = rng.uniform(0, 1, 1000) < np.where(masses < 0.5, 0.3, 0.2 + 0.7 * masses)  # a dip: pooled away
    knots = learn_calibration(masses, hits)
    assert len(knots["logit"]) == len(knots["probability"]) >= 2
    assert np.all(np.diff(knots["logit"]) > 0) and np.all(np.diff(knots["probability"]) >= 0)
    assert 0 < knots["probability"][0] < 0.35 and knots["probability"][-1] > 0.8
    for setting in ("alone", "corpus", "folder"):
        confidences = [prior.confidence(m, setting) for m in (1e-4, 0.01, 0.1, 0.5, 0.9, 0.999)]
        assert confidences == sorted(confidences) and confidences[0] < 1e-3
    # "on Monday" and "2022": any of some 150 Mondays and Tuesdays, so hardly ever within a day
    assert alone(ONLY_A_WEEKDAY, prior, min_confidence=0.0).confidence < 0.02


def test_no_year_of_its_own_and_nothing_beside_it_leaves_the_date_unknown(prior: DatePrior) -> None:
    guess = alone(DATELINE, prior, min_confidence=0.0)
    assert guess.date is None and "no year stated" in guess.evidence


def test_a_photo_caption_date_is_a_lower_bound(prior: DatePrior) -> None:
    body = "Protesters gathered in the square on Sunday, organisers said. Police said 2022 had been calm so far."
    caption = "Protesters hold banners in the main square on March 7, 2022. (Photo by Jane Roe / AFP)"
    guess = alone(body, prior, captions=(caption,), min_confidence=0.0)
    assert guess.best is not None and guess.best >= dt.date(2022, 3, 7)
    assert "photo caption dated March 7, 2022 (a lower bound)" in guess.evidence


def test_the_shipped_model_is_versioned_json_and_refuses_other_files(tmp_path: Path) -> None:
    assert DEFAULT_MODEL.name == "date_prior-v3.json" and DEFAULT_MODEL.stat().st_size < 100_000
    data = json.loads(DEFAULT_MODEL.read_text(encoding="utf-8"))
    assert data["format"] == "newsline-date-prior" and data["version"] == 3
    assert data["meta"]["command"] == "python -m pipeline dating fit"
    assert DatePrior.from_json(data).to_json() == data  # what is loaded is what was written
    for broken in ({**data, "version": 1}, {**data, "format": "pickle"}, {k: v for k, v in data.items() if k != "rates"},
                   [1, 2]):
        with pytest.raises((ValueError, KeyError)):
            DatePrior.from_json(broken)


def test_fitting_counts_the_same_tables_from_the_same_articles() -> None:
    examples = [(extract(YESTERDAY_MONDAY), dt.date(2022, 3, 15)), (extract(DATELINE), dt.date(2022, 3, 14)),
                (extract(ONLY_A_WEEKDAY), dt.date(2022, 5, 3))]
    first, second = DatePrior.fit(examples), DatePrior.fit(list(reversed(examples)))
    assert first.to_json()["tables"] == second.to_json()["tables"]
    assert first.meta["observations"]["dateline"] == 1
    # each table is a distribution: its probabilities sum to one
    assert all(abs(np.exp(t.log_p).sum() - 1) < 1e-3 for t in first.tables.values())


def test_dating_settings_are_validated() -> None:
    config = IngestConfig.model_validate({"sources": ["x"], "dating": {"min_confidence": 0.4, "neighbours": 0}})
    assert config.dating.min_confidence == 0.4 and config.dating.undated_neighbours
    with pytest.raises(ConfigError, match=r"ingest.dating.min_confidence = 1.5"):
        parse_params({"ingest": {"sources": ["x"], "dating": {"min_confidence": 1.5}}})
    with pytest.raises(ConfigError, match=r"ingest.dating.min_confidenc = 0.5: unknown setting; allowed here: min_conf"):
        parse_params({"ingest": {"sources": ["x"], "dating": {"min_confidenc": 0.5}}})


@pytest.mark.integration
def test_the_seed_alone_is_dated_within_a_day_or_left_unknown(seed_article: Path, tmp_path: Path) -> None:
    """The seed in its own folder: the body names only "Sunday", "yesterday" and "last week"; its photo caption
    says March 7, 2022. No day can be told from that alone, so it stays unknown, never before March 7."""
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(seed_article, folder / seed_article.name)
    seed = ingest(IngestConfig.model_validate({"sources": [str(folder)]}), progress=False).articles.iloc[0]
    published = dt.date(2022, 3, 15)
    if seed["date_source"] == "inferred":
        assert abs((seed["date"] - published).days) <= 1
    else:
        assert seed["date_source"] == "unknown" and seed["date_evidence"].startswith("too uncertain")
        best = dt.date.fromisoformat(seed["date_evidence"].split("best guess ")[1][:10])
        assert dt.date(2022, 3, 7) <= best <= published + dt.timedelta(days=7)
    assert "photo caption dated March 7, 2022" in seed["date_evidence"]


@pytest.mark.integration
def test_an_undated_folder_is_dated_within_its_range_and_counted(corpus_slice: pd.DataFrame, tmp_path: Path) -> None:
    """300 corpus articles with their dates removed, as a folder of text files would come: no date falls
    outside the years their texts state, coverage is counted, and at the default threshold nine in ten get a
    date, well over a third of all within 3 days (39% when written)."""
    table = tmp_path / "undated.parquet"
    corpus_slice.drop(columns=["date"]).to_parquet(table)
    result = ingest(IngestConfig.model_validate({"sources": [str(table)]}), progress=False)
    articles = result.articles.merge(corpus_slice[["url", "date"]].rename(columns={"date": "truth"}), on="url")
    counts = result.metrics["date_source"]
    assert set(counts) <= {"inferred", "unknown"} and sum(counts.values()) == len(articles)
    dated = articles[articles["date_source"] == "inferred"]
    assert len(dated) >= 0.9 * len(articles)
    assert dated["date"].between(dt.date(2020, 11, 1), dt.date(2023, 3, 1)).all()
    errors = (pd.to_datetime(dated["date"]) - pd.to_datetime(dated["truth"])).dt.days.abs()
    assert (errors <= 3).sum() >= 0.35 * len(articles)
    assert (articles.loc[articles["date_source"] == "unknown", "date_evidence"].str.len() > 0).all()

