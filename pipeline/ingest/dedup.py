"""Exact and near-duplicate detection (syndicated or lightly edited copies) with MinHash LSH.

Nothing is deleted: every article gets a cluster id and one canonical member per cluster, so later stages
can use canonical members only while the report can still show who syndicated whom.

Signatures are per article (`minhash_signature`, computed with the rest of an article's parsing, on whichever
worker parsed it); the LSH that joins them runs once over all of them, so deduplication is exact across
partitions: the clusters do not depend on how the corpus was cut.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import pandas as pd
from datasketch import LeanMinHash, MinHash, MinHashLSH
from tqdm import tqdm

from pipeline.config import DedupConfig
from pipeline.engine import worker_resource

_WORD = re.compile(r"\w+")


def exact_key(body: str) -> str:
    """Two bodies with the same key are exact copies (the same words, whatever the case, spacing or punctuation)."""
    return hashlib.sha1(" ".join(_WORD.findall(body.lower())).encode()).hexdigest()


def shingles(text: str, size: int) -> set[bytes]:
    """Word n-grams of the lower-cased text; short texts fall back to their whole word sequence."""
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)}


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def _canonical_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefer the earliest dated copy, then the longest body, then the smallest id (for determinism)."""
    return frame.assign(
        _date=pd.to_datetime(frame["date"], errors="coerce"), _len=-frame["body"].str.len()
    ).sort_values(["_date", "_len", "id"], na_position="last")


def _similarity(a: LeanMinHash | None, b: LeanMinHash | None) -> float:
    """Estimated Jaccard similarity; exact duplicates share one signature slot, so a missing one means 1."""
    if a is None or b is None or a is b:
        return 1.0
    return round(float(a.jaccard(b)), 3)


def minhash_signature(body: str, params: DedupConfig) -> LeanMinHash | None:
    """The MinHash of a body's word shingles (None for a body without words); the permutations are drawn once
    per process."""
    grams = shingles(body, params.shingle_words)
    if not grams:
        return None
    template = worker_resource(("minhash", params.num_perm, params.seed),
                               lambda: MinHash(num_perm=params.num_perm, seed=params.seed))
    minhash = template.copy()
    minhash.update_batch(list(grams))
    return LeanMinHash(minhash)


def find_duplicates(
    frame: pd.DataFrame,
    params: DedupConfig,
    progress: bool = True,
    signatures: Sequence[LeanMinHash | None] | None = None,
) -> pd.DataFrame:
    """Return `frame` with dup_cluster, dup_cluster_size, is_canonical and dup_similarity columns added.

    Articles with identical normalised bodies are exact duplicates; others join a cluster when their
    MinHash-estimated Jaccard similarity of word shingles is at least `params.threshold` (transitively).
    `signatures` (one per row, from `minhash_signature` with the same `params`) are computed here when not given.
    """
    bodies: Sequence[str] = frame["body"].tolist()
    n = len(bodies)
    union = _UnionFind(n)
    exact: dict[str, int] = {}
    first_copy: list[int] = []
    for i, body in enumerate(bodies):
        first_copy.append(exact.setdefault(exact_key(body), i))
        union.union(first_copy[i], i)

    if signatures is not None and len(signatures) != n:
        raise ValueError(f"{len(signatures)} signatures for {n} articles")
    lsh = MinHashLSH(threshold=params.threshold, num_perm=params.num_perm)
    kept: list[LeanMinHash | None] = [None] * n
    for i in tqdm(sorted(exact.values()), desc="minhash", unit="doc", disable=not progress):
        signature = signatures[i] if signatures is not None else minhash_signature(bodies[i], params)
        if signature is None:
            continue
        for j in lsh.query(signature):
            if signature.jaccard(kept[j]) >= params.threshold:
                union.union(j, i)
        lsh.insert(i, signature)
        kept[i] = signature
    kept = [kept[first] for first in first_copy]

    out = frame.copy()
    out["_root"] = [union.find(i) for i in range(n)]
    canonical = _canonical_order(out).drop_duplicates("_root")
    canonical_row = dict(zip(canonical["_root"], canonical.index, strict=True))
    # Cluster ids follow the canonical members' ids, so they do not depend on the input order.
    cluster_ids = {root: k for k, root in enumerate(canonical.sort_values("id")["_root"])}
    position = {label: i for i, label in enumerate(out.index)}
    out["dup_cluster"] = out["_root"].map(cluster_ids).astype("int64")
    out["canonical_id"] = out["_root"].map(lambda root: out.at[canonical_row[root], "id"])
    out["is_canonical"] = out["id"] == out["canonical_id"]
    out["dup_cluster_size"] = out.groupby("dup_cluster")["id"].transform("size").astype("int64")
    out["dup_similarity"] = [
        _similarity(kept[i], kept[position[canonical_row[root]]])
        for i, root in enumerate(out["_root"])
    ]
    return out.drop(columns="_root")
