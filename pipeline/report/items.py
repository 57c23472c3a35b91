"""Figures and tables saved with their caption and interpretation, and rendered as escaped HTML for the report.

The analysis notebooks save each item once (a figure as PNG and SVG, a table as CSV, each with a JSON
sidecar holding its title, caption and one sentence of interpretation); the report notebook lays them out.
Every string that reaches the report's HTML goes through `html.escape` here: corpus text (titles, sentences,
outlet names) must never become markup, so an article containing `<script>` shows as text and never runs.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from pipeline import io


@dataclass(frozen=True)
class Item:
    name: str
    kind: str  # "figure" or "table"
    title: str
    caption: str
    interpretation: str


class ItemStore:
    """Saves items in one folder and renders them in the order the report asks, numbering them as it goes."""

    def __init__(self, directory: str | Path, dpi: int = 200) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.dpi = dpi
        self.numbers = {"figure": 0, "table": 0}

    def save_figure(self, figure: Figure, name: str, title: str, caption: str, interpretation: str) -> Item:
        """PNG (for HTML and PDF) and SVG (for print and slides); metadata without dates so re-runs are stable."""
        with io.atomic_path(self.directory / f"{name}.png") as tmp:
            figure.savefig(tmp, format="png", dpi=self.dpi, metadata={"Software": None})
        with io.atomic_path(self.directory / f"{name}.svg") as tmp:
            figure.savefig(tmp, format="svg", metadata={"Date": None, "Creator": None})
        return self._describe(Item(name, "figure", title, caption, interpretation))

    def save_table(self, frame: pd.DataFrame, name: str, title: str, caption: str, interpretation: str) -> Item:
        io.write_text(self.directory / f"{name}.csv", frame.to_csv(index=False))
        return self._describe(Item(name, "table", title, caption, interpretation))

    def _describe(self, item: Item) -> Item:
        io.write_json(self.directory / f"{item.name}.json", asdict(item))
        return item

    def has(self, name: str) -> bool:
        """Whether an earlier notebook made the item (some are made only when the data allow them)."""
        return (self.directory / f"{name}.json").is_file()

    def load(self, name: str) -> Item:
        path = self.directory / f"{name}.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: the notebook that makes '{name}' did not run")
        return Item(**json.loads(path.read_text(encoding="utf-8")))

    def html(self, name: str) -> str:
        """The item as an HTML block: numbered title, the image or table, caption and interpretation."""
        item = self.load(name)
        self.numbers[item.kind] += 1
        heading = f"{item.kind.capitalize()} {self.numbers[item.kind]}. {item.title}"
        css = f"item {item.kind}"
        if item.kind == "figure":
            encoded = base64.b64encode((self.directory / f"{name}.png").read_bytes()).decode("ascii")
            body = f'<img src="data:image/png;base64,{encoded}" alt="{escape(item.title)}">'
        else:
            frame = pd.read_csv(self.directory / f"{name}.csv", keep_default_na=False, dtype=str)
            body = table_html(frame) if len(frame) else '<p class="note">(no rows: the sentence below says why)</p>'
            css += f" cols-{len(frame.columns)}"  # the stylesheet sizes a table's columns by how many it has
        return (
            f'<figure class="{css}" id="{escape(name)}">'
            f'<div class="item-title">{escape(heading)}</div>{body}'
            f'<figcaption><span class="caption">{escape(item.caption)}</span> '
            f'<span class="interpretation">{escape(item.interpretation)}</span></figcaption></figure>'
        )


def escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def table_html(frame: pd.DataFrame) -> str:
    """A DataFrame as an HTML table with every cell escaped (pandas escapes cells and headers by default)."""
    return frame.to_html(index=False, escape=True, border=0, na_rep="", classes="data")


def paragraph(text: str, css_class: str = "") -> str:
    attribute = f' class="{escape(css_class)}"' if css_class else ""
    return f"<p{attribute}>{escape(text)}</p>"


def bullet_list(lines: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>"


def show(markup: str) -> None:
    """Display HTML in the running notebook (imported lazily: only notebooks need IPython)."""
    from IPython.display import HTML, display

    display(HTML(markup))
