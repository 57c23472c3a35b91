"""A stage killed with SIGKILL and rerun ends with the outputs of an uninterrupted run, and a kill never leaves
an output file that looks valid but is not: every visible output is complete or absent.

The ingest command runs as a subprocess on a generated corpus of plain-text articles.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
OUTPUTS = ("articles.parquet", "quarantine.parquet", "ingest.json")
WORDS = ["council", "budget", "minister", "talks", "border", "troops", "grain", "port", "ships", "prices", "energy", "gas", "election", "court", "judge", "police", "protest", "hospital", "school", "bridge", "road", "village", "city", "region", "market", "bank", "rate", "inflation", "summit"]


def _corpus(folder: Path, n: int) -> Path:
    """`n` distinct articles in the seed's layout (title line, blank line, paragraphs), some too short."""
    rng = random.Random(3)
    folder.mkdir()
    for index in range(n):
        sentences = [" ".join(rng.choices(WORDS, k=12)).capitalize() + "." for _ in range(rng.randint(1, 12))]
        body = "\n\n".join(" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3))
        title = " ".join(rng.choices(WORDS, k=6)).title()
        (folder / f"{index:05d}.txt").write_text(f"{title}\n\n{body} Reported on March {index % 28 + 1}, 2022.\n")
    return folder


def _start(corpus: Path, out: Path, stderr: Path) -> subprocess.Popen[bytes]:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["ingest"]["cache_dir"] = str(out.parent / "cache")  # the ingest cache of these runs, not the repository's
    (out.parent / "params.yaml").write_text(yaml.safe_dump(params))
    command = [sys.executable, "-m", "pipeline", "ingest", "--source", str(corpus), "--out-dir", str(out)]
    command += ["--metrics", str(out / "ingest.json"), f"--params={out.parent / 'params.yaml'}"]
    with open(stderr, "wb") as log:
        # Its own process group, so the kill reaches the worker processes too, as a killed job's would.
        return subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)


def _digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.glob("*") if not p.name.startswith(".")}


def _kill_when(proc: subprocess.Popen[bytes], ready: object, timeout: float = 120) -> bool:
    """SIGKILL the process group as soon as `ready()` holds; False when the run ended first."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if ready():  # type: ignore[operator]
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.02)
    proc.wait(timeout=timeout)
    return False


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("kill")
    corpus = _corpus(root / "corpus", 1000)
    proc = _start(corpus, root / "clean", root / "clean.log")
    assert proc.wait(timeout=300) == 0, (root / "clean.log").read_text()
    digests = _digests(root / "clean")
    assert sorted(digests) == sorted(OUTPUTS)
    return corpus, digests


def _check_partial_then_rerun(corpus: Path, out: Path, log: Path, clean: dict[str, str]) -> None:
    for name, digest in _digests(out).items():
        assert digest == clean[name], f"{name} was left half-written by the kill"
    for leftover in out.glob(".*"):  # an interrupted atomic write: hidden, and no reader takes it for an output
        assert leftover.name.endswith(".tmp")
    rerun = _start(corpus, out, log)
    assert rerun.wait(timeout=300) == 0, log.read_text()
    assert _digests(out) == clean
    assert not list(out.glob(".*")), "the rerun left the killed run's temporaries behind"


def test_ingest_killed_mid_run_and_rerun_matches_an_uninterrupted_run(
    baseline: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    corpus, clean = baseline
    out, log = tmp_path / "out", tmp_path / "ingest.log"
    proc = _start(corpus, out, log)

    def some_progress() -> bool:
        counts = re.findall(rb": (\d+)rec \[", log.read_bytes())
        return bool(counts) and int(counts[-1]) >= 150

    assert _kill_when(proc, some_progress), "ingest finished before it could be killed"
    assert proc.returncode == -signal.SIGKILL
    assert not _digests(out), "outputs were written before the records were all read"
    _check_partial_then_rerun(corpus, out, tmp_path / "rerun.log", clean)


def test_ingest_killed_while_writing_leaves_no_half_written_output(
    baseline: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    corpus, clean = baseline
    out, log = tmp_path / "out", tmp_path / "ingest.log"
    proc = _start(corpus, out, log)
    # The out folder appears with the first temporary file: the kill lands during the writes.
    killed = _kill_when(proc, lambda: out.is_dir() and any(out.iterdir()))
    assert killed or proc.returncode == 0
    _check_partial_then_rerun(corpus, out, tmp_path / "rerun.log", clean)
