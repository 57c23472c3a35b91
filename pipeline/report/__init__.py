"""The report: parameterised notebooks over the stage outputs, rendered into figures, HTML and PDF.

`tables` derives the report's tables from stage outputs (plain functions over DataFrames, no plotting),
`figures` draws them with matplotlib, `items` saves each figure or table with its caption and one sentence
of interpretation and turns it into escaped HTML, `render` converts the executed report notebook into
self-contained HTML and a PDF, and `stage` is the DVC stage that runs the notebooks with papermill.
"""
