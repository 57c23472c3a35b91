"""Keep the ingest stage's DVC dependencies in step with `ingest.sources`.

DVC cannot template a list of dependencies from params.yaml, so `dvc.yaml` names the corpus files itself. If
it named `data/raw` while `ingest.sources` pointed elsewhere, a changed corpus would not rerun ingest, and a
missing `data/raw` would stop `dvc repro` although nothing reads it. `sync` rewrites the ingest stage's source
dependencies from params (the code dependencies, under `pipeline/`, stay); `unsynced` lists configured sources
that `dvc.yaml` does not declare, which the ingest command refuses to run with. `content_hash` names what
a source held when it was read, for the provenance in metrics and the report.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Sequence
from pathlib import Path

from ruamel.yaml import YAML

CODE_PREFIX = "pipeline/"
STAGE = "ingest"


def content_hash(path: str | Path) -> str | None:
    """SHA-256 of a source's content: a file's bytes, or a folder's files (relative names and bytes, in order)."""
    from pipeline.integrity import sha256_file

    path = Path(path)
    if path.is_file():
        return sha256_file(path)
    if not path.is_dir():
        return None
    digest = hashlib.sha256()
    for member in sorted(item for item in path.rglob("*") if item.is_file()):
        name = os.fsencode(member.relative_to(path).as_posix())  # undecodable file names hash as their bytes
        digest.update(name + f"\0{sha256_file(member)}\n".encode())
    return digest.hexdigest()


def _yaml() -> YAML:
    yaml = YAML()  # round-trip: comments and layout of dvc.yaml survive
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def _normal(path: str) -> str:
    return Path(path).as_posix().rstrip("/")


def declared_sources(dvc_yaml: Path) -> list[str]:
    """The ingest stage's dependencies that are data, not code."""
    stage = (_yaml().load(dvc_yaml.read_text(encoding="utf-8")) or {}).get("stages", {}).get(STAGE) or {}
    return [_normal(str(dep)) for dep in stage.get("deps", []) if not str(dep).startswith(CODE_PREFIX)]


def unsynced(dvc_yaml: Path, sources: Sequence[str]) -> list[str]:
    """Configured sources that `dvc.yaml` does not declare (themselves or a folder holding them) for ingest."""
    declared = [Path(dep) for dep in declared_sources(dvc_yaml)]
    return [source for source in sources
            if not any(Path(_normal(source)) == dep or dep in Path(_normal(source)).parents for dep in declared)]


def sync(dvc_yaml: Path, sources: Sequence[str]) -> bool:
    """Make the ingest stage depend on exactly `sources` (plus its code); True if `dvc.yaml` changed."""
    yaml = _yaml()
    text = dvc_yaml.read_text(encoding="utf-8")
    document = yaml.load(text)
    stage = document["stages"][STAGE]
    code = [dep for dep in stage["deps"] if str(dep).startswith(CODE_PREFIX)]
    wanted = list(dict.fromkeys(_normal(source) for source in sources)) + code
    if [str(dep) for dep in stage["deps"]] == wanted:
        return False
    stage["deps"].clear()
    stage["deps"].extend(wanted)
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    from pipeline.io import write_text

    write_text(dvc_yaml, buffer.getvalue())
    return True
