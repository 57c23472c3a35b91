"""Fitting the prior model on a corpus's dated articles (`python -m pipeline dating fit`).

Date cues are cached on disk by text (`data/cache/dating/`), so refitting or benchmarking re-tags nothing;
the cache file is named after a digest of the code that reads cues (this package's `cues.py` and the
temporal tagger), so a change to either starts a new file rather than reusing stale cues.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from pipeline import io
from pipeline.ingest.dating.cues import Cues, extract
from pipeline.ingest.dating.prior import DatePrior

FIT_COMMAND = "python -m pipeline dating fit"

_CODE = [Path(__file__).with_name("cues.py"), *sorted((Path(__file__).parents[2] / "timex").glob("*.py"))]


def code_digest() -> str:
    digest = hashlib.sha256()
    for path in _CODE:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def text_key(body: str, captions: Sequence[str]) -> str:
    return hashlib.sha1("\x00".join([body, *captions]).encode("utf-8")).hexdigest()


def cached_cues(bodies: Sequence[str], captions: Sequence[Sequence[str]], cache_dir: Path | None,
                progress: bool = False) -> list[Cues]:
    """The cues of each (body, captions), read from `cache_dir/dating/` where present and stored there."""
    path = cache_dir / "dating" / f"cues-{code_digest()}.json" if cache_dir is not None else None
    stored: dict[str, list] = json.loads(path.read_text(encoding="utf-8")) if path and path.is_file() else {}
    out, added = [], 0
    for body, caps in tqdm(list(zip(bodies, captions, strict=True)), desc="date cues", unit="art",
                           disable=not progress):
        caps = list(caps)
        key = text_key(body, caps)
        if key not in stored:
            stored[key] = extract(body, caps).to_json()
            added += 1
        out.append(Cues.from_json(stored[key]))
    if path is not None and added:
        io.write_text(path, json.dumps(stored, separators=(",", ":"), sort_keys=True))
    return out


def fit_prior(articles: pd.DataFrame, cache_dir: Path | None = None, source: str = "",
              progress: bool = False) -> DatePrior:
    """Fit the prior on the articles dated by metadata (in id order, so the file is the same on every run)."""
    dated = articles[articles["date_source"] == "metadata"].sort_values("id", kind="stable")
    if not len(dated):
        raise ValueError("no article has a metadata date to learn from")
    cues = cached_cues(list(dated["body"]), [list(c) for c in dated["captions"]], cache_dir, progress)
    digest = hashlib.sha256("\n".join(f"{i} {d}" for i, d in zip(dated["id"], dated["date"], strict=True))
                            .encode("utf-8")).hexdigest()[:16]
    meta = {
        "command": FIT_COMMAND,
        "source": source,
        "corpus_digest": digest,
        "outlets": int(dated["outlet"].nunique()),
        "first_date": str(min(dated["date"])),
        "last_date": str(max(dated["date"])),
    }
    return DatePrior.fit(zip(cues, dated["date"], strict=True), meta)
