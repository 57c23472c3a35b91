"""Recognition and normalisation rules: one regex alternative and one handler per kind of expression.

Every rule is a pattern over lower-cased text plus a function that turns the match into TIMEX3 values (see
`pipeline.timex.engine`). The handlers live by family: `dates` (written dates, clock times, months, years,
seasons), `periods` (quarters, halves, decades, centuries), `counted` (ago, durations, sets), `deictic`
(last week, Friday, yesterday, the next day, now) and `holidays`; `resolve` holds the steps they share.
Handlers run only on matches; they may reject a match on context ("2000 troops" is not a year), letting the
next rule try, or split it ("from Feb. 24-28" gives two dates).
"""

from __future__ import annotations

from pipeline.timex.engine import in_order
from pipeline.timex.rules import counted, dates, deictic, holidays, periods  # noqa: F401  (they register)
from pipeline.timex.rules.fragments import MODIFIER, NUMBER

# Where several rules can start at the same word they are tried in this order, so longer and more specific
# forms come first ("March 7" before "March", "the third quarter" before "the quarter").
ORDER = (
    "iso", "numeric", "clock", "month_day", "day_month", "month_year", "nth_week_of", "quarter", "quarter_code",
    "same_period_last_year", "the_quarter", "year_ago_adjective", "half", "decade", "century", "ago", "set",
    "duration", "year", "season", "relative_unit", "weekday", "relative_day", "mentioned_day", "holiday",
    "reference", "ordinal_day", "month", "bare_units", "the_unit",
)
RULES = in_order(ORDER)

__all__ = ["MODIFIER", "NUMBER", "ORDER", "RULES"]
