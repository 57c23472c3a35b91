"""newsline: a reproducible research pipeline for news corpora (ingest, topics, timelines, reports)."""

__version__ = "0.1.0"
