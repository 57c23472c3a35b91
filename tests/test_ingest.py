"""The ingest stage: parsing the plain-text layout, every kind of bad input, dedup, dates, reconciliation."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import EngineConfig, IngestConfig
from pipeline.engine import Engine
from pipeline.ingest.dating import parse_metadata_date
from pipeline.ingest.parse import cut_furniture, is_copyright_notice, is_credit, parse_article, repair_title
from pipeline.ingest.readers import SourceError, decode_bytes
from pipeline.ingest.stage import ingest, stable_id, write_outputs
from pipeline.text import split_sentences
from tests.conftest import corpus_file

# Written for these tests: an article in the seed's plain-text layout.
PLAIN_ARTICLE = """Officials Meet In Geneva To Discuss Grain Corridor Over Black Sea Ports
(Photo : JOHN DOE)
SWITZERLAND-DIPLOMACY-GRAIN
Delegates arrive for talks at the United Nations office in Geneva, Switzerland, on May 2, 2022. (Photo by John Doe / AFP)

Negotiators from four governments met on Tuesday to discuss a corridor that would let grain ships leave ports on the Black Sea. The talks lasted most of the day and ended without a statement.

A spokesperson said on Wednesday that a second round was planned. Diplomats described the mood as cautious but constructive, and said technical teams would keep working over the weekend.

Read Also: Unrelated Story About Something Else Entirely

Shipping Companies Wait For Guarantees

Insurers said premiums for vessels in the region had tripled since the start of the year. Several shipping companies said they would wait for written guarantees before sending ships.

Related Article: Another Unrelated Story

@YouTube
"""

ENGLISH_BODY = (
    "The city council approved a new budget on Monday after a long debate about schools, roads and the "
    "local hospital. Council members said the plan would raise spending on public transport and repair "
    "several bridges that had been closed for safety reasons last year. Residents who attended the meeting "
    "asked questions about taxes and about the timetable for the bridge repairs."
)
GERMAN_BODY = (
    "Der Stadtrat hat am Montag nach einer langen Debatte über Schulen, Straßen und das örtliche Krankenhaus "
    "einen neuen Haushalt beschlossen. Die Mitglieder des Rates sagten, der Plan werde die Ausgaben für den "
    "öffentlichen Nahverkehr erhöhen und mehrere Brücken reparieren, die im vergangenen Jahr gesperrt wurden."
)


def make_config(sources: list[Path], **overrides: object) -> IngestConfig:
    return IngestConfig.model_validate({"sources": [str(s) for s in sources], "min_chars": 200, "min_words": 30,
                                        **overrides})


def test_plain_layout_separates_title_photo_caption_headings_and_boilerplate() -> None:
    article = parse_article(PLAIN_ARTICLE)
    assert article.title.startswith("Officials Meet In Geneva")
    assert article.photo_credit == "JOHN DOE"
    assert article.photo_slug == "SWITZERLAND-DIPLOMACY-GRAIN"
    assert article.captions == [
        "Delegates arrive for talks at the United Nations office in Geneva, Switzerland, on May 2, 2022. "
        "(Photo by John Doe / AFP)"
    ]
    assert article.headings == [{"before_paragraph": 2, "text": "Shipping Companies Wait For Guarantees"}]
    assert len(article.paragraphs) == 3
    assert not any("Read Also" in p or "Related Article" in p or "@YouTube" in p for p in article.paragraphs)
    assert article.boilerplate_removed == 3


def test_run_on_text_is_split_into_sentence_paragraphs_and_inline_furniture_removed() -> None:
    sentences = [f"Sentence number {i} reports that officials met again in the capital." for i in range(40)]
    furniture = (
        " ___ Follow the AP’s coverage of the crisis at https://apnews.example/hub Follow Jane Doe on Twitter @janedoe."
        " Follow our Telegram channel to get all the latest news."
    )
    text = (
        " ".join(sentences)
        + " Follow-up talks are planned."
        + furniture
        + " Our Standards: The Thomson Reuters Trust Principles. A teaser for another story."
    )
    article = parse_article(text, title="t", max_paragraph_chars=300)
    assert len(article.paragraphs) > 5
    assert all(len(p) <= 300 for p in article.paragraphs)
    assert "Our Standards" not in article.body and "teaser" not in article.body
    assert "Follow" not in article.body.replace("Follow-up talks are planned.", "") and "___" not in article.body
    assert article.body.count("Sentence number") == 40


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Georgia says its ex - president arrested", "Georgia says its ex-president arrested"),
        ("U . S . warns Russia over troops", "U.S. warns Russia over troops"),
        ("Russia 's gas : Europe waits", "Russia's gas: Europe waits"),
        ("Blinken says  \" no \"  to talks ( AP )", 'Blinken says "no" to talks (AP)'),
    ],
)
def test_title_tokeniser_spacing_is_repaired(raw: str, expected: str) -> None:
    assert repair_title(raw) == expected


def test_sentence_splitter_keeps_abbreviations_and_initials() -> None:
    text = "Mr. Blinken met Gen. Milley in the U.S. capital on Jan. 5. John F. Kennedy was mentioned. Then they left."
    assert split_sentences(text) == [
        "Mr. Blinken met Gen. Milley in the U.S. capital on Jan. 5.",
        "John F. Kennedy was mentioned.",
        "Then they left.",
    ]


def test_decoding_falls_back_and_records_the_encoding() -> None:
    assert decode_bytes("café".encode()) == ("café", "utf-8", "")
    assert decode_bytes("naïve “quotes”".encode("cp1252"))[1] == "cp1252"
    assert decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")[2] == "binary_file"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022-03-15", dt.date(2022, 3, 15)),
        ("2022-03-15T08:30:00Z", dt.date(2022, 3, 15)),
        ("March 15, 2022", dt.date(2022, 3, 15)),
        (dt.datetime(2022, 3, 15, 9), dt.date(2022, 3, 15)),
        ("not a date", None),
        ("2022-13-45", None),
        (None, None),
    ],
)
def test_metadata_dates_are_parsed_or_rejected(value: object, expected: dt.date | None) -> None:
    assert parse_metadata_date(value) == expected


@pytest.fixture()
def messy_corpus(tmp_path: Path) -> dict[str, Path]:
    """One source of each type, with every kind of bad input the stage must quarantine."""
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "good.txt").write_text(PLAIN_ARTICLE, encoding="utf-8")
    (folder / "latin.txt").write_bytes(("Caf\u00e9 owners protest \u201cnew rules\u201d\n\n" + ENGLISH_BODY).encode("cp1252"))
    (folder / "empty.txt").write_text("   \n\t\n", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02\x03binary\x00payload" * 20)
    (folder / "huge.txt").write_text("word " * 5000, encoding="utf-8")
    (folder / "short.txt").write_text("A title\n\nToo short to be an article.", encoding="utf-8")
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")

    table = pd.DataFrame(
        {
            "url": ["https://a.example/1", "https://b.example/2", "https://a.example/1", "https://c.example/3",
                    "https://d.example/4"],
            "date": ["2022-03-01", "2022-03-02", "2022-03-03", "yesterday-ish", "2022-03-04"],
            "outlet": ["a.example", "b.example", "a.example", "c.example", "d.example"],
            "title": ["Budget approved", "Haushalt beschlossen", "Budget approved again", "Bad date", "Syndicated"],
            "text": [ENGLISH_BODY, GERMAN_BODY, ENGLISH_BODY + " More.", ENGLISH_BODY + " Other.", ENGLISH_BODY],
        }
    )
    parquet = tmp_path / "table.parquet"
    table.to_parquet(parquet)
    csv_path = tmp_path / "table.csv"
    table.iloc[[1]].assign(url="https://e.example/5").to_csv(csv_path, index=False)
    jsonl = tmp_path / "table.jsonl"
    jsonl.write_text(
        json.dumps({"url": "https://f.example/6", "date": "2022-03-05", "title": "JSON", "text": ENGLISH_BODY + " J."})
        + "\n{not json\n"
        + json.dumps(["a", "list"])
        + "\n",
        encoding="utf-8",
    )
    no_text = tmp_path / "no_text.csv"
    no_text.write_text("url,title\nhttps://g.example/7,Only a title\n", encoding="utf-8")
    return {"folder": folder, "parquet": parquet, "csv": csv_path, "jsonl": jsonl, "no_text": no_text}


def test_every_bad_input_is_quarantined_with_a_reason_and_counts_reconcile(messy_corpus: dict[str, Path]) -> None:
    config = make_config(list(messy_corpus.values()), max_bytes=10_000)
    result = ingest(config, progress=False)
    reasons = result.quarantine.groupby("locator")["reason"].first().to_dict()
    assert reasons["empty.txt"] == "empty_text"
    assert reasons["binary.txt"] == "binary_file"
    assert reasons["huge.txt"] == "too_large"
    assert reasons["short.txt"] == "too_short"
    assert reasons["photo.jpg"] == "unsupported_file"
    assert reasons["line 2"] == "invalid_record" and reasons["line 3"] == "invalid_record"
    by_source = result.quarantine.groupby("source")["reason"].apply(list).to_dict()
    assert sorted(by_source[str(messy_corpus["parquet"])]) == ["duplicate_id", "non_english", "unparseable_date"]
    assert by_source[str(messy_corpus["csv"])] == ["non_english"]
    assert by_source[str(messy_corpus["no_text"])] == ["missing_columns"]

    metrics = result.metrics
    assert metrics["records_read"] == metrics["kept"] + metrics["quarantined"] == 17
    for counts in metrics["per_source"].values():
        assert counts["read"] == counts["kept"] + counts["quarantined"]
    assert sum(metrics["quarantined_by_reason"].values()) == metrics["quarantined"]

    latin = result.articles[result.articles["locator"] == "latin.txt"].iloc[0]
    assert latin["encoding"] == "cp1252" and latin["title"] == "Café owners protest “new rules”"


def test_near_duplicates_share_a_cluster_with_one_canonical_member(messy_corpus: dict[str, Path]) -> None:
    result = ingest(make_config([messy_corpus["parquet"], messy_corpus["jsonl"]]), progress=False)
    articles = result.articles.set_index("url")
    budget = articles.loc[["https://a.example/1", "https://d.example/4", "https://f.example/6"]]
    assert budget["dup_cluster"].nunique() == 1
    assert budget["is_canonical"].sum() == 1
    # The earliest copy is canonical.
    assert articles.loc["https://a.example/1", "is_canonical"]
    assert (budget["canonical_id"] == stable_id("https://a.example/1", "")).all()


def test_unknown_source_type_is_a_clear_error_naming_the_file(tmp_path: Path) -> None:
    odd = tmp_path / "corpus.xlsx"
    odd.write_bytes(b"x")
    with pytest.raises(SourceError, match=r"corpus\.xlsx"):
        ingest(make_config([odd]), progress=False)
    with pytest.raises(SourceError, match="not found"):
        ingest(make_config([tmp_path / "missing.parquet"]), progress=False)


def test_outputs_are_byte_identical_across_runs(messy_corpus: dict[str, Path], tmp_path: Path) -> None:
    config = make_config(list(messy_corpus.values()))
    digests = []
    for run in ("a", "b"):
        out = tmp_path / run
        write_outputs(ingest(config, progress=False), out, out / "ingest.json")
        digests.append([(out / name).read_bytes() for name in ("articles.parquet", "quarantine.parquet", "ingest.json")])
        assert not list(out.glob("*.tmp")) and not list(out.glob(".*"))
    assert digests[0] == digests[1]


@pytest.mark.integration
def test_seed_and_corpus_slice(seed_article: Path, tmp_path: Path) -> None:
    """The seed is dated from its text within two days of 2022-03-15; the slice keeps its metadata dates.

    The slice is the corpus's articles of March 2022, the context that date inference learns from.
    """
    corpus = pd.read_parquet(corpus_file("csli.parquet"))
    corpus_slice = corpus[corpus["date"].between("2022-03-01", "2022-03-31")]
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(seed_article, folder / seed_article.name)
    table = tmp_path / "slice.parquet"
    corpus_slice.to_parquet(table)
    result = ingest(make_config([table, folder]), progress=False)
    articles = result.articles
    assert result.metrics["records_read"] == len(corpus_slice) + 1

    seed = articles[articles["source"] == str(folder)].iloc[0]
    assert seed["date_source"] == "inferred"
    assert abs((seed["date"] - dt.date(2022, 3, 15)).days) <= 2
    assert seed["title"].startswith("Russian Soldiers Admit")
    assert seed["photo_credit"] == "DIMITAR DILKOFF"
    assert "Read Also" not in seed["body"] and "@YouTube" not in seed["body"]

    from_table = articles[articles["source"] == str(table)]
    assert (from_table["date_source"] == "metadata").all()
    assert not from_table["title"].str.contains(r"\b[A-Z] \. [A-Z] \.", regex=True).any()
    assert len(from_table) >= 0.95 * len(corpus_slice)


def test_corpus_file_resolves_through_the_dvc_remote() -> None:
    assert corpus_file("articles/000_9ef5f17bb255e9d8.txt").read_text().startswith("Russian Soldiers Admit")


def test_dask_workers_give_the_same_articles_as_this_process(
    messy_corpus: dict[str, Path], dask_engine: Engine
) -> None:
    config = make_config(list(messy_corpus.values()))
    one = ingest(config, progress=False, engine=Engine(EngineConfig(partition_size=3)))
    two = ingest(config, progress=False, engine=dask_engine)
    pd.testing.assert_frame_equal(one.articles, two.articles)
    pd.testing.assert_frame_equal(one.quarantine, two.quarantine)
    assert one.metrics == two.metrics


FURNITURE = [  # (paragraph, what must be gone) as BBC pages, agencies and press releases leave them
    ("The minister resigned on Monday. (c) 2022 BBC.", "(c) 2022 BBC."),
    ("Satellite image ©2022 Maxar Technologies.", "Maxar"),
    ("Image source, Maxar Technologies", "Maxar"),
    ("Image caption, Residents queue for water in the besieged city", "Residents queue"),
    ("Canada will play the US for gold on Sunday. lpm/ssy © 1994-2022 Agence France-Presse", "Agence France-Presse"),
    ("Talks took place in Geneva in June. To view this video please enable JavaScript, and consider upgrading to a "
     "web browser that supports HTML5 video© Sputnik", "JavaScript"),
    ("It was collected by a photographer. © Sputnik / Maksim Blinov / Go to the photo bankThe first victims came in "
     "June.", "photo bank"),
    ("Have a good one.Copy: Content and Programming Copyright 2022 Fox News Network, Copyright 2022 VIQ Media "
     "Transcription, Inc. All materials herein are protected by United States copyright law.", "VIQ Media"),
    ("SOURCE: KBRA Copyright Business Wire 2022. PUB: 02/25/2022 05:29 PM/DISC: 02/25/2022 05:29 PM "
     "http://www.businesswire.com/news/home/20220225005539/en", "PUB:"),
]
KEPT = [  # reporting that looks like furniture to a careless rule
    "The report says Russia is breaching Article II and Article III (c) of the Genocide Convention.",
    "Satellite images from Maxar Technologies showed burning buildings and heavy damage across the city.",
    "Ukraine's President Volodymyr Zelensky (C) walks in the town of Bucha on April 4th, 2022.",
    "The court ruled that the archive's photographs were protected by copyright in 2019 after a long dispute "
    "between two publishers over who owned the rights to the pictures, the negatives and the prints.",
    "Photographers said the pictures of the flooded town were the hardest they had taken.",
]


@pytest.mark.parametrize(("paragraph", "gone"), FURNITURE)
def test_copyright_lines_and_agency_credits_leave_the_body(paragraph: str, gone: str) -> None:
    article = parse_article(paragraph + "\n\n" + ENGLISH_BODY, title="Title")
    assert gone not in article.body
    assert article.boilerplate_removed + len(article.captions) >= 1
    assert "city council approved a new budget" in article.body


@pytest.mark.parametrize("sentence", KEPT)
def test_reporting_about_copyright_photos_or_satellite_images_stays(sentence: str) -> None:
    assert not is_copyright_notice(sentence) and not is_credit(sentence)
    assert cut_furniture(sentence) == (sentence, 0)
    assert sentence in parse_article(sentence + "\n\n" + ENGLISH_BODY, title="Title").body


@pytest.mark.integration
def test_furniture_rules_remove_only_notices_from_the_seed_and_a_corpus_slice(
    seed_article: Path, corpus_slice: pd.DataFrame
) -> None:
    """The seed has no furniture; on 300 real articles the rules touch few, and only short notices and credits."""
    def removed(text: str) -> list[str]:
        found = []
        for paragraph in text.split("\n\n"):
            cut, count = cut_furniture(paragraph)
            if count:
                found.append(paragraph[len(cut):] if paragraph.startswith(cut) else paragraph)
            found += [s for s in split_sentences(cut) if is_copyright_notice(s) or is_credit(s)]
        return found

    assert removed(parse_article(seed_article.read_text(encoding="utf-8")).body) == []
    touched = [pieces for pieces in map(removed, corpus_slice["text"]) if pieces]
    assert len(touched) <= 0.03 * len(corpus_slice)
    for pieces in touched:
        for piece in pieces:
            assert len(piece.split()) <= 60, piece


def test_the_ingest_cache_gives_the_bytes_of_a_run_without_it(messy_corpus: dict[str, Path], tmp_path: Path) -> None:
    """Cold cache, warm cache and no cache write the same files, exact copies (an id of their own) included."""
    shutil.copy(messy_corpus["folder"] / "good.txt", messy_corpus["folder"] / "good-copy.txt")
    plain = make_config(list(messy_corpus.values()))
    cached = plain.model_copy(update={"cache_dir": tmp_path / "cache"})
    digests = []
    for run, config in enumerate((cached, cached, plain)):
        out = tmp_path / f"run-{run}"
        result = ingest(config, progress=False, engine=Engine(EngineConfig(partition_size=2)))
        write_outputs(result, out, out / "ingest.json")
        digests.append([(out / name).read_bytes() for name in ("articles.parquet", "quarantine.parquet", "ingest.json")])
    assert digests[0] == digests[1] == digests[2]
    assert len(list((tmp_path / "cache" / "ingest").glob("*/*.pkl"))) >= 2
    copies = result.articles[result.articles["source"] == str(messy_corpus["folder"])]
    assert copies["dup_cluster"].value_counts().max() == 2
