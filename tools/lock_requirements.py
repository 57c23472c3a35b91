"""Regenerate the hash-pinned locks from `requirements.txt` (`make lock`).

`requirements.txt` is the human-written input: the project's direct dependencies, each pinned with `==`.
Two of its kinds of line are treated apart:

- the installers `pip`, `setuptools` and `wheel` go to `requirements-bootstrap.lock`, installed first, so
  the rest is installed by a pinned pip and any source distribution is built by a pinned setuptools
  (`--no-build-isolation`: build isolation would fetch an unpinned setuptools);
- a line marked `# no-deps` (tilse, whose declared dependencies the project does not use) is locked by itself.

Everything else is resolved by pip (`pip install --dry-run --report`) into the full set of packages,
keeping the versions of the current `requirements.lock` for packages not named in `requirements.txt`
(`--upgrade` lets them move). Each locked line names one version and the SHA-256 of the one file pip picks
for CPython 3.11 on Linux x86_64, the only platform the locks are made for. Run it with the project's
environment (`.venv/bin/python tools/lock_requirements.py`): pip's configuration on this machine supplies
the CPU build of torch from the local disk (its `find-links`); everything else comes from PyPI, or from a
local mirror of PyPI that holds byte-identical files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements.txt"
LOCK = ROOT / "requirements.lock"
BOOTSTRAP_LOCK = ROOT / "requirements-bootstrap.lock"
BOOTSTRAP = frozenset({"pip", "setuptools", "wheel"})
NO_DEPS_MARK = "# no-deps"
TARGET = "CPython 3.11 on Linux x86_64"

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?P<extras>\[[^\]]*\])?==(?P<version>[^\s;#]+)$")
_HASH = re.compile(r"^--hash=sha256:[0-9a-f]{64}$")


class LockError(ValueError):
    """A requirements or lock file that does not have the expected form (the message names the line)."""


def canonical(name: str) -> str:
    """PEP 503 normal form: `Jinja2` and `jinja2`, `ruamel.yaml` and `ruamel-yaml` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Requirement:
    """One line of requirements.txt: a pinned package, optionally with extras, optionally installed alone."""

    name: str
    version: str
    extras: tuple[str, ...] = ()
    no_deps: bool = False

    @property
    def spec(self) -> str:
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        return f"{self.name}{extras}=={self.version}"


@dataclass(frozen=True)
class Pin:
    """One locked package: exact version and the SHA-256 digests pip may accept for it."""

    name: str
    version: str
    hashes: tuple[str, ...]
    note: str = ""


def parse_requirements(text: str) -> list[Requirement]:
    """Read requirements.txt; every line must be `name[extras]==version`, with an optional comment."""
    requirements = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _PIN.match(line)
        if match is None:
            raise LockError(f"requirements.txt line {number}: {raw.strip()!r} is not pinned as name==version")
        extras = tuple(e.strip() for e in (match["extras"] or "[]")[1:-1].split(",") if e.strip())
        requirements.append(
            Requirement(match["name"], match["version"], extras, no_deps=NO_DEPS_MARK in raw.lower())
        )
    return requirements


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """Join backslash continuations; drop comments and blank lines. Yields (first line number, line)."""
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not buffer:
            start = number
        if line.endswith("\\"):
            buffer.append(line[:-1].strip())
            continue
        buffer.append(line)
        joined = " ".join(part for part in buffer if part)
        buffer = []
        if joined:
            yield start, joined
    if buffer:
        raise LockError(f"line {start}: the last entry ends with a continuation backslash")


def parse_lock(text: str, *, require_hashes: bool = True) -> list[Pin]:
    """Read a hash-pinned lock; every entry must be `name==version` with at least one sha256 hash.

    `require_hashes=False` reads the versions of a lock written before hashes (only to keep its versions).
    """
    pins: list[Pin] = []
    seen: set[str] = set()
    for number, line in _logical_lines(text):
        spec, *options = line.split()
        match = _PIN.match(spec)
        if match is None or match["extras"]:
            raise LockError(f"line {number}: {spec!r} is not pinned as name==version")
        bad = [option for option in options if not _HASH.match(option)]
        if bad:
            raise LockError(f"line {number}: {spec}: {bad[0]!r} is not --hash=sha256:<64 hex digits>")
        if not options and require_hashes:
            raise LockError(f"line {number}: {spec} has no --hash=sha256: digest")
        name = canonical(match["name"])
        if name in seen:
            raise LockError(f"line {number}: {match['name']} is locked twice")
        seen.add(name)
        pins.append(Pin(match["name"], match["version"], tuple(o.split(":", 1)[1] for o in options)))
    return pins


def render_lock(pins: Iterable[Pin], header: str) -> str:
    """The lock text: a comment header, then one entry per package sorted by name, in pip's hash syntax."""
    lines = [f"# {row}" if row else "#" for row in header.splitlines()]
    for pin in sorted(pins, key=lambda p: canonical(p.name)):
        if pin.note:
            lines.append(f"# {pin.name}: {pin.note}")
        entry = [f"{pin.name}=={pin.version}", *(f"    --hash=sha256:{digest}" for digest in pin.hashes)]
        lines.append(" \\\n".join(entry))
    return "\n".join(lines) + "\n"


def _sha256_of_file_url(url: str) -> str:
    digest = hashlib.sha256()
    with open(unquote(urlparse(url).path), "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pins_from_report(report: dict) -> list[Pin]:
    """The packages of a `pip install --dry-run --report` answer, with the SHA-256 of each chosen file."""
    pins = []
    for item in report["install"]:
        info = item["download_info"]
        url = info["url"]
        digest = info.get("archive_info", {}).get("hashes", {}).get("sha256")
        if digest is None and url.startswith("file:"):
            digest = _sha256_of_file_url(url)
        if digest is None:
            raise LockError(f"{item['metadata']['name']}: pip gave no sha256 for {url}")
        filename = unquote(url.rsplit("/", 1)[-1])
        note = ""
        if not filename.endswith(".whl"):
            note = f"source distribution ({filename}), built by the locked setuptools (--no-build-isolation)"
        elif url.startswith("file:") and "+" in item["metadata"]["version"]:
            note = f"a local build pip finds on this machine's disk ({filename}); PyPI does not serve it"
        pins.append(Pin(item["metadata"]["name"], item["metadata"]["version"], (digest,), note))
    return pins


def _dry_run(python: str, lines: list[str], *, no_deps: bool, constraints: list[str] | None = None) -> list[Pin]:
    with tempfile.TemporaryDirectory(prefix="lock-") as folder:
        requirements = Path(folder) / "requirements.txt"
        requirements.write_text("\n".join(lines) + "\n", encoding="utf-8")
        report = Path(folder) / "report.json"
        command = [python, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                   "--report", str(report), "-r", str(requirements)]
        if no_deps:
            command.append("--no-deps")
        if constraints:
            constraint_file = Path(folder) / "constraints.txt"
            constraint_file.write_text("\n".join(constraints) + "\n", encoding="utf-8")
            command += ["-c", str(constraint_file)]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise LockError("pip could not resolve the requirements:\n" + completed.stderr.strip()
                            + ("\n(a version in requirements.txt may conflict with a kept lock pin: "
                               "try --upgrade)" if constraints else ""))
        return pins_from_report(json.loads(report.read_text(encoding="utf-8")))


def _deduplicated(pins: list[Pin]) -> list[Pin]:
    """One pin per package (a package both resolved and locked alone, such as setuptools, appears twice)."""
    unique: dict[str, Pin] = {}
    for pin in pins:
        first = unique.setdefault(canonical(pin.name), pin)
        if first.version != pin.version:
            raise LockError(f"{pin.name} resolved to both {first.version} and {pin.version}")
    return list(unique.values())


def lock(requirements: list[Requirement], kept: list[Pin], python: str) -> tuple[list[Pin], list[Pin]]:
    """Resolve requirements.txt into (bootstrap pins, project pins), keeping `kept` versions where free."""
    direct = {canonical(r.name) for r in requirements}
    resolved = [r.spec for r in requirements if not r.no_deps and canonical(r.name) not in BOOTSTRAP]
    alone = [r.spec for r in requirements if r.no_deps or canonical(r.name) in BOOTSTRAP]
    constraints = [f"{p.name}=={p.version}" for p in kept
                   if canonical(p.name) not in direct and canonical(p.name) not in BOOTSTRAP]
    constraints += [r.spec for r in requirements if canonical(r.name) in BOOTSTRAP]
    pins = _dry_run(python, resolved, no_deps=False, constraints=constraints)
    if alone:
        pins += _dry_run(python, alone, no_deps=True)
    pins = _deduplicated(pins)
    no_deps = {canonical(r.name) for r in requirements if r.no_deps}
    pins = [Pin(p.name, p.version, p.hashes, p.note or ("installed without its declared dependencies "
                                                         "(marked no-deps in requirements.txt)"
                                                         if canonical(p.name) in no_deps else ""))
            for p in pins]
    bootstrap = [p for p in pins if canonical(p.name) in BOOTSTRAP]
    project = [p for p in pins if canonical(p.name) not in BOOTSTRAP]
    return bootstrap, project


def header(what: str, install: str) -> str:
    return (f"{what}\n"
            f"Generated by `make lock` (tools/lock_requirements.py) from requirements.txt; do not edit by hand.\n"
            f"One version per package and the SHA-256 of the one file pip installs for {TARGET}.\n"
            f"Installed by `make setup`: {install}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upgrade", action="store_true",
                        help="let packages not named in requirements.txt move to their newest compatible versions")
    args = parser.parse_args(argv)
    if sys.version_info[:2] != (3, 11) or sys.platform != "linux" or platform.machine() != "x86_64":
        print(f"error: the locks are made for {TARGET}; this is Python {platform.python_version()} on "
              f"{sys.platform} {platform.machine()}", file=sys.stderr)
        return 2
    try:
        requirements = parse_requirements(REQUIREMENTS.read_text(encoding="utf-8"))
        kept = [] if args.upgrade or not LOCK.exists() else parse_lock(LOCK.read_text(encoding="utf-8"),
                                                                          require_hashes=False)
        bootstrap, project = lock(requirements, kept, sys.executable)
    except LockError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    from pipeline.io import write_text  # the project's atomic writer (the tool runs in the project's venv)

    write_text(BOOTSTRAP_LOCK, render_lock(bootstrap, header(
        "The installers: pip, and setuptools to build the project and any source distribution.",
        "pip install --require-hashes --no-deps -r requirements-bootstrap.lock")))
    write_text(LOCK, render_lock(project, header(
        "Every package the project installs, its dependencies' dependencies included.",
        "pip install --require-hashes --no-deps --no-build-isolation -r requirements.lock")))
    print(f"{BOOTSTRAP_LOCK.name}: {len(bootstrap)} packages; {LOCK.name}: {len(project)} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
