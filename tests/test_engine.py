"""The one engine: partitions mapped in input order, in this process or on Dask workers, with the same results;
models loaded once per worker."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from pipeline.config import ConfigError, EngineConfig, TimelineConfig, parse_params
from pipeline.engine import Engine, loaded_resources, partitions, worker_resource
from pipeline.timeline.events import DateMention
from pipeline.timeline.mentions import Candidate, extract_events

DAY = dt.date(2022, 3, 3)


def _squares_with_pid(partition: list[int], offset: int) -> list[tuple[int, int]]:
    return [(value * value + offset, os.getpid()) for value in partition]


def _loads_once(partition: list[int]) -> tuple[int, list[str]]:
    worker_resource(("test-model",), lambda: object())
    return os.getpid(), [str(key) for key in loaded_resources()]


def test_partitions_cut_a_stream_into_lists_of_the_given_size() -> None:
    assert list(partitions(iter(range(7)), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(partitions([], 3)) == []


def test_local_and_dask_give_the_same_results_in_input_order(dask_engine: Engine) -> None:
    items = list(partitions(range(50), 4))
    local = list(Engine().map(_squares_with_pid, items, 1))
    on_dask = list(dask_engine.map(_squares_with_pid, items, 1))
    assert [value for part in local for value, _ in part] == [n * n + 1 for n in range(50)]
    assert [[v for v, _ in part] for part in on_dask] == [[v for v, _ in part] for part in local]
    assert {pid for part in local for _, pid in part} == {os.getpid()}
    assert os.getpid() not in {pid for part in on_dask for _, pid in part}  # the workers did the work


def test_a_model_is_built_once_per_worker_process(dask_engine: Engine) -> None:
    seen = list(dask_engine.map(_loads_once, [[n] for n in range(12)]))
    assert all(keys.count("('test-model',)") == 1 for _, keys in seen)
    calls = {"n": 0}

    def factory() -> int:
        calls["n"] += 1
        return calls["n"]

    assert [worker_resource(("counter", id(calls)), factory) for _ in range(3)] == [1, 1, 1]


def _thread_settings() -> str | None:
    return os.environ.get("OMP_NUM_THREADS")


def test_a_local_cluster_leaves_this_process_environment_as_it_was() -> None:
    """Dask's nanny sets OMP_NUM_THREADS=1 (and more) in the process that starts it, for its workers to inherit;
    left there, every later subprocess (a stage in a test, the report's kernels) would run on other thread counts
    than a run without Dask, and scikit-learn records the count in a saved k-means."""
    before = dict(os.environ)
    with Engine(EngineConfig(name="dask", workers=1, memory_limit="1GB")) as engine:
        workers = engine.client.run(_thread_settings)
        assert dict(os.environ) == before
    assert list(workers.values()) == ["1"]  # the workers still run on one thread each


def test_engine_settings_are_checked() -> None:
    sources = {"ingest": {"sources": ["x"]}}
    assert parse_params({**sources, "engine": {"name": "dask", "memory_limit": "512MiB"}}).engine.workers == 2
    for bad in ({"name": "spark"}, {"workers": 0}, {"memory_limit": "lots"}, {"partition_size": 0},
                {"n_jobs": 2}, {"scheduler": "tcp://10.0.0.1:8786"}):
        with pytest.raises(ConfigError, match="engine"):
            parse_params({**sources, "engine": bad})
    assert EngineConfig().name == "local"


def test_a_scheduler_that_does_not_answer_is_a_clear_error() -> None:
    engine = Engine(EngineConfig(name="dask", scheduler="tcp://127.0.0.1:9"))
    with pytest.raises(ConfigError, match=r"engine.scheduler = 'tcp://127.0.0.1:9': no Dask scheduler answered"):
        list(engine.map(_squares_with_pid, [[1]], 0))


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


def test_event_parts_are_the_same_parsed_here_or_on_dask_workers(dask_engine: Engine) -> None:
    candidates = _candidates()
    config = TimelineConfig(spacy_batch_size=2)
    here = extract_events(candidates, config)
    on_dask = extract_events(candidates, config, dask_engine)
    assert on_dask == here
    assert here[0].trigger == "shelled" and "Kharkiv" in here[0].targets
    assert here[: len(SENTENCES)] == here[len(SENTENCES) :]
