"""Events and timelines: dated event mentions, their merging across outlets, and summary timelines.

`sentences` splits text into located sentences, `tagging` dates every article's sentences with the temporal
tagger, `mentions` picks the dated sentences that report an event and `events` reads them with spaCy into
event records, `merge` groups mentions of one event across articles, `summarise` picks key dates and
sentences (date ranker + sentence selector) and `summary_timeline` feeds it the corpus and writes its answer,
`tls` reads and evaluates news-tls folders, and `stage` is the DVC stage that runs these steps in order.
"""
