"""The typed configuration: params.yaml validated once, one clear error, one exit code, components by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline import paths
from pipeline.cli import main
from pipeline.components.clustering import KMeans
from pipeline.components.reduction import Pca
from pipeline.config import EXIT_CONFIG, ConfigError, Params, load_config, parse_params

REPO = Path(__file__).resolve().parents[1]
STAGE_COMMANDS = ("ingest", "outlets", "embed", "topics", "timeline", "report")


def _params(**sections: Any) -> dict[str, Any]:
    return {"ingest": {"sources": ["data/raw/csli.parquet"]}, **sections}


def test_params_yaml_is_valid_and_its_values_are_the_built_in_defaults() -> None:
    """Outside the repository the defaults apply: they must be the values params.yaml records and explains."""
    params = load_config(REPO / "params.yaml")
    defaults = Params(ingest=params.ingest, corpus=params.corpus, report=params.report)
    assert params.embed == defaults.embed
    # The stop-word list names this corpus's outlets and agencies: it is the one setting with no default.
    # Caches are kept only where params.yaml asks (null outside it: library calls and tests write none).
    assert params.topics == defaults.topics.model_copy(
        update={"vectorizer": params.topics.vectorizer, "cache_dir": params.topics.cache_dir})
    assert params.timeline == defaults.timeline.model_copy(update={"cache_dir": params.timeline.cache_dir})


def test_a_typo_is_rejected_with_the_key_and_what_is_allowed() -> None:
    with pytest.raises(ConfigError) as error:
        parse_params({"ingest": {"sources": ["x"], "min_char": 100}})
    assert "ingest.min_char = 100: unknown setting; allowed here:" in str(error.value)
    assert "min_chars" in str(error.value)


def test_a_wrong_type_is_rejected_not_coerced() -> None:
    with pytest.raises(ConfigError, match=r"timeline\.merge\.max_day_gap = '1': Input should be a valid integer"):
        parse_params(_params(timeline={"merge": {"max_day_gap": "1"}}))
    with pytest.raises(ConfigError, match=r"corpus\.canonical_only = 'yes'"):
        parse_params(_params(corpus={"canonical_only": "yes"}))


def test_every_problem_is_listed_at_once() -> None:
    bad = {
        "ingest": {"sources": []},
        "topics": {"clusterer": {"name": "kmeans"}, "outliers": {"strategy": "magic"}},
        "timeline": {"event_granularities": ["fortnight"]},
    }
    with pytest.raises(ConfigError) as error:
        parse_params(bad)
    message = str(error.value)
    assert "4 invalid setting(s)" in message
    for key in ("ingest.sources", "topics.clusterer.kmeans.n_clusters", "topics.outliers.strategy",
                "timeline.event_granularities.0"):
        assert key in message


def test_ranges_and_allowed_values() -> None:
    for section, value, key in [
        ("ingest", {"sources": ["x"], "dedup": {"threshold": 1.5}}, "ingest.dedup.threshold"),
        ("topics", {"reducer": {"name": "umap", "n_neighbors": 1}}, "topics.reducer.umap.n_neighbors"),
        ("embed", {"text": "abstract"}, "embed.text"),
        ("report", {"compare_groups": ["western"]}, "report"),
        ("timeline", {"summary": {"ranker": {"name": "mention_counts", "coverage_weight": -1.0}}},
         "timeline.summary.ranker.mention_counts.coverage_weight"),
        ("timeline", {"summary": {"ranker": {"name": "mention_counts", "unnamed_last": "yes"}}},
         "timeline.summary.ranker.mention_counts.unnamed_last"),
    ]:
        data = _params(**{section: value}) if section != "ingest" else {"ingest": value}
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            parse_params(data)


def test_an_unknown_component_names_the_registered_ones() -> None:
    with pytest.raises(ConfigError, match=r"'kmean' .* expected tags: 'hdbscan', 'kmeans'"):
        parse_params(_params(topics={"clusterer": {"name": "kmean", "n_clusters": 3}}))
    with pytest.raises(ConfigError, match="expected tags: 'minilm', 'model2vec', 'sentence_transformers'"):
        parse_params(_params(embed={"encoder": {"name": "word2vec"}}))


def test_components_are_swapped_from_params_alone() -> None:
    params = parse_params(_params(topics={"reducer": {"name": "pca", "n_components": 8},
                                          "clusterer": {"name": "kmeans", "n_clusters": 30}}))
    assert params.topics.reducer == Pca(n_components=8)
    assert params.topics.clusterer == KMeans(n_clusters=30)
    assert params.topics.clusterer.describe() == {"name": "kmeans", "n_clusters": 30, "n_init": 10}


def test_outlets_in_two_groups_and_undefined_compare_groups_are_rejected() -> None:
    with pytest.raises(ConfigError, match=r"'x\.com' is in both 'a' and 'b'"):
        parse_params(_params(corpus={"outlet_groups": {"a": ["x.com"], "b": ["x.com"]}}))
    with pytest.raises(ConfigError, match=r"report\.compare_groups names \['b'\], not defined"):
        parse_params(_params(corpus={"outlet_groups": {"a": ["x.com"]}}, report={"compare_groups": ["a", "b"]}))


def test_not_a_mapping_and_not_yaml_are_clear_errors(tmp_path: Path) -> None:
    (tmp_path / "list.yaml").write_text("- ingest\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_config(tmp_path / "list.yaml")
    (tmp_path / "broken.yaml").write_text("ingest: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(tmp_path / "broken.yaml")
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.yaml")


def test_yaml_tags_that_build_objects_are_refused(tmp_path: Path) -> None:
    (tmp_path / "evil.yaml").write_text("ingest: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(tmp_path / "evil.yaml")


@pytest.mark.parametrize("command", STAGE_COMMANDS)
def test_every_stage_command_exits_with_the_same_code_on_a_bad_params_file(
    command: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["timeline"]["merge"]["max_day_gap"] = "1"
    params["ingest"]["min_char"] = 100
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    assert main([command, f"--params={tmp_path / 'params.yaml'}"]) == EXIT_CONFIG
    assert "ingest.min_char" in caplog.text and "timeline.merge.max_day_gap" in caplog.text


def test_dvc_yaml_lists_exactly_the_sections_each_stage_reads() -> None:
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    assert stages["ingest"]["params"] == ["ingest"]
    assert stages["outlets"]["params"] == ["corpus"]  # groups, countries, and which articles count
    assert stages["embed"]["params"] == ["embed", "corpus.canonical_only"]
    assert stages["topics"]["params"] == ["topics", "embed", "corpus.canonical_only"]
    assert stages["timeline"]["params"] == ["timeline", "corpus"]
    assert set(stages["report"]["params"]) == set(Params.model_fields)  # it prints every parameter of the run


def test_each_stage_command_hands_its_stage_exactly_the_params_dvc_yaml_lists() -> None:
    """The command-line layer passes each stage function its sections (`config.embed`, `config.corpus...`): what
    each command reads of the configuration must be what dvc.yaml lists, or a change would not rerun the stage."""
    import re

    source = (REPO / "pipeline" / "cli.py").read_text(encoding="utf-8")
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    for stage in ("outlets", "embed", "topics", "timeline"):
        body = re.search(rf"\ndef _{stage}\(args.*?(?=\ndef |\n# ---)", source, re.S)
        assert body, f"no _{stage} command in pipeline/cli.py"
        read = set(re.findall(r"\bconfig\.(\w+(?:\.\w+)?)", body.group(0)))
        whole = {name for name in read if "." not in name}  # a section read whole covers its keys
        read = whole | {name for name in read if name.split(".")[0] not in whole}
        # `engine` says where the work runs, not what it gives (the same bytes under both engines: test_engine.py,
        # test_robust_determinism.py), so no stage lists it and switching engines reruns nothing (README)
        assert read - {"engine"} == set(stages[stage]["params"]), stage
        assert "engine" not in stages[stage]["params"], stage


def test_dvc_yaml_mirrors_the_default_paths() -> None:
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]

    def outs(stage: str) -> set[str]:
        declared = stages[stage].get("outs", []) + stages[stage].get("metrics", [])
        return {item if isinstance(item, str) else next(iter(item)) for item in declared}

    assert {str(paths.ARTICLES), str(paths.QUARANTINE), str(paths.INGEST_METRICS)} <= outs("ingest")
    assert outs("outlets") == {str(paths.OUTLETS)}
    assert str(paths.OUTLETS) in stages["report"]["deps"]
    assert str(paths.EMBEDDINGS) in outs("embed")
    assert str(paths.TOPICS_METRICS) in outs("topics")
    assert all(out.startswith(str(paths.TOPICS)) for out in outs("topics") if out.startswith("data/"))
    assert all(out.startswith(str(paths.TIMELINE)) for out in outs("timeline") if out.startswith("data/"))
    assert str(paths.TIMELINE_METRICS) in outs("timeline")
    assert str(paths.REPORT_METRICS) in outs("report")
    for stage in ("outlets", "embed", "topics", "timeline", "report"):
        assert str(paths.ARTICLES) in stages[stage]["deps"]
        assert stages[stage]["cmd"] == f"python -m pipeline {stage}"  # every path is the default
