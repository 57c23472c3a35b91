"""Loading `params.yaml`, the one place for the pipeline's knobs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

DEFAULT_PARAMS = Path("params.yaml")


class ParamsError(ValueError):
    """Raised when params.yaml is missing, malformed, or lacks a section a stage needs."""


def load_params(path: str | os.PathLike[str] = DEFAULT_PARAMS) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"parameter file not found: {path}")
    with open(path, encoding="utf-8") as handle:
        params = yaml.safe_load(handle)
    if not isinstance(params, dict):
        raise ParamsError(f"{path} must hold a mapping of stage names to settings")
    return params


def section(params: dict[str, Any], name: str) -> dict[str, Any]:
    """Return one stage's settings, with a clear error when the section is absent."""
    try:
        value = params[name]
    except KeyError:
        raise ParamsError(f"params.yaml has no '{name}' section") from None
    if not isinstance(value, dict):
        raise ParamsError(f"params.yaml section '{name}' must be a mapping")
    return value
