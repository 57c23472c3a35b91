"""The timeline stage's one way of using several cores: a map over forked worker processes, in input order.

Both heavy steps go through `process_map`: the temporal tagger over articles and spaCy over event sentences.
Workers are forked, so what the parent loaded before the map (the tagger's rules, the spaCy pipeline) is shared
with them, not loaded again or pickled; each worker returns only small results (timexes, event parts), never
spaCy documents. Results come back in the order of the inputs, whatever the number of processes, so the stage's
outputs do not depend on `n_jobs`. (A later change moves this onto Dask; this function is the place to do it.)
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from typing import TypeVar

from tqdm import tqdm

Item = TypeVar("Item")
Result = TypeVar("Result")



def process_map(
    function: Callable[[Item], Result],
    items: Sequence[Item],
    n_jobs: int,
    chunksize: int = 1,
    desc: str = "",
    unit: str = "item",
    min_items: int = 200,
) -> list[Result]:
    """`[function(item) for item in items]`, spread over `n_jobs` forked processes from `min_items` items on
    (below that, forking costs more than it saves).

    `function` must be a module-level function (the workers look it up by name); whatever it reads from module
    globals set before the call is inherited by the workers.
    """
    progress = {"desc": desc, "unit": unit, "total": len(items), "leave": False, "disable": not desc}
    if n_jobs <= 1 or len(items) < max(min_items, 2):
        return [function(item) for item in tqdm(items, **progress)]
    with multiprocessing.get_context("fork").Pool(n_jobs) as pool:
        return list(tqdm(pool.imap(function, items, chunksize=chunksize), **progress))
