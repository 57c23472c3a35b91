"""Language identification with py3langid (a maintained, offline fork of langid.py)."""

from __future__ import annotations

from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

SAMPLE_CHARS = 1000  # the opening of an article (title and lead) is enough to tell its language, and keeps this fast


@cache
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str, float]:
    """Return (ISO 639-1 code, probability) for the opening of `text`."""
    language, probability = _identifier().classify(text[:SAMPLE_CHARS])
    return language, round(float(probability), 4)
