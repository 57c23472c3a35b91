"""TempEval-3 Task A scoring: strict and relaxed extent F1, and value and type F1.

Counts run over all documents: gold and system TIMEX3 inside <TEXT> (the document-creation time is in
<DCT>, so it never counts). Gold and system timexes are paired one to one, each gold timex with the
overlapping system timex it shares most characters with. Strict counts pairs with the exact same extent,
relaxed counts all pairs; value (type) F1 counts relaxed pairs whose value (type) is equal, over the system
count for precision and the gold count for recall.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.timex.timeml import Span, TimeMLError, document_key, parse_timeml, read_timeml, timeml_files

MEASURES = ("strict", "relaxed", "value", "type")


@dataclass(frozen=True, slots=True)
class Counts:
    gold: int = 0
    system: int = 0
    strict: int = 0
    relaxed: int = 0
    value: int = 0
    type: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(_fields(self), _fields(other), strict=True)))


def _fields(counts: Counts) -> tuple[int, ...]:
    return counts.gold, counts.system, counts.strict, counts.relaxed, counts.value, counts.type


def pair(gold: Sequence[Span], system: Sequence[Span]) -> list[tuple[Span, Span]]:
    """One-to-one pairs of overlapping gold and system spans, largest overlap first."""
    candidates = []
    for g_index, g in enumerate(gold):
        for s_index, s in enumerate(system):
            overlap = min(g.end, s.end) - max(g.start, s.start)
            if overlap > 0:
                exact = g.start == s.start and g.end == s.end
                candidates.append((-int(exact), -overlap, g_index, s_index))
    candidates.sort()
    used_gold: set[int] = set()
    used_system: set[int] = set()
    pairs = []
    for _, _, g_index, s_index in candidates:
        if g_index in used_gold or s_index in used_system:
            continue
        used_gold.add(g_index)
        used_system.add(s_index)
        pairs.append((gold[g_index], system[s_index]))
    return pairs


def count(gold: Sequence[Span], system: Sequence[Span]) -> Counts:
    """Counts for one document."""
    pairs = pair(gold, system)
    return Counts(
        gold=len(gold),
        system=len(system),
        strict=sum(g.start == s.start and g.end == s.end for g, s in pairs),
        relaxed=len(pairs),
        value=sum(g.value == s.value for g, s in pairs),
        type=sum(g.type == s.type for g, s in pairs),
    )


def figures(counts: Counts) -> dict[str, dict[str, float]]:
    """Precision, recall and F1 (in %) per measure."""
    result = {}
    for measure in MEASURES:
        hits = getattr(counts, measure)
        precision = 100.0 * hits / counts.system if counts.system else 0.0
        recall = 100.0 * hits / counts.gold if counts.gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[measure] = {"precision": round(precision, 2), "recall": round(recall, 2), "f1": round(f1, 2)}
    return result


def score_documents(documents: Iterable[tuple[Sequence[Span], Sequence[Span]]]) -> Counts:
    """Counts summed over (gold, system) span lists of documents."""
    total = Counts()
    for gold, system in documents:
        total = total + count(gold, system)
    return total


def score_folders(gold_dir: str | Path, system_dir: str | Path) -> tuple[Counts, list[str]]:
    """Score every gold document against the system file of the same name; returns the counts and the
    names of gold documents without a system file (scored as if the system found nothing)."""
    system_files = {document_key(p): p for p in timeml_files(system_dir)}
    missing = []
    pairs = []
    for gold_path in timeml_files(gold_dir):
        gold = read_timeml(gold_path)
        system_path = system_files.get(document_key(gold_path))
        if system_path is None:
            missing.append(gold_path.name)
            pairs.append((gold.timexes, []))
            continue
        system = read_timeml(system_path)
        if system.text != gold.text:
            raise TimeMLError(f"{system_path.name}: the text inside <TEXT> differs from the gold file's")
        pairs.append((gold.timexes, system.timexes))
    if not pairs:
        raise TimeMLError(f"{gold_dir}: no .tml or .TE3input files")
    return score_documents(pairs), missing


def score_texts(gold: str, system: str) -> Counts:
    """Counts for one gold and one system TimeML document given as strings."""
    return count(parse_timeml(gold).timexes, parse_timeml(system).timexes)
