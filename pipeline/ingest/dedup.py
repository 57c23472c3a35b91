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

import numpy as np
import pandas as pd
from datasketch import LeanMinHash, MinHash, MinHashLSH
from tqdm import tqdm

from pipeline.config import DedupConfig
from pipeline.engine import worker_resource

_WORD = re.compile(r"\w+")
PAIR_BLOCK = 8_192  # candidate pairs checked at once (their two rows of hash values: 16 MB at 128 permutations)


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


def signature_rows(signatures: Sequence[LeanMinHash | None], num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """(hash values, one row per signature; whether each row has one): a compact form of the signatures, about
    1 KB per article at 128 permutations instead of a Python object each."""
    values = np.zeros((len(signatures), num_perm), dtype=np.uint64)
    present = np.zeros(len(signatures), dtype=bool)
    for row, signature in enumerate(signatures):
        if signature is not None:
            values[row], present[row] = signature.hashvalues, True
    return values, present


def _lsh_pairs(values: np.ndarray, params: DedupConfig) -> np.ndarray:
    """Pairs (i, j), i < j, of rows whose MinHash agrees on every value of at least one band and whose estimated
    Jaccard similarity reaches the threshold: the pairs `MinHashLSH` (datasketch, the same bands) finds when each
    row queries the rows inserted before it and every hit is checked, computed with arrays, not a hash table of
    byte strings per band and row."""
    lsh = MinHashLSH(threshold=params.threshold, num_perm=params.num_perm)
    found = []
    for start, end in lsh.hashranges:
        band = np.ascontiguousarray(values[:, start:end]).view(np.dtype((np.void, 8 * (end - start)))).ravel()
        _, group, counts = np.unique(band, return_inverse=True, return_counts=True)
        shared = counts[group] > 1
        rows = np.flatnonzero(shared)
        if not len(rows):
            continue
        rows = rows[np.argsort(group[rows], kind="stable")]
        bounds = np.flatnonzero(np.diff(group[rows])) + 1
        for members in np.split(rows, bounds):
            first, second = np.triu_indices(len(members), k=1)
            found.append(np.stack([members[first], members[second]], axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.unique(np.sort(np.concatenate(found), axis=1), axis=0)
    keep = np.zeros(len(pairs), dtype=bool)
    for begin in range(0, len(pairs), PAIR_BLOCK):
        block = pairs[begin : begin + PAIR_BLOCK]
        agree = np.count_nonzero(values[block[:, 0]] == values[block[:, 1]], axis=1)
        keep[begin : begin + PAIR_BLOCK] = agree / np.float64(params.num_perm) >= params.threshold
    return pairs[keep]


def duplicate_columns(
    ids: Sequence[str],
    dates: Sequence[object],
    lengths: Sequence[int],
    keys: Sequence[str],
    values: np.ndarray,
    present: np.ndarray,
    params: DedupConfig,
) -> pd.DataFrame:
    """The deduplication columns (dup_cluster, canonical_id, is_canonical, dup_cluster_size, dup_similarity), one
    row per article in input order, from what each article contributes: its id, date, body length, exact-copy
    key (`exact_key`) and MinHash (`signature_rows`). The first article of each exact-copy key stands for its
    copies in the LSH, as in `find_duplicates`."""
    n = len(ids)
    union = _UnionFind(n)
    exact: dict[str, int] = {}
    first_copy = np.empty(n, dtype=np.int64)
    for i, key in enumerate(keys):
        first_copy[i] = exact.setdefault(key, i)
        union.union(int(first_copy[i]), i)
    representatives = np.array(sorted(exact.values()), dtype=np.int64)
    representatives = representatives[present[representatives]]
    for a, b in _lsh_pairs(values[representatives], params):
        union.union(int(representatives[a]), int(representatives[b]))

    out = pd.DataFrame({"id": list(ids), "date": list(dates), "_len": -np.asarray(lengths, dtype=np.int64)})
    out["_root"] = [union.find(i) for i in range(n)]
    canonical = out.assign(_date=pd.to_datetime(out["date"], errors="coerce")).sort_values(
        ["_date", "_len", "id"], na_position="last").drop_duplicates("_root")
    canonical_row = dict(zip(canonical["_root"], canonical.index, strict=True))
    # Cluster ids follow the canonical members' ids, so they do not depend on the input order.
    cluster_ids = {root: k for k, root in enumerate(canonical.sort_values("id")["_root"])}
    canonical_of = np.array([canonical_row[root] for root in out["_root"]], dtype=np.int64)
    id_array = out["id"].to_numpy()
    columns = pd.DataFrame(index=out.index)
    columns["dup_cluster"] = out["_root"].map(cluster_ids).astype("int64")
    columns["canonical_id"] = id_array[canonical_of]
    columns["is_canonical"] = out["id"].to_numpy() == columns["canonical_id"].to_numpy()
    columns["dup_cluster_size"] = columns.groupby("dup_cluster")["canonical_id"].transform("size").astype("int64")
    # Each article's MinHash is its first exact copy's (an exact copy's similarity to it is 1).
    mine, theirs = first_copy, first_copy[canonical_of]
    both = present[mine] & present[theirs] & (mine != theirs)
    agree = np.count_nonzero(values[mine[both]] == values[theirs[both]], axis=1) / np.float64(params.num_perm)
    similarity = np.ones(n)
    similarity[both] = agree
    columns["dup_similarity"] = [round(float(value), 3) for value in similarity]
    return columns


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
    if signatures is not None and len(signatures) != len(bodies):
        raise ValueError(f"{len(signatures)} signatures for {len(bodies)} articles")
    keys = [exact_key(body) for body in bodies]
    if signatures is None:
        first: dict[str, int] = {}
        for i, key in enumerate(keys):
            first.setdefault(key, i)
        needed = set(first.values())
        signatures = [minhash_signature(body, params) if i in needed else None
                      for i, body in enumerate(tqdm(bodies, desc="minhash", unit="doc", disable=not progress))]
    values, present = signature_rows(signatures, params.num_perm)
    columns = duplicate_columns(frame["id"].tolist(), frame["date"].tolist(), [len(body) for body in bodies], keys,
                                values, present, params)
    out = frame.copy()
    for name in columns.columns:
        out[name] = columns[name].to_numpy()
    return out
