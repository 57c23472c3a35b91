"""`make explore`: JupyterLab in the project's environment, opened on the exploration notebook.

JupyterLab starts each notebook's kernel in the notebook's folder, but the notebooks (the exploration notebook
and the report's) name the stage outputs relative to the repository, as `dvc repro` runs them. For this
session only, an IPython startup file moves every kernel to the repository first; the kernels are this
interpreter's (the project's venv). Usage: `python -m pipeline.report.lab [extra jupyter lab options]`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

NOTEBOOK = Path("notebooks/explore.ipynb")
STARTUP = """\
# Written by `make explore` (pipeline/report/lab.py): run the notebooks from the repository, as dvc repro does.
import os as _os

_os.chdir({root!r})
del _os
"""


def session_environment(root: Path, ipython_dir: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for JupyterLab and its kernels: a private IPython folder whose startup file moves each
    kernel to `root`, and this interpreter's folder first on PATH (so `python` in a terminal is the venv's)."""
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-newsline-root.py").write_text(STARTUP.format(root=str(root.resolve())), encoding="utf-8")
    environment = dict(os.environ if base is None else base)
    environment["IPYTHONDIR"] = str(ipython_dir)
    environment["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), environment.get("PATH", "")])
    return environment


def command(root: Path, extra: list[str]) -> list[str]:
    """jupyter lab on the exploration notebook, serving the repository (as root, e.g. in a container, it must be
    allowed explicitly)."""
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root.resolve()}", *as_root, str(NOTEBOOK),
            *extra]


def main(argv: list[str] | None = None) -> int:
    root = Path.cwd()
    if not (root / NOTEBOOK).is_file():
        print(f"error: {NOTEBOOK} not found; run `make explore` from the repository", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="newsline-ipython-") as folder:
        environment = session_environment(root, Path(folder))
        lab = subprocess.Popen(command(root, list(sys.argv[1:] if argv is None else argv)), env=environment)
        # Ctrl-C reaches JupyterLab directly (it asks, then stops its kernels); a TERM or HUP sent to this launcher
        # is passed on. Either way the launcher waits for JupyterLab to stop before removing the session's folder.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for number in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, lambda received, _frame: lab.send_signal(received))
        return lab.wait()


if __name__ == "__main__":
    sys.exit(main())
