"""Publication dates: parsed from metadata when the source has them, inferred from the text otherwise.

- `metadata.py`: dates, timestamps and date strings of a date column;
- `cues.py`: what an article's text says about its date ("March 14", "on Monday", "yesterday", years, captions);
- `prior.py`: the shipped prior model relating cues to the publication day (`python -m pipeline dating fit`);
- `infer.py`: the posterior over candidate days, with the corpus's calendar and similar articles' dates.
"""

from pipeline.ingest.dating.cues import Cues, extract
from pipeline.ingest.dating.infer import DateGuess, DateInferrer, infer_dates, infer_missing_dates, load_prior
from pipeline.ingest.dating.metadata import parse_metadata_date
from pipeline.ingest.dating.prior import DEFAULT_MODEL, DatePrior

__all__ = [
    "DEFAULT_MODEL",
    "Cues",
    "DateGuess",
    "DateInferrer",
    "DatePrior",
    "extract",
    "infer_dates",
    "infer_missing_dates",
    "load_prior",
    "parse_metadata_date",
]
