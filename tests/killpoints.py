"""SIGKILL a stage from inside, at the write of a chosen output, so a fault test kills it exactly where an output
or a cache entry is being written instead of racing a timer.

A process started with `environment(...)` (this hook on PYTHONPATH as `sitecustomize`, and NEWSLINE_KILL_ON set
to a file-name pattern) wraps `pipeline.io`'s atomic writers. The first write whose target name matches the
pattern runs its block to the end, so its hidden temporary file or folder is complete; with `torn` the temporary
is then cut to half its size, as a write stopped mid-way leaves it. Then, before the rename that would publish
the output, the process group the stage was started in is killed with SIGKILL. Processes the stage starts
(the report's notebook kernels) inherit the hook and the group to kill, so a kill inside a notebook kills the
whole stage as a killed job would be.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

KILL_ON = "NEWSLINE_KILL_ON"
TORN = "NEWSLINE_KILL_TORN"
GROUP = "NEWSLINE_KILL_GROUP"
REPO = Path(__file__).resolve().parents[1]
SITECUSTOMIZE = "from tests import killpoints\nkillpoints.install()\n"


def environment(hook_dir: Path, pattern: str | None, torn: bool = False) -> dict[str, str]:
    """The environment for a stage subprocess that dies at the first write of a file named like `pattern`
    (None: no kill, the hook is not installed)."""
    env = {key: value for key, value in os.environ.items() if key not in (KILL_ON, TORN, GROUP)}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    if pattern is not None:
        hook_dir.mkdir(parents=True, exist_ok=True)
        (hook_dir / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
        env["PYTHONPATH"] = os.pathsep.join([str(hook_dir), env["PYTHONPATH"]])
        env[KILL_ON] = pattern
        env[TORN] = "1" if torn else ""
    return env


def _tear(tmp: Path) -> None:
    """Cut a temporary file (or the largest file of a temporary folder) to half its size."""
    files = [tmp] if tmp.is_file() else sorted((p for p in tmp.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    if files:
        victim = files[-1]
        data = victim.read_bytes()
        victim.write_bytes(data[: len(data) // 2])


def _die(tmp: Path) -> None:
    if os.environ.get(TORN):
        _tear(tmp)
    with contextlib.suppress(ProcessLookupError, ValueError):
        os.killpg(int(os.environ[GROUP]), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)  # a kernel in a session of its own was not in the group


def _dying(real: Callable[[Path], contextlib.AbstractContextManager[Path]], pattern: str) -> Callable[..., object]:
    @contextlib.contextmanager
    def writer(target: str | os.PathLike[str]) -> Iterator[Path]:
        with real(target) as tmp:
            yield tmp
            if fnmatch.fnmatchcase(Path(target).name, pattern):
                _die(tmp)

    return writer


def install() -> None:
    """Wrap the atomic writers when NEWSLINE_KILL_ON is set (called by the sitecustomize `environment` writes)."""
    pattern = os.environ.get(KILL_ON)
    if not pattern:
        return
    os.environ.setdefault(GROUP, str(os.getpgid(0)))  # the stage's group; its children inherit it
    from pipeline import io

    io.atomic_path = _dying(io.atomic_path, pattern)  # type: ignore[assignment]
    io.atomic_dir = _dying(io.atomic_dir, pattern)  # type: ignore[assignment]
