"""Atomic output writers: a crash mid-write never leaves a file that the next run would trust.

Every writer renders to a temporary file in the destination folder, flushes it to disk and then
renames it over the target (`os.replace` is atomic on POSIX within one file system). A writer killed
outright (SIGKILL, power loss) leaves its hidden temporary behind; the next write of the same target
removes it, so leftovers never pile up or end up inside an output folder DVC hashes.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def _discard(path: Path) -> None:
    """Delete a file or a folder (a link is unlinked, never followed); a missing path is fine."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _remove_leftovers(target: Path) -> None:
    """Delete temporaries a killed writer of `target` left behind (one writer per target is assumed)."""
    for leftover in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        _discard(leftover)


def _new_file(target: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    return Path(name)


def _new_dir(target: Path) -> Path:
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))


def _publish_file(tmp: Path, target: Path) -> None:
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, target)


def _publish_dir(tmp: Path, target: Path) -> None:
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    else:
        target.unlink(missing_ok=True)
    os.replace(tmp, target)


@contextlib.contextmanager
def _atomic(
    target: str | os.PathLike[str], make: Callable[[Path], Path], publish: Callable[[Path, Path], None]
) -> Iterator[Path]:
    """Yield a hidden temporary beside `target` (after removing a killed writer's); publish it onto `target`
    only if the block succeeds, and never leave it behind otherwise."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target)
    tmp = make(target)
    try:
        yield tmp
        publish(tmp, target)
    finally:
        _discard(tmp)


def atomic_path(target: str | os.PathLike[str]) -> contextlib.AbstractContextManager[Path]:
    """A temporary file path beside `target`, moved onto `target` only if the block succeeds."""
    return _atomic(target, _new_file, _publish_file)


def atomic_dir(target: str | os.PathLike[str]) -> contextlib.AbstractContextManager[Path]:
    """An empty temporary folder beside `target`; it replaces `target` only if the block succeeds."""
    return _atomic(target, _new_dir, _publish_dir)


def write_text(target: str | os.PathLike[str], text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(target: str | os.PathLike[str], data: Any) -> None:
    """Write JSON with sorted keys and a trailing newline, so equal data gives equal bytes."""
    write_text(target, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n")


def write_parquet(
    target: str | os.PathLike[str], frame: pd.DataFrame, schema: pa.Schema | None = None
) -> None:
    """Write a DataFrame as Parquet without pandas metadata, so identical frames give identical bytes."""
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    table = table.replace_schema_metadata(None)
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, compression="zstd")
