"""Integrity checks on what the pipeline loads: the model weights it was validated with, and its own cache shards.

A tampered or half-downloaded `model.safetensors` would silently change every embedding and topic, so the
weights are checked against the official SHA-256 before the model loads. A cache shard that a crash, a full
disk or bit rot damaged is discarded (and so recomputed), never trusted.
"""

from __future__ import annotations

import hashlib
import logging
import re
from functools import cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

# all-MiniLM-L6-v2's model.safetensors as published by sentence-transformers (Hugging Face LFS object id).
MINILM_WEIGHTS = "model.safetensors"
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class IntegrityError(RuntimeError):
    """A file the pipeline loads is not the one it expects."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@cache
def _digest(path: str, size: int, mtime_ns: int) -> str:
    """The file's digest, computed once per process for one (path, size, mtime) state."""
    return sha256_file(Path(path))


def file_digest(path: Path) -> str:
    """The SHA-256 of `path`, computed once per process while its size and modification time stay the same."""
    stat = Path(path).stat()
    return _digest(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


def verify_file(path: Path, expected: str, what: str) -> None:
    """Raise `IntegrityError` naming the file and both digests unless `path` has SHA-256 `expected`."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as error:
        raise IntegrityError(f"{what}: cannot read {path}: {error.strerror}") from None
    actual = _digest(str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if actual != expected:
        raise IntegrityError(f"{what}: {path} has SHA-256 {actual}, expected {expected}; reinstall the package")


def verify_minilm(folder: Path) -> None:
    """Check the MiniLM weights in `folder` against the official digest before anything loads them."""
    verify_file(Path(folder) / MINILM_WEIGHTS, MINILM_SHA256, "all-MiniLM-L6-v2 weights")


def read_cache_shard(path: Path) -> tuple[list[str], np.ndarray] | None:
    """(keys, float32 vectors) of an embedding-cache shard, or None after deleting a damaged one with a warning.

    The `.npz` zip checks each member's CRC-32 as it is read (a flipped bit or a cut-off file fails), and the
    shard's name is the hash of its keys, so a shard renamed or holding other keys is caught as well.
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, vectors = data["keys"], data["vectors"]
        problem = _shard_problem(path, keys, vectors)
    except Exception as error:  # zipfile and numpy raise a dozen types on damaged bytes; a cache never stops a run
        problem = f"{type(error).__name__}: {error}"
    if problem is None:
        return keys.tolist(), vectors
    log.warning("discarding damaged embedding cache shard %s (%s); its texts will be embedded again", path, problem)
    Path(path).unlink(missing_ok=True)
    return None


def _shard_problem(path: Path, keys: np.ndarray, vectors: np.ndarray) -> str | None:
    if keys.ndim != 1 or keys.dtype.kind != "U" or not all(_HEX64.fullmatch(key) for key in keys.tolist()):
        return "keys are not SHA-256 hex digests"
    if vectors.dtype != np.float32 or vectors.ndim != 2 or len(vectors) != len(keys):
        return f"vectors {vectors.dtype} {vectors.shape} do not match {len(keys)} keys"
    if not np.isfinite(vectors).all():
        return "vectors hold NaN or infinity"
    if hashlib.sha256("\n".join(keys.tolist()).encode()).hexdigest()[:20] != Path(path).stem:
        return "the file name is not the hash of its keys"
    return None
