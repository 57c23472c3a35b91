"""Readers that turn each source (Parquet, CSV, JSON Lines, a folder of .txt files) into raw records.

Readers never raise on bad content: a record they cannot use carries a quarantine `problem` instead, so the
stage can account for every record it read. Only a source that cannot exist or whose type is unknown is
an error, because that is a mistake in the configuration rather than in the data.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

TABLE_SUFFIXES = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
TEXT_SUFFIXES = {".txt"}
REQUIRED_COLUMNS = ("text",)
FALLBACK_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


class SourceError(ValueError):
    """A configured source that does not exist or whose type is not supported."""


@dataclass
class RawRecord:
    source: str
    locator: str
    fields: dict[str, Any] = field(default_factory=dict)
    encoding: str | None = None
    n_bytes: int = 0
    problem: str | None = None  # a quarantine reason code
    detail: str = ""


def decode_bytes(data: bytes) -> tuple[str | None, str | None, str]:
    """Decode with UTF-8, then cp1252, then latin-1; returns (text, encoding, problem)."""
    sample = data[:8192]
    if b"\x00" in sample or _control_share(sample) > 0.1:
        return None, None, "binary_file"
    for encoding in FALLBACK_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # latin-1 decodes any byte; C1 control characters in the result mean the bytes were not text.
        if encoding == "latin-1" and sum(0x80 <= ord(ch) <= 0x9F for ch in text) > max(3, len(text) // 200):
            return None, None, "undecodable"
        return text, "utf-8" if encoding == "utf-8-sig" else encoding, ""
    return None, None, "undecodable"


def _control_share(sample: bytes) -> float:
    if not sample:
        return 0.0
    controls = sum(byte < 32 and byte not in (9, 10, 12, 13) for byte in sample)
    return controls / len(sample)


def read_source(
    path: str | Path, columns: dict[str, str], max_bytes: int, label: str | None = None
) -> Iterator[RawRecord]:
    """Yield the raw records of one configured source; `label` (default: the path) names it in each record."""
    for record in _read_any(Path(path), columns, max_bytes):
        record.source = label or str(path)
        yield record


def _read_any(path: Path, columns: dict[str, str], max_bytes: int) -> Iterator[RawRecord]:
    if not path.exists():
        raise SourceError(f"source not found: {path}")
    if path.is_dir():
        yield from _read_folder(path, max_bytes)
        return
    kind = TABLE_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise SourceError(
            f"unsupported source type {path.suffix or '(no suffix)'!r} for {path}: "
            f"expected a folder of .txt files or one of {sorted(TABLE_SUFFIXES)}"
        )
    reader = {"parquet": _read_parquet, "csv": _read_csv, "jsonl": _read_jsonl}[kind]
    yield from reader(path, columns, max_bytes)


def _rename(row: dict[str, Any], columns: dict[str, str]) -> dict[str, Any]:
    """Map the source's column names onto ours; absent columns are simply missing."""
    return {ours: row[theirs] for ours, theirs in columns.items() if theirs in row}


def _table_records(
    source: str, rows: Iterator[tuple[str, dict[str, Any]]], columns: dict[str, str], max_bytes: int
) -> Iterator[RawRecord]:
    for locator, row in rows:
        fields = _rename(row, columns)
        text = fields.get("text")
        n_bytes = len(text.encode("utf-8", "surrogatepass")) if isinstance(text, str) else 0
        record = RawRecord(source, locator, fields, encoding="utf-8", n_bytes=n_bytes)
        if n_bytes > max_bytes:
            record.problem, record.detail = "too_large", f"{n_bytes} bytes > max_bytes {max_bytes}"
        yield record


def _missing_columns(
    source: str, present: list[str], columns: dict[str, str], n_rows: int
) -> list[RawRecord]:
    """Every row of a table without its text column is quarantined, so counts still reconcile."""
    missing = [columns[name] for name in REQUIRED_COLUMNS if columns[name] not in present]
    if not missing:
        return []
    detail = f"missing required column(s) {missing}; columns present: {present}"
    return [
        RawRecord(source, f"row {i}", problem="missing_columns", detail=detail) for i in range(max(n_rows, 1))
    ]


def _read_parquet(path: Path, columns: dict[str, str], max_bytes: int) -> Iterator[RawRecord]:
    source = str(path)
    try:
        table = pq.read_table(path)
    except Exception as error:  # pyarrow raises several types for corrupt files
        yield RawRecord(
            source, source, problem="unreadable_source", detail=f"{type(error).__name__}: {error}"
        )
        return
    if missing := _missing_columns(source, table.column_names, columns, table.num_rows):
        yield from missing
        return
    wanted = [name for name in columns.values() if name in table.column_names]
    rows = ((f"row {i}", row) for i, row in enumerate(table.select(wanted).to_pylist()))
    yield from _table_records(source, rows, columns, max_bytes)


def _read_csv(path: Path, columns: dict[str, str], max_bytes: int) -> Iterator[RawRecord]:
    source = str(path)
    text, encoding, problem = decode_bytes(path.read_bytes())
    if text is None:
        yield RawRecord(source, source, problem=problem, detail="the CSV file is not text")
        return
    csv.field_size_limit(max(max_bytes * 4, 1 << 20))
    try:
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        header = list(rows[0].keys()) if rows else next(csv.reader(io.StringIO(text)), [])
    except csv.Error as error:
        yield RawRecord(source, source, problem="unreadable_source", detail=f"CSV error: {error}")
        return
    if missing := _missing_columns(source, header, columns, len(rows)):
        yield from missing
        return
    # Row numbers count data rows from 0, like the other table readers.
    for record in _table_records(
        source, ((f"row {i}", row) for i, row in enumerate(rows)), columns, max_bytes
    ):
        record.encoding = encoding
        yield record


def _read_jsonl(path: Path, columns: dict[str, str], max_bytes: int) -> Iterator[RawRecord]:
    source = str(path)
    with open(path, "rb") as handle:
        for number, raw_line in enumerate(handle, start=1):
            locator = f"line {number}"
            if not raw_line.strip():
                continue  # blank lines between records are layout, not records
            line, encoding, problem = decode_bytes(raw_line)
            if line is None:
                yield RawRecord(source, locator, n_bytes=len(raw_line), problem=problem)
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                yield RawRecord(
                    source, locator, n_bytes=len(raw_line), problem="invalid_record", detail=str(error)
                )
                continue
            if not isinstance(row, dict):
                detail = f"expected a JSON object, got {type(row).__name__}"
                yield RawRecord(
                    source, locator, n_bytes=len(raw_line), problem="invalid_record", detail=detail
                )
                continue
            for record in _table_records(source, iter([(locator, row)]), columns, max_bytes):
                record.encoding = encoding
                if "text" not in record.fields and record.problem is None:
                    record.problem, record.detail = "missing_columns", f"no {columns['text']!r} field"
                yield record


def _read_folder(folder: Path, max_bytes: int) -> Iterator[RawRecord]:
    """Every file under the folder is a record: .txt files are articles, anything else is quarantined."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        source, locator = str(folder), str(path.relative_to(folder))
        size = path.stat().st_size
        if path.suffix.lower() not in TEXT_SUFFIXES:
            yield RawRecord(
                source, locator, n_bytes=size, problem="unsupported_file", detail=f"suffix {path.suffix!r}"
            )
        elif size > max_bytes:
            yield RawRecord(
                source, locator, n_bytes=size, problem="too_large", detail=f"{size} bytes > {max_bytes}"
            )
        else:
            text, encoding, problem = decode_bytes(path.read_bytes())
            fields = {"text": text, "layout": "plain"} if text is not None else {}
            record = RawRecord(source, locator, fields, encoding, size)
            record.problem = problem or None
            yield record
