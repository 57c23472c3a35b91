"""Hostile input to the ingest stage: every bad file or record ends as a kept article or a quarantine row with a
reason, never a traceback or a silent drop, and read = kept + quarantined holds for every source.

Fixtures are generated in tmp_path; the stage runs in-process with one worker.
"""

from __future__ import annotations

import csv
import json
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import IngestConfig
from pipeline.ingest import stage
from pipeline.ingest.guards import repair_mojibake, wide_encoding
from pipeline.ingest.language import detect_language
from pipeline.ingest.readers import decode_bytes
from pipeline.ingest.stage import IngestResult, ingest, write_outputs
from tests.test_ingest import ENGLISH_BODY, PLAIN_ARTICLE

ARTICLE = "Council Approves Budget\n\n" + ENGLISH_BODY
MB = 1_000_000


def run(tmp_path: Path, *sources: Path, **overrides: object) -> IngestResult:
    """Ingest `sources`, check that every source reconciles, and write the outputs (a bad value fails there)."""
    params = {"sources": [str(source) for source in sources], **overrides}
    result = ingest(IngestConfig.model_validate(params), progress=False)
    for counts in result.metrics["per_source"].values():
        assert counts["read"] == counts["kept"] + counts["quarantined"] > 0
    assert "parse_error" not in result.metrics["quarantined_by_reason"]
    out = tmp_path / "out"
    write_outputs(result, out, out / "ingest.json")
    assert pd.read_parquet(out / "quarantine.parquet").shape[0] == len(result.quarantine)
    return result


def reasons(result: IngestResult) -> dict[str, str]:
    return dict(zip(result.quarantine["locator"], result.quarantine["reason"], strict=True))


def folder_of(tmp_path: Path, files: dict[str | bytes, bytes]) -> Path:
    folder = tmp_path / "texts"
    folder.mkdir()
    for name, data in files.items():
        path = os.path.join(os.fsencode(folder), name if isinstance(name, bytes) else os.fsencode(name))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
    return folder


def jsonl(tmp_path: Path, *rows: object, name: str = "rows.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_empty_files_and_sources_without_records_each_give_a_quarantine_row(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, {"empty.txt": b"", "blank.txt": b"\n \t\n"})
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "header.csv").write_text("url,title,text\n")
    (tmp_path / "empty.csv").write_bytes(b"")
    empty_folder = tmp_path / "nothing"
    empty_folder.mkdir()
    sources = [tmp_path / n for n in ("empty.jsonl", "header.csv", "empty.csv", "nothing")]
    result = run(tmp_path, folder, *sources)
    by_source = result.quarantine.groupby("source")["reason"].apply(list).to_dict()
    assert by_source[str(folder)] == ["empty_text", "empty_text"]
    assert by_source[str(tmp_path / "empty.jsonl")] == ["empty_text"]
    assert by_source[str(tmp_path / "header.csv")] == ["empty_text"]
    assert by_source[str(tmp_path / "nothing")] == ["empty_text"]
    assert by_source[str(tmp_path / "empty.csv")] == ["missing_columns"]


def test_binary_files_are_quarantined_in_every_reader(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20
    folder = folder_of(tmp_path, {"image.txt": png})
    (tmp_path / "image.csv").write_bytes(png)
    (tmp_path / "image.jsonl").write_bytes(png)
    (tmp_path / "image.parquet").write_bytes(png)
    sources = [tmp_path / f"image.{suffix}" for suffix in ("csv", "jsonl", "parquet")]
    result = run(tmp_path, folder, *sources)
    assert result.metrics["kept"] == 0
    assert set(result.quarantine["reason"]) <= {"binary_file", "undecodable", "invalid_record", "unreadable_source"}
    assert reasons(result)["image.txt"] == "binary_file"


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (ARTICLE.replace("budget", "café budget").encode("latin-1"), "cp1252"),
        (ARTICLE.encode("utf-16"), "utf-16"),
        (ARTICLE.encode("utf-16-le"), "utf-16-le"),
        (ARTICLE.encode("utf-16-be"), "utf-16-be"),
        (ARTICLE.encode("utf-32"), "utf-32"),
        (ARTICLE.encode("utf-8-sig"), "utf-8"),
    ],
    ids=["latin-1", "utf-16-bom", "utf-16-le-no-bom", "utf-16-be-no-bom", "utf-32-bom", "utf-8-bom"],
)
def test_files_in_other_encodings_are_read_as_text(tmp_path: Path, encoded: bytes, encoding: str) -> None:
    result = run(tmp_path, folder_of(tmp_path, {"article.txt": encoded}))
    article = result.articles.iloc[0]
    assert (article["title"], article["encoding"]) == ("Council Approves Budget", encoding)
    assert "\x00" not in article["body"] and article["body"].startswith("The city council")


def test_a_utf16_csv_is_read_row_by_row(tmp_path: Path) -> None:
    table = tmp_path / "wide.csv"
    table.write_bytes(pd.DataFrame({"url": ["https://a.example/1"], "text": [ENGLISH_BODY]}).to_csv(index=False).encode("utf-16"))
    result = run(tmp_path, table)
    assert result.articles["encoding"].tolist() == ["utf-16"]


def test_mojibake_is_repaired_and_the_repair_recorded(tmp_path: Path) -> None:
    clean = "Café owners’ “fury” – Kyiv\n\n" + ENGLISH_BODY.replace("budget", "budget (€5m)")
    garbled = clean.encode("utf-8").decode("cp1252", errors="replace").encode("utf-8")
    assert "â€" in garbled.decode("utf-8")
    result = run(tmp_path, folder_of(tmp_path, {"garbled.txt": garbled}))
    article = result.articles.iloc[0]
    assert article["encoding"] == "utf-8 (mojibake repaired)"
    assert article["title"].startswith("Café owners’") and "(€5m)" in article["body"]
    table = jsonl(tmp_path, {"url": "https://a.example/1", "title": "CafÃ© news", "text": ENGLISH_BODY})
    assert run(tmp_path / "t", table).articles["title"].tolist() == ["Café news"]


@pytest.mark.parametrize("text", [
    "naïve café, São Paulo, Dürer, ½, «quotes»", "â then space, Ã.", "CAFÉ – BAR", "Ãngel, Ângela and Âme",
    "São Tomé, Ærøskøbing, Ångström, Ñandú", "Ça va, Éric? À bientôt",
])
def test_genuine_accented_text_is_not_repaired(text: str) -> None:
    assert repair_mojibake(text) == (text, 0)


def test_mojibake_beside_genuine_accents_in_one_line_is_repaired() -> None:
    """ftfy repairs the garbled sequences of a line and leaves its genuine accents ("Â£" is "£" read as cp1252)."""
    assert repair_mojibake("Tickets cost Â£45 at the café; donâ€™t queue.") == (
        "Tickets cost £45 at the café; don’t queue.", 1)


def test_a_200_mb_file_is_too_large_without_being_read_into_memory(tmp_path: Path) -> None:
    """Sparse .txt, and a 200 MB JSON line and CSV cell written in chunks; the record after each is still read."""
    folder = tmp_path / "texts"
    folder.mkdir()
    with open(folder / "huge.txt", "wb") as handle:
        handle.truncate(200 * MB)
    chunk = "word " * 200_000  # 1 MB
    big_jsonl, big_csv = tmp_path / "big.jsonl", tmp_path / "big.csv"
    with open(big_jsonl, "w", encoding="utf-8") as j, open(big_csv, "w", encoding="utf-8") as c:
        j.write('{"url": "https://a.example/1", "text": "')
        c.write('url,text\nhttps://a.example/1,"')
        for _ in range(200):
            j.write(chunk)
            c.write(chunk)
        j.write('"}\n' + json.dumps({"url": "https://a.example/2", "text": ENGLISH_BODY}) + "\n")
        c.write(f'"\nhttps://a.example/3,"{ENGLISH_BODY}"\n')
    detect_language("warm up the language model before measuring")
    tracemalloc.start()
    try:
        result = run(tmp_path, folder, big_jsonl, big_csv)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * MB, f"peak {peak / MB:.0f} MB"
    assert reasons(result) == {"huge.txt": "too_large", "line 1": "too_large", "row 0": "too_large"}
    assert (result.quarantine["n_bytes"] >= 200 * MB).all()
    assert sorted(result.articles["url"]) == ["https://a.example/2", "https://a.example/3"]


def test_ragged_csv_rows_are_quarantined_not_shifted(tmp_path: Path) -> None:
    table = tmp_path / "ragged.csv"
    table.write_text(
        "url,title,text\n"
        f'https://a.example/1,Good,"{ENGLISH_BODY}"\n'
        f'https://a.example/2,Extra,"{ENGLISH_BODY} Two.",surplus\n'
        f'https://a.example/3,"{ENGLISH_BODY} Three."\n',
        encoding="utf-8",
    )
    result = run(tmp_path, table)
    assert result.articles["url"].tolist() == ["https://a.example/1"]
    assert reasons(result) == {"row 1": "invalid_record", "row 2": "invalid_record"}
    assert result.quarantine["detail"].tolist() == [
        "ragged row: 4 fields, the header has 3",
        "ragged row: 2 fields, the header has 3",
    ]


def test_embedded_newlines_and_nul_bytes(tmp_path: Path) -> None:
    table = tmp_path / "cells.csv"
    multiline, with_nul = ENGLISH_BODY.replace(". ", ".\n\n"), ENGLISH_BODY.replace("council", "coun\x00cil")
    table.write_text(
        f'url,title,text\nhttps://a.example/1,Lines,"{multiline}"\nhttps://a.example/2,Nul,"{with_nul}"\n',
        encoding="utf-8",
    )
    lines = tmp_path / "cells.jsonl"
    lines.write_text(
        json.dumps({"url": "https://a.example/3", "text": ENGLISH_BODY + "\u0000 escaped NUL"})
        + "\n"
        + '{"url": "https://a.example/4", "text": "raw \x00 NUL"}\n'
        + '{"url": "https://a.example/5", "text": "a raw\nnewline"}\n',
        encoding="utf-8",
    )
    result = run(tmp_path, table, lines)
    articles = result.articles.set_index("url")
    assert len(articles.loc["https://a.example/1", "paragraphs"]) > 1
    assert "\x00" not in "".join(articles["body"]) and "council" in articles.loc["https://a.example/2", "body"]
    assert "https://a.example/3" in articles.index
    assert reasons(result) == {"line 2": "invalid_record", "line 3": "invalid_record", "line 4": "invalid_record"}


def test_missing_or_misnamed_columns_quarantine_every_row(tmp_path: Path) -> None:
    misnamed = tmp_path / "misnamed.csv"
    misnamed.write_text("url,Text\nhttps://a.example/1,hello\nhttps://a.example/2,world\n", encoding="utf-8")
    no_text = tmp_path / "no_text.parquet"
    pd.DataFrame({"url": ["https://a.example/3"], "body": [ENGLISH_BODY]}).to_parquet(no_text)
    keyless = jsonl(tmp_path, {"url": "https://a.example/4", "body": ENGLISH_BODY})
    result = run(tmp_path, misnamed, no_text, keyless)
    assert result.metrics["kept"] == 0
    assert result.quarantine["reason"].tolist() == ["missing_columns"] * 4
    assert "columns present: ['url', 'Text']" in result.quarantine["detail"].iloc[0]
    renamed = run(tmp_path / "r", misnamed, columns={"text": "Text"}, min_chars=1, min_words=1, languages=["en", "de"])
    assert renamed.metrics["records_read"] == 2


def test_dates_in_the_future_or_before_1900_are_quarantined(tmp_path: Path) -> None:
    dates = ["2150-01-01", "1850-05-05", "0001-01-01", "2022-02-30", "2022-03-01"]
    rows = [{"url": f"https://a.example/{i}", "date": d, "text": f"{ENGLISH_BODY} {i}"} for i, d in enumerate(dates)]
    result = run(tmp_path, jsonl(tmp_path, *rows))
    assert result.articles["url"].tolist() == ["https://a.example/4"]
    assert reasons(result) == {
        "line 1": "implausible_date",
        "line 2": "implausible_date",
        "line 3": "unparseable_date",
        "line 4": "unparseable_date",
    }
    assert "in the future" in result.quarantine["detail"].iloc[0]


def test_duplicate_ids_keep_the_first_record(tmp_path: Path) -> None:
    rows = [{"url": "https://a.example/1", "text": f"{ENGLISH_BODY} {i}"} for i in range(3)]
    result = run(tmp_path, jsonl(tmp_path, *rows))
    assert result.articles["locator"].tolist() == ["line 1"]
    assert reasons(result) == {"line 2": "duplicate_id", "line 3": "duplicate_id"}


def test_exact_copies_join_their_original_s_duplicate_cluster_instead_of_the_quarantine(tmp_path: Path) -> None:
    """No URL and the same text (a text-only corpus), or the same URL and text: a copy, kept and clustered."""
    rows = [{"text": ENGLISH_BODY}, {"text": PLAIN_ARTICLE}, {"text": ENGLISH_BODY},
            {"url": "https://a.example/1", "text": "Wire copy.\n\n" + ENGLISH_BODY},
            {"url": "https://a.example/1", "text": "Wire copy.\n\n" + ENGLISH_BODY}]
    result = run(tmp_path, jsonl(tmp_path, *rows))
    assert result.quarantine.empty
    articles = result.articles.set_index("locator")
    assert articles["id"].is_unique
    assert articles.loc["line 1", "dup_cluster"] == articles.loc["line 3", "dup_cluster"]
    assert articles.loc["line 4", "dup_cluster"] == articles.loc["line 5", "dup_cluster"]
    assert articles.groupby("dup_cluster")["is_canonical"].sum().eq(1).all()
    assert articles.loc["line 1", "dup_similarity"] == articles.loc["line 3", "dup_similarity"]
    assert articles.loc["line 1", "dup_cluster_size"] == 4  # the wire copy's body is a near copy of line 1's


def test_long_path_like_and_undecodable_file_names(tmp_path: Path) -> None:
    names: list[str | bytes] = ["x" * 250 + ".txt", "a/b/../c.txt", "new\nline.txt", b"caf\xe9.txt", "-rf *.txt"]
    texts = {name: f"Title {i}\n\n{ENGLISH_BODY} {i}".encode() for i, name in enumerate(names)}
    result = run(tmp_path, folder_of(tmp_path, texts))
    assert sorted(result.articles["locator"]) == sorted(["x" * 250 + ".txt", "a/c.txt", "new\nline.txt", "caf\\xe9.txt", "-rf *.txt"])


def test_links_and_fifos_in_a_folder_are_quarantined_not_skipped(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, {"good.txt": ARTICLE.encode()})
    (folder / "broken.txt").symlink_to(folder / "nowhere.txt")
    os.mkfifo(folder / "pipe.txt")  # reading it would block forever
    result = run(tmp_path, folder)
    assert reasons(result) == {"broken.txt": "unsupported_file", "pipe.txt": "unsupported_file"}


def test_html_and_script_are_kept_as_text(tmp_path: Path) -> None:
    html = "<b>Council</b> <script>alert('x')</script>\n\n<p>" + ENGLISH_BODY + "</p><img src=x onerror=alert(1)>"
    result = run(tmp_path, folder_of(tmp_path, {"page.txt": html.encode()}))
    article = result.articles.iloc[0]
    assert article["title"] == "<b>Council</b> <script>alert('x')</script>"  # escaped by the report, never run
    assert article["body"].startswith("<p>The city council") and article["body"].endswith("onerror=alert(1)>")


def test_values_parquet_cannot_hold_or_that_are_not_scalars(tmp_path: Path) -> None:
    lines = tmp_path / "odd.jsonl"
    lines.write_text(
        json.dumps({"url": "https://a.example/1", "title": "T\ud800", "text": ENGLISH_BODY})
        + "\n"
        + json.dumps({"url": ["https://a.example/2"], "text": ENGLISH_BODY + " 2"})
        + "\n"
        + json.dumps({"url": "http://[::1", "text": ENGLISH_BODY + " 3"})
        + "\n"
        + json.dumps({"url": "https://a.example/4", "text": 12345})
        + "\n",
        encoding="utf-8",
    )
    result = run(tmp_path, lines)
    assert reasons(result) == {"line 1": "undecodable", "line 2": "invalid_record", "line 4": "invalid_record"}
    assert result.quarantine["title"].iloc[0] == "T\\ud800"
    malformed = result.articles.iloc[0]
    assert (malformed["url"], malformed["outlet"]) == ("http://[::1", None)


def test_a_record_that_trips_a_bug_is_quarantined_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_parse = stage.parse_article

    def flaky(text: str, **kwargs: object) -> object:
        if "boom" in text:
            raise IndexError("list index out of range")
        return real_parse(text, **kwargs)

    monkeypatch.setattr(stage, "parse_article", flaky)
    table = jsonl(tmp_path, {"url": "https://a.example/1", "text": ENGLISH_BODY}, {"url": "https://a.example/2", "text": "boom"})
    result = ingest(IngestConfig.model_validate({"sources": [str(table)]}), progress=False)
    assert reasons(result) == {"line 2": "parse_error"}
    assert result.quarantine["detail"].tolist() == ["IndexError: list index out of range"]
    assert result.metrics["per_source"][str(table)]["read"] == 2


def test_encoding_sniffing_on_short_and_odd_samples() -> None:
    assert wide_encoding(b"") is None and wide_encoding(b"plain ascii text here") is None
    assert decode_bytes(b"") == ("", "utf-8", "")
    assert decode_bytes(b"\xff\xfe" + "é".encode("utf-16-le")) == ("é", "utf-16", "")
    assert decode_bytes(b"\xff\xfe\x00\xd8")[2] == "undecodable"  # a BOM, then an unpaired surrogate
    assert decode_bytes(bytes(range(128, 160)) * 10)[2] == "undecodable"


# Text drawn from all of Unicode, surrogates and controls included, with newlines, quotes and CSV delimiters.
_TEXT = st.text(st.characters(categories=["L", "M", "N", "P", "S", "Z", "C"]), max_size=300) | st.sampled_from(
    ["", " ", "\x00", '"', ",\n,", "\r\n", "\ufeff", "\ud800", "Ã©", "<script>", ENGLISH_BODY]
)
_RECORD = st.fixed_dictionaries({"text": _TEXT}, optional={"title": _TEXT, "url": _TEXT, "date": _TEXT})
_WRITERS: dict[str, Callable[[Path, list[dict[str, str]]], Path]] = {}


def _as_jsonl(folder: Path, records: list[dict[str, str]]) -> Path:
    path = folder / "records.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def _as_csv(folder: Path, records: list[dict[str, str]]) -> Path:
    path = folder / "records.csv"
    with open(path, "w", encoding="utf-8", errors="surrogatepass", newline="") as handle:
        writer = csv.DictWriter(handle, ["url", "title", "date", "text"])
        writer.writeheader()
        writer.writerows(records)
    return path


def _as_texts(folder: Path, records: list[dict[str, str]]) -> Path:
    texts = folder / "texts"
    texts.mkdir()
    for index, record in enumerate(records):
        (texts / f"{index}.txt").write_bytes(record["text"].encode("utf-8", "surrogatepass"))
    return texts


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(_RECORD, min_size=1, max_size=6), layout=st.sampled_from([_as_jsonl, _as_csv, _as_texts]))
def test_arbitrary_text_records_never_raise_and_reconcile(
    tmp_path_factory: pytest.TempPathFactory, records: list[dict[str, str]], layout: Callable[..., Path]
) -> None:
    folder = tmp_path_factory.mktemp("records")
    source = layout(folder, records)
    result = run(folder, source, min_chars=1, min_words=1, min_language_confidence=0.0, languages=["en", "de", "fr"])
    counts = result.metrics["per_source"][str(source)]
    assert counts["read"] >= (len(records) if layout is _as_texts else 1)


class _Payload:
    """Unpickling this runs code (it creates the file named): what a hostile pickle in a corpus would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def test_pickles_notebooks_and_yaml_in_a_corpus_are_never_loaded(tmp_path: Path) -> None:
    import pickle

    from pipeline.ingest.readers import SourceError

    marker = tmp_path / "pwned"
    evil = pickle.dumps(_Payload(marker))
    notebook = json.dumps({"cells": [{"cell_type": "code", "source": f"open({str(marker)!r}, 'w')"}], "nbformat": 4})
    folder = folder_of(tmp_path, {"good.txt": ARTICLE.encode(), "model.pkl": evil, "data.joblib": evil,
                                  "run.ipynb": notebook.encode(), "meta.yaml": b"x: !!python/object/apply:os.system ['true']\n"})
    result = run(tmp_path, folder)
    assert reasons(result) == dict.fromkeys(["data.joblib", "meta.yaml", "model.pkl", "run.ipynb"], "unsupported_file")
    (tmp_path / "table.pkl").write_bytes(evil)
    with pytest.raises(SourceError, match=r"unsupported source type '\.pkl'"):
        ingest(IngestConfig.model_validate({"sources": [str(tmp_path / "table.pkl")]}), progress=False)
    assert not marker.exists()
