"""Readers that turn each source (Parquet, CSV, JSON Lines, a folder of .txt files) into raw records.

Readers never raise on bad content: a record they cannot use carries a quarantine `problem` instead, so the
stage can account for every record it read. Only a source that cannot exist or whose type is unknown is
an error, because that is a mistake in the configuration rather than in the data.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from pipeline.ingest import guards

TABLE_SUFFIXES = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
TEXT_SUFFIXES = {".txt"}
REQUIRED_COLUMNS = ("text",)
PARQUET_BATCH = 1024  # rows of a Parquet source read at a time
MOJIBAKE_REPAIRED = " (mojibake repaired)"  # appended to the encoding of a record whose text was repaired


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
    """Decode UTF-16/32 by BOM or NUL pattern, else UTF-8, cp1252, latin-1; returns (text, encoding, problem)."""
    encoding, problem = guards.choose_encoding(data[: guards.SAMPLE_BYTES], lambda: [data])
    if encoding is None:
        return None, None, problem
    text, repaired = guards.repair_mojibake(data.decode(encoding))
    label = "utf-8" if encoding == "utf-8-sig" else encoding
    return text, label + MOJIBAKE_REPAIRED if repaired else label, ""


def read_source(
    path: str | Path, columns: dict[str, str], max_bytes: int, label: str | None = None
) -> Iterator[RawRecord]:
    """Yield the raw records of one configured source; `label` (default: the path) names it in each record.

    A source without a single record yields one `empty_text` record, so an empty file shows in the quarantine.
    """
    empty = True
    for record in _read_any(Path(path), columns, max_bytes):
        record.source, empty = label or str(path), False
        yield record
    if empty:
        yield RawRecord(label or str(path), str(path), problem="empty_text", detail="the source holds no records")


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
    source: str,
    rows: Iterator[tuple[str, dict[str, Any]]],
    columns: dict[str, str],
    max_bytes: int,
    encoding: str = "utf-8",
) -> Iterator[RawRecord]:
    for locator, row in rows:
        fields = _rename(row, columns)
        text = fields.get("text")
        n_bytes = len(text.encode("utf-8", "surrogatepass")) if isinstance(text, str) else 0
        record = RawRecord(source, locator, fields, encoding=encoding, n_bytes=n_bytes)
        if n_bytes > max_bytes:
            record.problem, record.detail = "too_large", f"{n_bytes} bytes > max_bytes {max_bytes}"
        elif problem := guards.field_problem(fields):
            record.problem, record.detail = problem
            record.fields = {k: guards.printable(v) if isinstance(v, str) else v for k, v in fields.items()}
        else:
            repaired = {k: guards.repair_mojibake(v) for k, v in fields.items() if isinstance(v, str)}
            if any(count for _, count in repaired.values()):
                record.fields |= {k: value for k, (value, _) in repaired.items()}
                record.encoding = encoding + MOJIBAKE_REPAIRED
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
    """Stream the rows, `PARQUET_BATCH` at a time: the table is never held whole in memory."""
    source = str(path)
    try:
        table = pq.ParquetFile(path)
        present, n_rows = table.schema_arrow.names, table.metadata.num_rows
    except Exception as error:  # pyarrow raises several types for corrupt files
        yield RawRecord(
            source, source, problem="unreadable_source", detail=f"{type(error).__name__}: {error}"
        )
        return
    if missing := _missing_columns(source, present, columns, n_rows):
        yield from missing
        return
    wanted = [name for name in columns.values() if name in present]
    number = 0
    batches = table.iter_batches(batch_size=PARQUET_BATCH, columns=wanted)
    while True:
        try:
            rows = next(batches).to_pylist()
        except StopIteration:
            return
        except Exception as error:  # a damaged row group: the rows before it were read
            yield RawRecord(source, f"row {number}", problem="unreadable_source",
                            detail=f"{type(error).__name__} after row {number - 1}: {error}; the rest of the file "
                                   "is not read")
            return
        yield from _table_records(source, ((f"row {number + i}", row) for i, row in enumerate(rows)), columns,
                                  max_bytes)
        number += len(rows)


def _read_csv(path: Path, columns: dict[str, str], max_bytes: int) -> Iterator[RawRecord]:
    """Stream the rows: a line or cell over the limit is counted as too large, never held whole in memory."""
    source = str(path)
    with open(path, "rb") as handle:
        sample = handle.read(guards.SAMPLE_BYTES)
    encoding, problem = guards.choose_encoding(sample, guards.file_chunks(path))
    if encoding is None:
        yield RawRecord(source, source, problem=problem, detail="the CSV file is not text")
        return
    label = "utf-8" if encoding == "utf-8-sig" else encoding
    limit = max(max_bytes * 4, 1 << 20)
    csv.field_size_limit(limit)
    with open(path, encoding=encoding, newline="") as handle:
        lines = guards.CappedLines(handle, limit)
        reader = csv.reader(lines)
        number = -1  # row numbers count non-blank data rows from 0, like the other table readers
        try:
            header = next(reader, [])
            missing = _missing_columns(source, header, columns, 1)
            for fields in reader:
                if lines.overlong:
                    number += 1
                    detail = f"a line of {lines.overlong} characters > {limit}"
                    yield RawRecord(source, f"row {number}", n_bytes=lines.overlong, problem="too_large", detail=detail)
                    lines.overlong = 0
                    continue
                if not fields:
                    continue  # a blank line is layout, not a record
                number += 1
                locator = f"row {number}"
                if missing:
                    yield RawRecord(source, locator, problem="missing_columns", detail=missing[0].detail)
                elif len(fields) != len(header):
                    detail = f"ragged row: {len(fields)} fields, the header has {len(header)}"
                    yield RawRecord(source, locator, encoding=label, problem="invalid_record", detail=detail)
                else:
                    yield from _table_records(
                        source, iter([(locator, dict(zip(header, fields, strict=True)))]), columns, max_bytes, label
                    )
        except (csv.Error, UnicodeDecodeError) as error:
            detail = f"CSV error after row {number}: {error}; the rest of the file is not read"
            yield RawRecord(source, f"row {number + 1}", problem="unreadable_source", detail=detail)
            return
        if missing and number < 0:
            yield from missing


def _read_jsonl(path: Path, columns: dict[str, str], max_bytes: int) -> Iterator[RawRecord]:
    source = str(path)
    limit = max(max_bytes * 4, 1 << 20)  # a longer line cannot hold a text of max_bytes, even escaped
    with open(path, "rb") as handle:
        lines = guards.CappedLines(handle, limit)
        for number, raw_line in enumerate(lines, start=1):
            locator = f"line {number}"
            if lines.overlong:
                detail = f"a line of {lines.overlong} bytes > {limit}"
                yield RawRecord(source, locator, n_bytes=lines.overlong, problem="too_large", detail=detail)
                lines.overlong = 0
                continue
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
            for record in _table_records(source, iter([(locator, row)]), columns, max_bytes, str(encoding)):
                if "text" not in record.fields and record.problem is None:
                    record.problem, record.detail = "missing_columns", f"no {columns['text']!r} field"
                yield record


def _read_folder(folder: Path, max_bytes: int) -> Iterator[RawRecord]:
    """Every file under the folder is a record: .txt files are articles, anything else is quarantined."""
    for path in sorted(p for p in folder.rglob("*") if not p.is_dir()):
        source, locator = str(folder), guards.printable(str(path.relative_to(folder)))
        if not path.is_file():
            detail = "not a regular file (a broken link, a FIFO or a socket)"
            yield RawRecord(source, locator, problem="unsupported_file", detail=detail)
            continue
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
            try:
                data = path.read_bytes()
            except OSError as error:
                yield RawRecord(source, locator, n_bytes=size, problem="unreadable_source", detail=str(error))
                continue
            text, encoding, problem = decode_bytes(data)
            fields = {"text": text, "layout": "plain"} if text is not None else {}
            record = RawRecord(source, locator, fields, encoding, size)
            record.problem = problem or None
            yield record
