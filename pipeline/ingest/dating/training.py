"""Fitting the prior model on a corpus's dated articles (`python -m pipeline dating fit`).

1. The tables are counted on every dated article (`DatePrior.fit`).
2. The weights of each setting are learnt by conditional likelihood of the publication day over the candidate
   days (`fit_weights`), on articles whose tables were counted without them: the outlets are split into two
   folds and each fold's articles are read with the tables of the other (cross-fitting), so the weights learn
   how far the tables carry to an outlet they have not seen. "alone" weighs the cues of the text alone;
   "corpus" adds the calendar and the neighbours of dated articles (each article's date hidden in turn, its
   duplicate cluster excluded), "folder" the calendar and the neighbours of a folder where no date is known.

Date cues are cached on disk by text (`data/cache/dating/`), so refitting or benchmarking re-tags nothing;
the cache file is named after a digest of the code that reads cues (this package's `cues.py` and the
temporal tagger), so a change to either starts a new file rather than reusing stale cues.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from tqdm import tqdm

from pipeline import io
from pipeline.config import DatingConfig
from pipeline.ingest.dating.cues import Cues, extract
from pipeline.ingest.dating.infer import context, neighbour_texts, own_span, posterior_mass
from pipeline.ingest.dating.prior import FEATURES, SETTINGS, DatePrior, default_calibration

FIT_COMMAND = "python -m pipeline dating fit"
FIT_ARTICLES = 3000  # articles whose candidate days the weights are fitted on (the context uses all)
RIDGE = 1.0  # pull of each weight towards 1 (every cue counted once), in units of the summed log-likelihood
CALIBRATION_BINS = 20  # bins of the confidence calibration (equal counts of articles)
MIN_CALIBRATION_BIN = 25  # articles per bin at least

_CODE = [Path(__file__).with_name("cues.py"), *sorted((Path(__file__).parents[2] / "timex").glob("*.py"))]


def code_digest() -> str:
    digest = hashlib.sha256()
    for path in _CODE:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def text_key(body: str, captions: Sequence[str]) -> str:
    return hashlib.sha1("\x00".join([body, *captions]).encode("utf-8")).hexdigest()


def cached_cues(bodies: Sequence[str], captions: Sequence[Sequence[str]], cache_dir: Path | None,
                progress: bool = False) -> list[Cues]:
    """The cues of each (body, captions), read from `cache_dir/dating/` where present and stored there."""
    path = cache_dir / "dating" / f"cues-{code_digest()}.json" if cache_dir is not None else None
    stored: dict[str, list] = json.loads(path.read_text(encoding="utf-8")) if path and path.is_file() else {}
    out, added = [], 0
    for body, caps in tqdm(list(zip(bodies, captions, strict=True)), desc="date cues", unit="art",
                           disable=not progress):
        caps = list(caps)
        key = text_key(body, caps)
        if key not in stored:
            stored[key] = extract(body, caps).to_json()
            added += 1
        out.append(Cues.from_json(stored[key]))
    if path is not None and added:
        io.write_text(path, json.dumps(stored, separators=(",", ":"), sort_keys=True))
    return out


def outlet_folds(outlets: Sequence[str]) -> np.ndarray:
    """Outlets ranked by article count (then name), assigned to folds 0 and 1 alternately; with a single
    outlet, its articles alternate."""
    counts = pd.Series(list(outlets)).value_counts()
    if len(counts) < 2:
        return np.arange(len(outlets)) % 2
    ranked = sorted(counts.index, key=lambda outlet: (-counts[outlet], outlet))
    fold = {outlet: rank % 2 for rank, outlet in enumerate(ranked)}
    return np.array([fold[outlet] for outlet in outlets])


def learn_weights(features: np.ndarray, truth: np.ndarray, start: np.ndarray, ridge: float = RIDGE) -> np.ndarray:
    """Non-negative weights maximising the conditional log-likelihood of the true candidate (`truth`, an index
    per article) under softmax(weights . features) over each article's candidates; `features` is (articles,
    features, days). The ridge pulls each weight towards `start`."""
    rows = np.arange(len(truth))
    at_truth = features[rows, :, truth].astype(np.float64)

    def loss(weights: np.ndarray) -> tuple[float, np.ndarray]:
        scores = np.einsum("nfd,f->nd", features, weights.astype(np.float32)).astype(np.float64)
        top = scores.max(axis=1, keepdims=True)
        probabilities = np.exp(scores - top)
        total = probabilities.sum(axis=1)
        probabilities /= total[:, None]
        log_likelihood = (at_truth @ weights - top[:, 0] - np.log(total)).sum()
        expected = np.einsum("nfd,nd->f", features, probabilities.astype(np.float32)).astype(np.float64)
        penalty = ridge * ((weights - start) ** 2).sum()
        gradient = -(at_truth.sum(axis=0) - expected) + 2 * ridge * (weights - start)
        return -log_likelihood + penalty, gradient

    result = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=[(0.0, 50.0)] * len(start))
    return np.round(result.x, 3)


def learn_calibration(masses: Sequence[float], correct: Sequence[bool], bins: int = CALIBRATION_BINS
                      ) -> dict[str, list[float]]:
    """The map from the logit of the posterior mass within a day of the best day to the probability that the best
    day is within a day of publication: the articles sorted by that logit into up to `bins` bins of equal count,
    each bin's share of hits (a half hit and a half miss added, so no bin says 0 or 1), made non-decreasing by
    pooling adjacent violators; knots at the bins' mean logits (`DatePrior.confidence` interpolates between them
    and keeps the end values beyond). Isotonic rather than logistic: a logistic fitted to the bulk gave texts
    with a flat posterior (a weekday and a year, nothing else) 4-7% where none of them was within a day."""
    masses = np.clip(np.asarray(masses, dtype=float), 1e-6, 1 - 1e-6)
    hits = np.asarray(correct, dtype=float)
    if len(hits) < 2 * MIN_CALIBRATION_BIN:
        return default_calibration()["alone"]
    order = np.argsort(masses, kind="stable")
    logits = np.log(masses / (1 - masses))[order]
    hits = hits[order]
    groups = [g for g in np.array_split(np.arange(len(hits)), min(bins, len(hits) // MIN_CALIBRATION_BIN)) if len(g)]
    blocks = [[float(logits[g].mean()), (float(hits[g].sum()) + 0.5) / (len(g) + 1), len(g)] for g in groups]
    pooled: list[list[float]] = []  # pool adjacent violators: [sum of logits * n, probability, n]
    for mean, probability, n in blocks:
        pooled.append([mean * n, probability, n])
        while len(pooled) > 1 and pooled[-2][1] >= pooled[-1][1]:
            (a_sum, a_p, a_n), (b_sum, b_p, b_n) = pooled[-2], pooled[-1]
            pooled[-2:] = [[a_sum + b_sum, (a_p * a_n + b_p * b_n) / (a_n + b_n), a_n + b_n]]
    return {"logit": [round(total / n, 4) for total, _, n in pooled],
            "probability": [round(probability, 4) for _, probability, _ in pooled]}


def _calibration_of(features: np.ndarray, truth: np.ndarray, weights: np.ndarray) -> dict[str, list[float]]:
    masses, correct = [], []
    for row, true in zip(features, truth, strict=True):
        best, mass = posterior_mass(weights @ row)
        masses.append(mass)
        correct.append(abs(best - true) <= 1)
    return learn_calibration(masses, correct)


def fit_weights(priors: Sequence[DatePrior], cues: Sequence[Cues], texts: Sequence[str], clusters: Sequence[object],
                days: Sequence[int], config: DatingConfig, sample: Sequence[int]
                ) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, list[float]]]]:
    """The weights and the confidence calibration of each setting, learnt on the articles `sample` (each read
    with its own cross-fitted prior `priors[i]`; `days` are the true publication days, ordinals)."""
    days = np.asarray(days, dtype=np.int64)
    sample = list(sample)
    weights: dict[str, dict[str, float]] = {}
    calibration: dict[str, dict[str, list[float]]] = {}
    # alone: the text's own cues over the corpus's days
    first, last = int(days.min()) - config.range_margin_days, int(days.max()) + config.range_margin_days
    candidates = np.arange(first, last + 1)
    features = np.stack([priors[i].features(cues[i], candidates) for i in sample]).astype(np.float32)
    alone = learn_weights(features, days[sample] - first, np.ones(len(FEATURES)))
    weights["alone"] = dict(zip(FEATURES, map(float, alone), strict=True))
    del features
    # an article alone is dated over the years around the one it states, when it names days as news does;
    # calibrated on every article that is dated alone (a few thousand, cheap over three years of days)
    masses, correct = [], []
    for i in range(len(cues)):
        span = own_span(cues[i])
        if span is None or cues[i].state == "bare":
            continue
        best, mass = posterior_mass(alone @ priors[i].features(cues[i], span.days))
        masses.append(mass)
        correct.append(abs(span.first + best - days[i]) <= 1)
    calibration["alone"] = learn_calibration(masses, correct)
    for prior in priors:
        prior.weights = {**prior.weights, "alone": weights["alone"]}  # the context is read with these
    for setting in ("corpus", "folder"):
        start = {**weights["alone"], "calendar": 1.0, "neighbours": 1.0}
        if setting == "corpus":  # the sample's dates hidden, every other article dated
            hidden = set(sample)
            rest = [i for i in range(len(cues)) if i not in hidden]
            found = context([cues[i] for i in sample], [texts[i] for i in sample], [clusters[i] for i in sample],
                            [texts[i] for i in rest], [int(days[i]) for i in rest], [clusters[i] for i in rest],
                            config, [priors[i] for i in sample], list(range(len(sample))), exclude_dated_copies=True)
            positions = list(range(len(sample)))
        else:  # no date known
            found = context(cues, texts, clusters, [], [], [], config, priors, sample)
            positions = sample
        assert found is not None and found.setting == setting
        span = found.span
        inside = [(k, i) for k, i in zip(positions, sample, strict=True) if span.first <= days[i] <= span.last]
        candidates = span.days
        features = np.stack([
            np.vstack([priors[i].features(cues[i], candidates), found.calendar[None],
                       found.neighbours.get(k, (np.zeros(len(candidates)), ""))[0][None]])
            for k, i in inside]).astype(np.float32)
        truth = np.array([days[i] - span.first for _, i in inside])
        learnt = learn_weights(features, truth, np.array([start[name] for name in SETTINGS[setting]]))
        weights[setting] = dict(zip(SETTINGS[setting], map(float, learnt), strict=True))
        calibration[setting] = _calibration_of(features, truth, learnt.astype(np.float32))
        del features
    return weights, calibration


def fit_sample(ids: Sequence[str], limit: int = FIT_ARTICLES) -> list[int]:
    """Up to `limit` positions, chosen by a digest of the article id (the same on every run)."""
    order = sorted(range(len(ids)), key=lambda i: hashlib.sha1(str(ids[i]).encode("utf-8")).hexdigest())
    return sorted(order[:limit])


def fit_prior(articles: pd.DataFrame, cache_dir: Path | None = None, source: str = "",
              progress: bool = False, config: DatingConfig | None = None) -> DatePrior:
    """Fit the prior on the articles dated by metadata (in id order, so the file is the same on every run):
    tables on all of them, weights cross-fitted across two outlet folds (module docstring)."""
    config = config or DatingConfig()
    dated = articles[articles["date_source"] == "metadata"].sort_values("id", kind="stable").reset_index(drop=True)
    if not len(dated):
        raise ValueError("no article has a metadata date to learn from")
    cues = cached_cues(list(dated["body"]), [list(c) for c in dated["captions"]], cache_dir, progress)
    digest = hashlib.sha256("\n".join(f"{i} {d}" for i, d in zip(dated["id"], dated["date"], strict=True))
                            .encode("utf-8")).hexdigest()[:16]
    meta = {
        "command": FIT_COMMAND,
        "source": source,
        "corpus_digest": digest,
        "outlets": int(dated["outlet"].nunique()),
        "first_date": str(min(dated["date"])),
        "last_date": str(max(dated["date"])),
    }
    prior = DatePrior.fit(zip(cues, dated["date"], strict=True), meta)
    fold = outlet_folds(list(dated["outlet"]))
    if len(dated) >= 20 and len(set(fold)) == 2:
        crossed = {f: DatePrior.fit((c, d) for c, d, g in zip(cues, dated["date"], fold, strict=True) if g != f)
                   for f in (0, 1)}
        prior.weights, prior.calibration = fit_weights(
            [crossed[f] for f in fold], cues, neighbour_texts(dated), list(dated["dup_cluster"]),
            [d.toordinal() for d in dated["date"]], config, fit_sample(list(dated["id"])))
        prior.meta["weights_fitted_on"] = min(FIT_ARTICLES, len(dated))
    return prior
