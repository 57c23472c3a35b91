"""`make explore`: the exploration notebook runs on stage outputs (through papermill, on the hostile fixture), and
JupyterLab starts in the project's environment with kernels that run from the repository."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import numpy as np
import psutil
import pytest
import yaml

from pipeline.config import CorpusConfig, ExplorerConfig
from pipeline.corpus import find_outlets, write_outlets
from pipeline.report import explorer, lab
from pipeline.report.stage import private_kernel
from tests.test_explorer import GROUPS, hostile_outputs

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "explore.ipynb"
PLOTLY = "application/vnd.plotly.v1+json"


def write_outputs(root: Path) -> dict[str, Path]:
    """The hostile fixture as the stages write it: parquet, CSV, the embed stage's files, and params.yaml."""
    outputs = hostile_outputs()
    paths = {name: root / name for name in ("interim", "topics", "embeddings", "timeline", "cache", "outlets")}
    for path in paths.values():
        path.mkdir(parents=True)
    outputs.articles.to_parquet(paths["interim"] / "articles.parquet")
    outputs.doc_topics.to_parquet(paths["topics"] / "doc_topics.parquet")
    outputs.topic_info.to_csv(paths["topics"] / "topic_info.csv", index=False)
    np.save(paths["embeddings"] / "embeddings.npy", outputs.embeddings)
    outputs.embedding_ids.assign(text_sha256="0" * 64).to_parquet(paths["embeddings"] / "ids.parquet")
    (paths["embeddings"] / "info.json").write_text(json.dumps({"articles": len(outputs.embeddings)}))
    write_outlets(paths["outlets"], find_outlets(outputs.articles, CorpusConfig(outlet_groups=GROUPS)))
    outputs.events.to_parquet(paths["timeline"] / "timeline.parquet")
    outputs.mentions.to_parquet(paths["timeline"] / "events.parquet")
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["corpus"]["outlet_groups"] = GROUPS
    params["embed"]["cache_dir"] = str(paths["cache"])
    paths["params"] = root / "params.yaml"
    paths["params"].write_text(yaml.safe_dump(params))
    # The report stage leaves the 2-D map in the cache; the notebook reads it from there (a miss recomputes it).
    explorer.map_coordinates(outputs.embedding_ids, outputs.embeddings, ExplorerConfig(), paths["cache"] / "explorer")
    return paths


def test_the_exploration_notebook_runs_on_stage_outputs(tmp_path: Path) -> None:
    import papermill

    paths = write_outputs(tmp_path)
    executed = tmp_path / "explore.ipynb"
    with private_kernel() as kernel:
        papermill.execute_notebook(
            str(NOTEBOOK), str(executed), kernel_name=kernel, cwd=str(REPO), progress_bar=False,
            parameters={"params_path": str(paths["params"]),
                        "articles_path": str(paths["interim"] / "articles.parquet"),
                        "topics_dir": str(paths["topics"]), "embeddings_dir": str(paths["embeddings"]),
                        "timeline_dir": str(paths["timeline"]), "outlets_dir": str(paths["outlets"]),
                        "outlet": "tass.com"},
        )
    cells = [cell for cell in nbformat.read(executed, as_version=4).cells if cell.cell_type == "code"]
    outputs = [output for cell in cells for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    printed = "".join(output.get("text", "") for output in outputs if output.output_type == "stream")
    assert "80 articles, 4 topics" in printed and "from the cache" in printed
    assert "0: <i>troops</i>, border" in printed  # the largest topic, by default
    assert "tass.com: 20 articles" in printed
    assert "2022-01-17-0001: 4 outlets" in printed  # the widest-reported event, by default
    assert "2022-01-17:" in printed  # and its day's coverage
    figures = [output for output in outputs if PLOTLY in output.get("data", {})]
    assert len(figures) == 5  # map, topic by group, agenda, sources, day: interactive plotly figures
    tables = [output for output in outputs if "text/html" in output.get("data", {})]
    assert tables and all("<script>window" not in output["data"]["text/html"] for output in tables)


def test_kernels_of_the_lab_session_run_from_the_repository(tmp_path: Path) -> None:
    from jupyter_client.manager import start_new_kernel

    environment = lab.session_environment(REPO, tmp_path / "ipython")
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(REPO / "notebooks"), env=environment)
    try:
        printed: list[str] = []
        client.execute_interactive(
            "import os, sys; print(os.getcwd()); print(sys.executable)",
            output_hook=lambda message: printed.append(message["content"].get("text", "")), timeout=60,
        )
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    cwd, executable = "".join(printed).split()
    assert Path(cwd) == REPO
    assert Path(executable).parent == Path(sys.executable).parent  # the project's environment


@pytest.mark.integration
def test_make_explore_serves_jupyterlab_with_the_exploration_notebook(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = "newsline-test"
    extra = ["--no-browser", f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}"]
    environment = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-m", "pipeline.report.lab", *extra], cwd=REPO, env=environment,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lab: list[psutil.Process] = []
    try:
        deadline, status = time.monotonic() + 120, None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=5) as reply:
                    status = json.load(reply)
                break
            except OSError:
                time.sleep(0.5)
        assert status is not None, f"JupyterLab did not start: {process.stderr.read() if process.poll() else ''}"
        url = f"http://127.0.0.1:{port}/api/contents/notebooks/explore.ipynb?token={token}&content=0"
        with urllib.request.urlopen(url, timeout=10) as reply:
            assert json.load(reply)["type"] == "notebook"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/kernelspecs?token={token}", timeout=10) as reply:
            assert "python3" in json.load(reply)["kernelspecs"]
        lab = psutil.Process(process.pid).children()
        assert [" ".join(child.cmdline()[1:3]) for child in lab] == ["-m jupyterlab"]
    finally:
        process.terminate()  # the launcher passes it on to JupyterLab and waits for it
        process.wait(timeout=60)
    _, alive = psutil.wait_procs(lab, timeout=30)
    assert not alive, "JupyterLab outlived its launcher"
