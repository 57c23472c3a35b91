"""Swappable components, registered by name in the style of spaCy's registry.

Each kind (encoders, reducers, clusterers, representations, date rankers) is a `catalogue` registry of
settings classes. A settings class is a frozen pydantic model whose `name` field is its registered name and
whose other fields are its arguments; it validates them and builds the component (heavy libraries are
imported only then). `params.yaml` names a component with its arguments, `{name: kmeans, n_clusters: 30}`,
and the configuration validates it against the class registered under that name. Other packages can add
components through the entry point groups `newsline_<kind>` (for example `newsline_clusterers`).
"""

from __future__ import annotations

from typing import Annotated, Any, Union

import catalogue
from pydantic import BaseModel, ConfigDict, Field


class Component(BaseModel):
    """Settings of one component: validated strictly, immutable, and recorded by `describe()`."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: str

    def describe(self) -> dict[str, Any]:
        """The name and arguments, as recorded in metrics and the report."""
        return self.model_dump(mode="json")

    def resolve(self, n_documents: int) -> Component:
        """The settings with every size given relative to the corpus turned into a number for `n_documents`
        articles (values the user set in absolute numbers are kept); components without such sizes return
        themselves."""
        return self


ENCODERS = catalogue.create("newsline", "encoders", entry_points=True)
REDUCERS = catalogue.create("newsline", "reducers", entry_points=True)
CLUSTERERS = catalogue.create("newsline", "clusterers", entry_points=True)
REPRESENTATIONS = catalogue.create("newsline", "representations", entry_points=True)
DATE_RANKERS = catalogue.create("newsline", "date_rankers", entry_points=True)


def one_of(registry: catalogue.Registry) -> Any:
    """The pydantic type of a field naming one component of `registry`: its classes told apart by `name`."""
    classes = tuple(registry.get_all().values())
    if len(classes) == 1:
        return classes[0]
    return Annotated[Union[classes], Field(discriminator="name")]  # noqa: UP007 (a runtime tuple of classes)
