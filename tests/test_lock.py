"""Supply chain: what `make setup` installs is pinned by version and SHA-256 (issue 10, point 6)."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement as PackagingRequirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from tools.lock_requirements import (
    BOOTSTRAP,
    LockError,
    Pin,
    canonical,
    parse_lock,
    parse_requirements,
    pins_from_report,
    render_lock,
)

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ("requirements-bootstrap.lock", "requirements.lock")


def _read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", LOCKS)
def test_every_pinned_line_has_a_sha256(name: str) -> None:
    text = _read(name)
    pins = parse_lock(text)  # raises on an entry without --hash=sha256:<64 hex>
    assert pins
    # No requirement line slips past the parser: every line is a comment, a pin or one of its hashes.
    for line in text.splitlines():
        stripped = line.strip()
        assert (not stripped or stripped.startswith("#") or stripped.startswith("--hash=sha256:")
                or re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*==\S+ \\$", stripped)), line


def test_the_checker_rejects_a_pin_without_a_hash() -> None:
    good = "numpy==2.4.6 \\\n    --hash=sha256:" + "a" * 64 + "\n"
    assert parse_lock(good) == [Pin("numpy", "2.4.6", ("a" * 64,))]
    for bad, reason in [
        ("numpy==2.4.6\n", "no --hash"),
        ("numpy==2.4.6 \\\n    --hash=md5:abc\n", "is not --hash=sha256"),
        ("numpy==2.4.6 \\\n    --hash=sha256:" + "a" * 63 + "\n", "is not --hash=sha256"),
        ("numpy>=2 \\\n    --hash=sha256:" + "a" * 64 + "\n", "not pinned"),
        (good + good, "locked twice"),
    ]:
        with pytest.raises(LockError, match=reason):
            parse_lock(bad)


def test_render_and_parse_round_trip() -> None:
    pins = [Pin("torch", "2.13.0+cpu", ("b" * 64,), note="a local build"), Pin("Jinja2", "3.1.6", ("c" * 64, "d" * 64))]
    text = render_lock(pins, "header line")
    assert text.startswith("# header line\n")
    assert parse_lock(text) == [Pin("Jinja2", "3.1.6", ("c" * 64, "d" * 64)), Pin("torch", "2.13.0+cpu", ("b" * 64,))]


def test_report_without_a_digest_for_a_remote_file_is_an_error(tmp_path: Path) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    wheel.write_bytes(b"demo")
    local = {"metadata": {"name": "demo", "version": "1.0"}, "download_info": {"url": wheel.as_uri()}}
    (pin,) = pins_from_report({"install": [local]})
    assert pin.hashes == ("2a97516c354b68848cdbd8f54a226a0a55b21ed138e207ad6c5cbb9c00aa5aea",)  # sha256(b"demo")
    remote = {"metadata": {"name": "demo", "version": "1.0"}, "download_info": {"url": "https://host/demo.whl"}}
    with pytest.raises(LockError, match="no sha256"):
        pins_from_report({"install": [remote]})


def test_requirements_txt_is_what_the_locks_hold() -> None:
    """Every direct pin is locked at its version; the installers are in the bootstrap lock, nowhere else."""
    requirements = parse_requirements(_read("requirements.txt"))
    bootstrap = {canonical(p.name): p for p in parse_lock(_read("requirements-bootstrap.lock"))}
    project = {canonical(p.name): p for p in parse_lock(_read("requirements.lock"))}
    assert set(bootstrap) <= BOOTSTRAP
    assert not set(project) & BOOTSTRAP
    for requirement in requirements:
        locked = (bootstrap if canonical(requirement.name) in BOOTSTRAP else project).get(canonical(requirement.name))
        assert locked is not None, f"{requirement.name} is in requirements.txt but not locked: run `make lock`"
        assert Version(locked.version) in SpecifierSet(f"=={requirement.version}"), (
            f"{requirement.name}: requirements.txt says {requirement.version}, the lock {locked.version}: run `make lock`")


def test_make_setup_installs_only_from_the_locks() -> None:
    """Each `pip install` of the setup recipe requires hashes, except the editable project (which has none)."""
    recipe = _read("Makefile").split("$(STAMP):", 1)[1].split("\n\n", 1)[0]
    installs = [line.strip() for line in recipe.splitlines() if "pip install" in line]
    assert len(installs) == 3
    for line in installs:
        if line.endswith("-e ."):
            assert "--no-deps" in line
        else:
            assert "--require-hashes" in line and "--no-deps" in line and re.search(r"-r requirements[-\w]*\.lock$", line)
    assert "requirements.lock" in recipe.splitlines()[0] and "requirements-bootstrap.lock" in recipe.splitlines()[0]


def test_the_lock_is_closed_under_dependencies() -> None:
    """Installed with --no-deps, the lock must itself hold every dependency of every locked package.

    Read from the installed packages' metadata, so it needs the environment installed from the lock.
    """
    requirements = parse_requirements(_read("requirements.txt"))
    extras = {canonical(r.name): set(r.extras) for r in requirements}
    no_deps = {canonical(r.name) for r in requirements if r.no_deps}
    pins = parse_lock(_read("requirements.lock")) + parse_lock(_read("requirements-bootstrap.lock"))
    locked = {canonical(p.name): p.version for p in pins}
    missing = []
    for pin in pins:
        try:
            distribution = importlib.metadata.distribution(pin.name)
        except importlib.metadata.PackageNotFoundError:
            pytest.skip(f"{pin.name} is not installed: this environment was not installed from the lock")
        if Version(distribution.version) != Version(pin.version):
            pytest.skip(f"{pin.name} {distribution.version} is installed, the lock says {pin.version}")
        if canonical(pin.name) in no_deps:
            continue
        for text in distribution.requires or []:
            requirement = PackagingRequirement(text)
            wanted = ["", *sorted(extras.get(canonical(pin.name), set()))]
            if requirement.marker is not None and not any(
                requirement.marker.evaluate({**default_environment(), "extra": extra}) for extra in wanted
            ):
                continue
            version = locked.get(canonical(requirement.name))
            if version is None or (requirement.specifier and Version(version) not in requirement.specifier):
                missing.append(f"{pin.name} needs {text}, the lock has {version}")
    assert not missing, missing
