"""Guards against hostile input: encodings a naive decode gets wrong, oversized lines, values Parquet cannot hold.

The readers call these so that a UTF-16 file is read as text instead of being called binary, mojibake is
repaired, a 200 MB line or cell is counted as too large without ever being held in memory, and a value that
cannot be written (an unpaired surrogate, a nested JSON object) quarantines its record instead of crashing
the stage at write time.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import IO, Any, AnyStr, Generic

SAMPLE_BYTES = 8192  # the opening of a file that decides whether it is text at all
READ_CHUNK = 1 << 20  # bytes (or characters) read at a time when streaming a large file
EARLIEST_DATE = dt.date(1900, 1, 1)  # older metadata dates are typos or placeholders, not news
_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_C1_BYTES = bytes(range(0x80, 0xA0))
_SURROGATE = re.compile("[\ud800-\udfff]")


def _continuation_chars() -> str:
    """How UTF-8 continuation bytes (0x80-0xBF) look once mis-decoded as cp1252 (or latin-1 where cp1252 has none)."""
    chars = []
    for byte in range(0x80, 0xC0):
        try:
            chars.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            chars.append(chr(byte))
    return re.escape("".join(chars))


# A UTF-8 lead byte read as cp1252 followed by a continuation byte read so ("Ã©", "â€", "Â£"): text without one
# has no mojibake, and skips ftfy (which costs about a millisecond per article).
_MAYBE_MOJIBAKE = re.compile(f"[\u00c2-\u00f4][{_continuation_chars()}]")

# ftfy (a maintained library) repairs text decoded with the wrong codec ("CafÃ©", "â€™", "Â£"); every other fix it
# offers is switched off, so curly quotes, HTML entities, ligatures, widths and line breaks stay as the source has them.
_FTFY = None


def _ftfy_config() -> Any:
    global _FTFY
    if _FTFY is None:
        import ftfy

        _FTFY = ftfy.TextFixerConfig(
            unescape_html=False, remove_terminal_escapes=False, fix_encoding=True, restore_byte_a0=False,
            replace_lossy_sequences=True, decode_inconsistent_utf8=True, fix_c1_controls=True,
            fix_latin_ligatures=False, fix_character_width=False, uncurl_quotes=False, fix_line_breaks=False,
            fix_surrogates=False, remove_control_chars=False, normalization=None, explain=False,
        )
    return _FTFY


def wide_encoding(sample: bytes) -> str | None:
    """UTF-16/32 from a byte-order mark, or BOM-less UTF-16 whose every other byte is NUL (Latin-script text)."""
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding
    even, odd = sample[0::2], sample[1::2]
    if len(odd) >= 8:
        if odd.count(0) > 0.8 * len(odd) and even.count(0) < 0.2 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.8 * len(even) and odd.count(0) < 0.2 * len(odd):
            return "utf-16-be"
    return None


def looks_binary(sample: bytes) -> bool:
    """More than a stray NUL or two, or over 10% control bytes: not a text file (a stray NUL is stripped later)."""
    if sample.count(0) > 1 + len(sample) // 1000:
        return True
    controls = sum(byte < 32 and byte not in (9, 10, 12, 13) for byte in sample)
    return bool(sample) and controls / len(sample) > 0.1


def _decodes(chunks: Iterable[bytes], encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for chunk in chunks:
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def choose_encoding(sample: bytes, chunks: Callable[[], Iterable[bytes]]) -> tuple[str | None, str]:
    """(encoding, problem): UTF-16/32, else UTF-8, cp1252, latin-1 in turn; `chunks()` streams the whole content.

    Decoding is only tried, chunk by chunk, so a large file is never held in memory whole.
    """
    if wide := wide_encoding(sample):
        return (wide, "") if _decodes(chunks(), wide) else (None, "undecodable")
    if looks_binary(sample):
        return None, "binary_file"
    for encoding in ("utf-8-sig", "cp1252"):
        if _decodes(chunks(), encoding):
            return encoding, ""
    # latin-1 decodes any byte; C1 control characters in the result mean the bytes were not text.
    size = c1 = 0
    for chunk in chunks():
        size += len(chunk)
        c1 += len(chunk) - len(chunk.translate(None, _C1_BYTES))
    return ("latin-1", "") if c1 <= max(3, size // 200) else (None, "undecodable")


def file_chunks(path: Any) -> Callable[[], Iterable[bytes]]:
    """A re-startable stream of a file's bytes, READ_CHUNK at a time."""

    def chunks() -> Iterable[bytes]:
        with open(path, "rb") as handle:
            while chunk := handle.read(READ_CHUNK):
                yield chunk

    return chunks


def repair_mojibake(text: str) -> tuple[str, int]:
    """Undo UTF-8 read as cp1252 or latin-1 ("CafÃ©", "â€™", "Â£") with ftfy; returns (text, lines repaired).

    ftfy changes a line only when the result is far more plausible text, so genuine accented text stays as it is.
    """
    if text.isascii() or not _MAYBE_MOJIBAKE.search(text):
        return text, 0
    import ftfy

    fixed = ftfy.fix_text(text, _ftfy_config())
    if fixed == text:
        return text, 0
    return fixed, sum(a != b for a, b in zip(text.split("\n"), fixed.split("\n"), strict=False)) or 1


class CappedLines(Generic[AnyStr]):
    """Iterate a file's lines, but never hold more than `limit` units of one: a longer line is read in chunks
    and dropped, replaced by a bare newline, and `overlong` keeps its full length until the reader resets it.
    """

    def __init__(self, handle: IO[AnyStr], limit: int) -> None:
        self.handle, self.limit = handle, limit
        self.overlong = 0

    def __iter__(self) -> CappedLines[AnyStr]:
        return self

    def __next__(self) -> AnyStr:
        line = self.handle.readline(self.limit + 1)
        if not line:
            raise StopIteration
        newline = b"\n" if isinstance(line, bytes) else "\n"
        if len(line) <= self.limit or line.endswith(newline):
            return line
        size = len(line)
        while rest := self.handle.readline(READ_CHUNK):
            size += len(rest)
            if rest.endswith(newline):
                break
        self.overlong = size
        return newline


def printable(text: str) -> str:
    """A file name or value with undecodable bytes or unpaired surrogates shown as backslash escapes.

    Parquet strings must be valid UTF-8; a file name with a latin-1 byte (`caf\\xe9.txt`) would otherwise crash
    the write.
    """
    if not _SURROGATE.search(text):
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that escapes no byte, e.g. "\\ud800" from JSON
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def field_problem(fields: dict[str, Any]) -> tuple[str, str] | None:
    """(reason, detail) when a record's value cannot be an article field: a nested value or an unpaired surrogate."""
    for name, value in fields.items():
        if isinstance(value, list | dict):
            return "invalid_record", f"field {name!r} is a {type(value).__name__}, not a single value"
        if isinstance(value, str) and (match := _SURROGATE.search(value)):
            return "undecodable", f"field {name!r} holds an unpaired surrogate {match.group()!a}"
    return None


def implausible_date(date: dt.date | None, today: dt.date) -> str | None:
    """Why a metadata date cannot be a publication date (after the run day, or before 1900), else None."""
    if date is None:
        return None
    if date > today:
        return f"date {date} is in the future (ingest ran on {today})"
    if date < EARLIEST_DATE:
        return f"date {date} is before {EARLIEST_DATE}"
    return None
