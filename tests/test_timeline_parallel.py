"""The timeline stage's one parallel mechanism: results in input order, the same with one process or several."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from pipeline.config import TimelineConfig
from pipeline.timeline import mentions
from pipeline.timeline.events import DateMention
from pipeline.timeline.mentions import Candidate, extract_events
from pipeline.timeline.parallel import process_map

DAY = dt.date(2022, 3, 3)


def _square_with_pid(value: int) -> tuple[int, int]:
    return value * value, os.getpid()


def test_process_map_keeps_the_input_order_and_uses_worker_processes() -> None:
    items = list(range(50))
    results = process_map(_square_with_pid, items, n_jobs=2, chunksize=3, min_items=10)
    assert [value for value, _ in results] == [item * item for item in items]
    assert os.getpid() not in {pid for _, pid in results}  # forked workers did the work
    serial = process_map(_square_with_pid, items, n_jobs=2, min_items=100)  # too few items: this process
    assert {pid for _, pid in serial} == {os.getpid()}


SENTENCES = [
    "Russian forces shelled the city of Kharkiv on Thursday, officials in Kyiv said.",
    "Putin will meet Macron in Moscow on Thursday, the Kremlin said.",
    "Thursday's summit in Brussels ended without a statement from NATO.",
    "On Thursday, Ukraine's president Volodymyr Zelenskyy addressed the European Parliament.",
    "The United Nations General Assembly voted on Thursday to condemn the invasion.",
    "Shell said on Thursday it would stop buying Russian oil and gas.",
    "Grain prices rose in Chicago on Thursday as exports from Odesa stopped.",
    "Thursday's talks in Belarus between Russian and Ukrainian delegations produced a plan for corridors.",
    "The Pentagon said on Thursday that a convoy north of Kyiv had stalled.",
]


def _candidates() -> list[Candidate]:
    found = []
    for number, sentence in enumerate(SENTENCES * 2):  # wire copies: each distinct sentence is parsed once
        start = sentence.index("Thursday")
        date = DateMention(start, start + 8, "Thursday", DAY.isoformat(), "day", DAY, DAY)
        found.append(Candidate(number, 0, sentence, (date,)))
    return found


def test_event_parts_are_the_same_parsed_in_one_process_or_in_two(monkeypatch: pytest.MonkeyPatch) -> None:
    candidates = _candidates()
    serial = extract_events(candidates, TimelineConfig(n_jobs=1, spacy_batch_size=2))
    monkeypatch.setattr(mentions, "PARALLEL_FROM", 1)
    parallel = extract_events(candidates, TimelineConfig(n_jobs=2, spacy_batch_size=2))
    assert parallel == serial
    assert serial[0].trigger == "shelled" and "Kharkiv" in serial[0].targets
    assert serial[: len(SENTENCES)] == serial[len(SENTENCES) :]
