"""The executed report notebook → self-contained HTML without code → PDF.

nbconvert's `basic` template gives the cells' outputs without the notebook chrome (and without the
CDN scripts of the `lab` template); we wrap them in our own page with print CSS. Images are already
data URIs in the outputs, so the HTML stands alone. WeasyPrint lays the same HTML out as A4 pages in
process: no browser is downloaded or started.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from pipeline import io
from pipeline.report.items import escape

log = logging.getLogger(__name__)

EMBEDDED_IMAGE = re.compile(r"<img\b[^>]*\bsrc=\"data:image/png;base64,")

STYLESHEET = """
@page { size: A4; margin: 18mm 16mm 18mm 16mm;
        @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; color: #666; } }
html { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; line-height: 1.45; color: #1a1a1a; }
body { max-width: 190mm; margin: 0 auto; padding: 0 4mm; }
@media print { body { max-width: none; padding: 0; } }
h1 { font-size: 20pt; margin: 0 0 4pt 0; line-height: 1.2; }
h2 { font-size: 14pt; margin: 18pt 0 6pt 0; border-bottom: 1px solid #ccc; padding-bottom: 2pt;
     break-after: avoid; }
h3 { font-size: 11pt; margin: 12pt 0 4pt 0; break-after: avoid; }
p, li { margin: 0 0 5pt 0; }
.subtitle { color: #555; font-size: 10.5pt; margin-bottom: 10pt; }
.anchor-link { display: none; }
figure.item { margin: 10pt 0 14pt 0; break-inside: avoid; }
figure.item img { width: 100%; max-height: 228mm; object-fit: contain; }
.item-title { font-weight: bold; margin-bottom: 4pt; break-after: avoid; }
figcaption { font-size: 8.5pt; color: #333; margin-top: 4pt; }
figcaption .interpretation { font-style: italic; }
table.data { border-collapse: collapse; font-size: 7.8pt; width: 100%; margin: 2pt 0; }
table.data th { text-align: left; border-bottom: 1.2px solid #444; padding: 2pt 4pt; vertical-align: bottom; }
table.data td { border-bottom: 0.5px solid #ddd; padding: 2pt 4pt; vertical-align: top; }
table.data tr { break-inside: avoid; }
figure.table { break-inside: auto; }
#top_events table.data { table-layout: fixed; }
#top_events th, #top_events td { box-sizing: border-box; }
#top_events.cols-6 th:nth-child(1) { width: 11%; } #top_events.cols-6 th:nth-child(2) { width: 8%; }
#top_events.cols-6 th:nth-child(3) { width: 8%; } #top_events.cols-6 th:nth-child(4) { width: 15%; }
#top_events.cols-6 th:nth-child(5) { width: 35%; } #top_events.cols-6 th:nth-child(6) { width: 23%; }
#top_events.cols-6 td:nth-child(4), #top_events.cols-6 td:nth-child(6) { font-size: 7pt; color: #444; }
#top_events.cols-4 th:nth-child(1) { width: 12%; } #top_events.cols-4 th:nth-child(2) { width: 9%; }
#top_events.cols-4 th:nth-child(3) { width: 13%; } #top_events.cols-4 th:nth-child(4) { width: 66%; }
figure[id^="eval_"] table.data { width: auto; min-width: 55%; }
#parameters table.data { font-size: 7pt; }
#parameters table.data td { padding: 1pt 4pt; }
.facts { background: #f3f6fa; border-left: 3px solid #2166ac; padding: 6pt 10pt; margin: 8pt 0; }
.note { color: #555; font-size: 8.5pt; }
.warning { background: #fdf3e7; border-left: 3px solid #e08214; padding: 6pt 10pt; margin: 8pt 0; }
h1 { break-after: avoid; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; }
"""


@dataclass(frozen=True)
class Rendered:
    html_bytes: int
    pdf_bytes: int
    pages: int
    images: int


def notebook_body(notebook_path: Path) -> str:
    """The notebook's markdown and outputs as HTML, with every code cell's input left out."""
    notebook = nbformat.read(notebook_path, as_version=4)
    exporter = HTMLExporter(template_name="basic")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(notebook)
    return body


def page(body: str, title: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLESHEET}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def render(notebook_path: Path, title: str, html_path: Path, pdf_path: Path) -> Rendered:
    """Write the report's HTML and PDF; return their sizes, the PDF's page count and the images embedded."""
    from weasyprint import HTML

    document = page(notebook_body(notebook_path), title)
    io.write_text(html_path, document)
    layout = HTML(string=document, base_url=str(html_path.parent.resolve())).render()
    with io.atomic_path(pdf_path) as tmp:
        layout.write_pdf(tmp)
    return Rendered(
        html_bytes=len(document.encode("utf-8")),
        pdf_bytes=pdf_path.stat().st_size,
        pages=len(layout.pages),
        images=len(EMBEDDED_IMAGE.findall(document)),
    )
