"""Events and timelines: dated event mentions, their merging across outlets, and summary timelines.

`sentences` splits text into located sentences, `events` turns dated sentences into event records,
`merge` groups mentions of one event across articles, `summarise` picks key dates and sentences
(date ranker + sentence selector), `tls` reads and evaluates news-tls folders, `stage` is the DVC stage.
"""
