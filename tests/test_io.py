"""The atomic writers: a target is replaced whole or not at all, and a killed writer's leftovers are swept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline import io


def test_a_killed_writers_leftover_is_removed_by_the_next_write(tmp_path: Path) -> None:
    leftover_file = tmp_path / ".out.json.abc123.tmp"
    leftover_file.write_text("{half")
    leftover_dir = tmp_path / ".out.json.def456.tmp"
    leftover_dir.mkdir()
    (leftover_dir / "x").write_text("x")
    other = tmp_path / ".other.json.abc123.tmp"  # another target's temporary is not ours to remove
    other.write_text("{")

    io.write_json(tmp_path / "out.json", {"a": 1})

    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.json.abc123.tmp", "out.json"]


def test_a_name_with_glob_characters_sweeps_only_its_own_leftovers(tmp_path: Path) -> None:
    (tmp_path / ".a[1].json.x.tmp").write_text("{")
    (tmp_path / ".a1.json.x.tmp").write_text("{")
    io.write_text(tmp_path / "a[1].json", "{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".a1.json.x.tmp", "a[1].json"]


def test_a_failed_write_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    io.write_text(target, "old")
    with pytest.raises(RuntimeError), io.atomic_path(target) as tmp:
        tmp.write_text("new, half")
        raise RuntimeError("crash")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_dir_replaces_a_folder_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "model"
    target.mkdir()
    (target / "stale.bin").write_text("old")
    with io.atomic_dir(target) as tmp:
        (tmp / "weights.bin").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["weights.bin"]

    with pytest.raises(RuntimeError), io.atomic_dir(target) as tmp:
        (tmp / "weights.bin").write_text("half")
        raise RuntimeError("crash")
    assert (target / "weights.bin").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_pipeline_io_is_the_only_writer_that_renames() -> None:
    """Every output folder or file is put in place by `pipeline.io` (one writer): no module renames on its own."""
    package = Path(__file__).resolve().parent.parent / "pipeline"
    # os.replace/rename and shutil.move put files in place; mkstemp/mkdtemp and ".tmp" names make a writer's own
    # temporaries (tempfile.TemporaryDirectory, for scratch space that is never renamed into place, is fine).
    pattern = re.compile(r"\bos\.(replace|renames?)\(|\bshutil\.move\(|\btempfile\.mk[sd]temp\(|\.tmp\b")
    offenders = [
        f"{path.relative_to(package.parent)}:{number}: {line.strip()}"
        for path in sorted(package.rglob("*.py")) if path.name != "io.py" or path.parent != package
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if pattern.search(line)
    ]
    assert not offenders, offenders
