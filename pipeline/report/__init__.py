"""The report: parameterised notebooks over the stage outputs, rendered into figures, HTML and PDF.

`corpus_tables`, `topic_tables` and `event_tables` derive the report's tables, and the sentences that read
them, from the ingest, topics and timeline stages' outputs (plain functions over DataFrames, no plotting);
`run_tables` tabulates the run's parameters, metrics and benchmarks; `formatting` words group names, days
and cut text the same way for all of them. `figures` draws the tables with matplotlib, `items` saves each
figure or table with its caption and one sentence of interpretation and turns it into escaped HTML, `render`
converts the executed report notebook into self-contained HTML and a PDF, and `stage` is the DVC stage that
runs the notebooks with papermill.
"""
