"""Event records from dated sentences: who did what, to whom, where, and when.

The date comes from the temporal tagger; the rest from one spaCy parse of the sentence. The event is the
predicate the date expression hangs on ("forces attacked Kharkiv on Thursday, officials said" is an attack
on Thursday, not a statement), found by climbing the dependency tree from the timex to the nearest verb,
or to the noun it modifies ("Thursday's strike"). Entities under that predicate's subject are actors,
under its object or passive subject targets, and places in locative phrases locations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

# Precision ranks: a sentence's date is its most precise timex (ties: the first one in the sentence).
GRANULARITY_RANK = {"time": 0, "day": 1, "week": 2, "month": 3, "season": 4, "quarter": 4, "year": 5}
REPORTING_VERBS = frozenset((
    "say", "says", "said", "saying", "tell", "tells", "told", "report", "reports", "reported", "add", "adds",
    "added", "state", "states", "stated", "announce", "announces", "announced", "claim", "claims", "claimed",
    "write", "writes", "wrote",
))
PARTY_LABELS = frozenset({"PERSON", "ORG", "NORP", "GPE"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
SUBJECT_DEPS = frozenset({"nsubj", "csubj", "agent", "expl"})
OBJECT_DEPS = frozenset({"dobj", "dative", "attr", "oprd", "nsubjpass", "csubjpass", "obj", "pobj"})
LOCATIVE_PREPOSITIONS = frozenset((
    "in", "at", "near", "outside", "inside", "across", "into", "from", "to", "toward", "towards", "through",
    "around", "within", "off", "along",
))
NOUN_MODIFIER_DEPS = frozenset({"compound", "npadvmod", "poss", "nmod", "amod", "nummod"})


@dataclass(frozen=True)
class DateMention:
    """A DATE/TIME expression of a sentence, offsets relative to the sentence."""

    start: int
    end: int
    text: str
    value: str
    granularity: str
    first_day: dt.date
    last_day: dt.date


@dataclass(frozen=True)
class EventParts:
    """What the parse adds to a dated sentence."""

    date: DateMention
    trigger: str = ""
    trigger_tag: str = ""
    actors: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()


def precision_rank(mention: DateMention) -> int:
    return GRANULARITY_RANK.get(mention.granularity, len(GRANULARITY_RANK))


def load_spacy(model: str) -> Any:
    """The components the events read, nothing else: tok2vec and tagger (fine tags find the verb or noun a date
    hangs on), parser (roles) and NER (entities); lemmas, coarse POS and the sentence recogniser are not loaded.

    Measured on 935 event sentences of 400 articles (CPU seconds): tok2vec 1.2, tagger < 0.1, parser 1.1,
    NER 3.8 (its own embedding layer); every one is needed, so no smaller pipeline gives the same events.
    """
    import spacy

    return spacy.load(model, exclude=["lemmatizer", "attribute_ruler", "senter"])


def event_parts(doc: Any, dates: Sequence[DateMention]) -> EventParts:
    """Pick the sentence's event date and read trigger, actors, targets and locations off the parse."""
    candidates = []
    for mention in dates:
        span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
        trigger = _trigger(span.root) if span is not None and len(span) else None
        reporting = trigger is not None and trigger.text.lower() in REPORTING_VERBS
        candidates.append((reporting, precision_rank(mention), mention.start, mention, trigger))
    _, _, _, date, trigger = min(candidates, key=lambda item: item[:3])
    if trigger is not None and trigger.text.lower() in REPORTING_VERBS:
        # "Troops were put on alert, Kirby said Monday": the news is what was said, dated by the saying.
        trigger = next((child for child in trigger.children if child.dep_ == "ccomp"), trigger)
    date_tokens = {
        token.i for mention in dates if (span := doc.char_span(mention.start, mention.end, "expand")) for token in span
    }
    actors: list[str] = []
    targets: list[str] = []
    locations: list[str] = []
    entities: list[str] = []
    for entity in doc.ents:
        if entity.label_ not in PARTY_LABELS | PLACE_LABELS or entity.root.i in date_tokens:
            continue
        name = _entity_name(entity.text)
        _add(entities, name)
        role = _role(entity, trigger) if trigger is not None else None
        if entity.label_ in PLACE_LABELS and _in_locative_phrase(entity.root):
            role = "place"
        if role == "actor" and entity.label_ in PARTY_LABELS:
            _add(actors, name)
        elif role == "target" and entity.label_ in PARTY_LABELS:
            _add(targets, name)
        elif entity.label_ in PLACE_LABELS and role not in ("actor", "target"):
            _add(locations, name)
    return EventParts(
        date=date,
        trigger=trigger.text.lower() if trigger is not None else "",
        trigger_tag=trigger.tag_ if trigger is not None else "",
        actors=tuple(actors),
        targets=tuple(targets),
        locations=tuple(locations),
        entities=tuple(entities),
    )


def _entity_name(text: str) -> str:
    words = text.split()
    return " ".join(words[1:] if len(words) > 1 and words[0].lower() == "the" else words)


def _in_locative_phrase(token: Any) -> bool:
    return token.dep_ == "pobj" and token.head.text.lower() in LOCATIVE_PREPOSITIONS


def _add(names: list[str], name: str) -> None:
    if name not in names:
        names.append(name)


def _trigger(token: Any) -> Any:
    """The verb a date expression modifies, or the event noun it qualifies ("Thursday's strike")."""
    if token.dep_ in NOUN_MODIFIER_DEPS and token.head.i != token.i and token.head.tag_.startswith("NN"):
        return token.head
    node = token
    while node.head.i != node.i:
        node = node.head
        if node.tag_.startswith("VB") and node.dep_ not in ("aux", "auxpass"):
            return node
    return node if node.tag_.startswith(("VB", "NN")) else None


def _role(entity: Any, trigger: Any) -> str | None:
    """'actor' or 'target' by the trigger's child the entity hangs under; 'place' for locative phrases."""
    node = entity.root
    if node.i == trigger.i:
        return None
    while node.head.i != node.i and node.head.i != trigger.i:
        node = node.head
    if node.head.i != trigger.i:
        return None
    if node.dep_ in SUBJECT_DEPS:
        return "actor"
    if node.dep_ == "prep":
        return "place" if node.text.lower() in LOCATIVE_PREPOSITIONS else "target"
    if node.dep_ in OBJECT_DEPS:
        return "target"
    return None


def parse_events(
    nlp: Any,
    sentences: Iterable[tuple[str, Sequence[DateMention]]],
    batch_size: int = 256,
    n_process: int = 1,
) -> Iterator[EventParts]:
    """Stream (sentence, its date mentions) pairs through spaCy; one EventParts per pair, in order."""
    pairs = ((text, dates) for text, dates in sentences)
    for doc, dates in nlp.pipe(pairs, as_tuples=True, batch_size=batch_size, n_process=n_process):
        yield event_parts(doc, dates)
