"""Behaviour of the temporal tagger on sentences written for these tests (document date: Tuesday 2022-03-15)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from pipeline.timex import Timex, tag
from pipeline.timex import tagger as tagger_module
from pipeline.timex.tense import FUTURE, PAST, UNKNOWN, direction

DCT = "2022-03-15"


def found(text: str, dct: str | dt.date | None = DCT) -> list[tuple[str, str, str]]:
    return [(t.text, t.type, t.value) for t in tag(text, dct)]


def single(text: str, dct: str | dt.date | None = DCT) -> Timex:
    timexes = tag(text, dct)
    assert len(timexes) == 1, timexes
    return timexes[0]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Russian troops shelled the city on Sunday, officials said.", ("Sunday", "2022-03-13")),
        ("Zelensky addressed the parliament on Tuesday.", ("Tuesday", "2022-03-15")),
        ("The delegations will meet again on Monday.", ("Monday", "2022-03-21")),
        ("Officials said talks are scheduled to resume on Thursday.", ("Thursday", "2022-03-17")),
        ("He said it would hold a referendum on Saturday.", ("Saturday", "2022-03-19")),
        ("The mayor was evacuated last Friday.", ("last Friday", "2022-03-11")),
        ("The summit opens next Friday.", ("next Friday", "2022-03-18")),
        ("Protesters gathered in Sunday's rain.", ("Sunday", "2022-03-13")),
    ],
)
def test_weekdays_point_back_unless_the_sentence_looks_ahead(sentence: str, expected: tuple[str, str]) -> None:
    timex = single(sentence)
    assert (timex.text, timex.type, timex.value, timex.anchored) == (*expected[:1], "DATE", expected[1], True)


def test_weekday_with_part_of_day_is_a_time() -> None:
    assert found("Shelling resumed on Monday morning.") == [("Monday morning", "TIME", "2022-03-14TMO")]


@pytest.mark.parametrize(
    ("phrase", "value"),
    [
        ("last week", "2022-W10"),
        ("this week", "2022-W11"),
        ("next week", "2022-W12"),
        ("last month", "2022-02"),
        ("next month", "2022-04"),
        ("last year", "2021"),
        ("next year", "2023"),
        ("this year", "2022"),
        ("yesterday", "2022-03-14"),
        ("today", "2022-03-15"),
        ("tomorrow", "2022-03-16"),
        ("the day before yesterday", "2022-03-13"),
        ("three weeks ago", "2022-W08"),
        ("two years ago", "2020"),
        ("ten days ago", "2022-03-05"),
    ],
)
def test_relative_expressions_resolve_against_the_document_date(phrase: str, value: str) -> None:
    timex = single(f"It happened {phrase}, the ministry said.")
    assert (timex.text, timex.type, timex.value, timex.anchored) == (phrase, "DATE", value, True)


def test_earlier_this_month_keeps_the_modifier_in_the_extent() -> None:
    timex = single("Earlier this month, Russian forces crossed the border.")
    assert (timex.text, timex.value, timex.mod) == ("Earlier this month", "2022-03", "START")


@pytest.mark.parametrize(
    ("phrase", "value", "mod"),
    [("early next year", "2023", "START"), ("mid-March", "2022-03", "MID"), ("late 2021", "2021", "END"),
     ("the end of February", "2022-02", "END")],
)
def test_point_modifiers(phrase: str, value: str, mod: str) -> None:
    timex = single(f"The decision came {phrase}.")
    assert (timex.text, timex.value, timex.mod) == (phrase, value, mod)


def test_tonight_and_last_night_are_times() -> None:
    assert found("Sirens sounded last night and will sound again tonight.") == [
        ("last night", "TIME", "2022-03-14TNI"), ("tonight", "TIME", "2022-03-15TNI")]


def test_the_day_before_anchors_on_the_date_mentioned_last() -> None:
    assert found("The convoy left on March 7, 2022. The day before, the bridge was blown up.") == [
        ("March 7, 2022", "DATE", "2022-03-07"), ("The day before", "DATE", "2022-03-06")]


def test_days_later_count_from_the_date_mentioned_last() -> None:
    assert found("Talks began on March 7. Two days later, they collapsed.")[-1] == ("Two days later", "DATE",
                                                                                   "2022-03-09")


def test_ranges_give_two_dates() -> None:
    assert found("Fighting raged from February 24 to March 2.") == [
        ("February 24", "DATE", "2022-02-24"), ("March 2", "DATE", "2022-03-02")]
    assert found("Shelling continued on Feb. 24-28.") == [("Feb. 24", "DATE", "2022-02-24"),
                                                          ("28", "DATE", "2022-02-28")]
    assert found("between 2014 and 2022") == [("2014", "DATE", "2014"), ("2022", "DATE", "2022")]
    assert found("the 2014-15 offensive") == [("2014", "DATE", "2014"), ("15", "DATE", "2015")]


@pytest.mark.parametrize(
    ("phrase", "value"),
    [
        ("10:30 a.m. GMT", "2022-03-15T10:30Z"),
        ("0930 GMT", "2022-03-15T09:30Z"),
        ("14:00 Kyiv time", "2022-03-15T14:00"),
        ("5 p.m. local time", "2022-03-15T17:00"),
        ("noon Thursday", "2022-03-10T12:00"),
        ("10 p.m. Wednesday", "2022-03-09T22:00"),
        ("midnight", "2022-03-15T24:00"),
    ],
)
def test_clock_times_with_zones_and_days(phrase: str, value: str) -> None:
    timex = single(f"The strike came at {phrase}, witnesses said.")
    assert (timex.text, timex.type, timex.value) == (phrase, "TIME", value)


def test_a_bare_score_is_not_a_time() -> None:
    assert found("The team won 12:30 on aggregate.") == []


@pytest.mark.parametrize(
    ("phrase", "value"),
    [
        ("last summer", "2021-SU"),
        ("this spring", "2022-SP"),
        ("the fall of 2021", "2021-FA"),
        ("winter 2022", "2022-WI"),
        ("2014", "2014"),
        ("the 1990s", "199"),
        ("the '90s", "199"),
        ("the 20th century", "19"),
        ("the 19th century", "18"),
    ],
)
def test_seasons_years_decades_centuries(phrase: str, value: str) -> None:
    timex = single(f"Things were different in {phrase}.")
    assert (timex.text, timex.value) == (phrase, value)


@pytest.mark.parametrize(
    "sentence",
    ["About 2000 troops crossed.", "Some 2,000 soldiers died.", "The Russell 2000 Index fell.",
     "May I add something?", "The march on Kyiv stalled.", "A 45-year-old man was detained.",
     "The index closed at 2082.1 points.", "The fall of Mariupol was a turning point.",
     "Covid-19 cases rose.", "Iraq imports about three-quarters of its food."],
)
def test_numbers_and_words_that_are_not_dates(sentence: str) -> None:
    assert found(sentence) == []


def test_ordinal_days_point_to_the_nearest_fitting_month() -> None:
    assert found("The city fell on the 24th.") == [("the 24th", "DATE", "2022-02-24")]
    assert found("The convoy is expected to arrive on the 20th.") == [("the 20th", "DATE", "2022-03-20")]


def test_photo_captions() -> None:
    assert found("KYIV, UKRAINE - MARCH 07: People shelter in a metro station.") == [
        ("MARCH 07", "DATE", "2022-03-07")]
    timex = single("(Photo by Jane Roe/Getty Images) A man walks in Lviv on March 7, 2022.")
    assert (timex.text, timex.value, timex.anchored) == ("March 7, 2022", "2022-03-07", False)


def test_weekday_and_date_form_one_timex() -> None:
    assert found("The ceasefire began on Sunday, March 6.") == [("Sunday, March 6", "DATE", "2022-03-06")]


@pytest.mark.parametrize(
    ("phrase", "value"),
    [("24.02.2022", "2022-02-24"), ("2/24/2022", "2022-02-24"), ("2022-02-24", "2022-02-24"),
     ("24 February 2022", "2022-02-24"), ("the 24th of February", "2022-02-24"), ("February 2022", "2022-02"),
     ("June last year", "2021-06")],
)
def test_written_dates(phrase: str, value: str) -> None:
    timex = single(f"The invasion ({phrase}) changed everything.")
    assert (timex.text, timex.value) == (phrase, value)


@pytest.mark.parametrize(
    ("sentence", "value"),
    [
        ("In February, Russia moved troops to the border.", "2022-02"),
        ("A vote on the treaty is expected in May.", "2022-05"),
        ("The talks collapsed in December.", "2021-12"),
    ],
)
def test_months_without_a_year_take_the_nearest_year_the_tense_allows(sentence: str, value: str) -> None:
    assert single(sentence).value == value


@pytest.mark.parametrize(
    ("phrase", "value", "mod"),
    [
        ("three days", "P3D", None),
        ("the past two months", "P2M", None),
        ("24 hours", "PT24H", None),
        ("several weeks", "PXW", None),
        ("an hour and a half", "PT1H30M", None),
        ("2 1/2 years", "P2Y6M", None),
        ("more than a month", "P1M", "MORE_THAN"),
        ("nearly three years", "P3Y", "APPROX"),
        ("two decades", "P20Y", None),
        ("six straight days", "P6D", None),
    ],
)
def test_durations(phrase: str, value: str, mod: str | None) -> None:
    timex = single(f"The siege lasted {phrase}.")
    assert (timex.text, timex.type, timex.value, timex.mod, timex.granularity) == (phrase, "DURATION", value, mod,
                                                                                  "duration")


def test_adjectival_durations_leave_the_article_out() -> None:
    assert found("the eight-year war") == [("eight-year", "DURATION", "P8Y")]


def test_over_the_weekend_is_a_date_not_a_longer_duration() -> None:
    assert found("Strikes intensified over the weekend.") == [("the weekend", "DATE", "2022-W10-WE")]


@pytest.mark.parametrize(
    ("phrase", "value"),
    [("every week", "P1W"), ("twice a day", "P1D"), ("daily", "P1D"), ("every Monday", "XXXX-WXX-1"),
     ("each July", "XXXX-07"), ("annually", "P1Y")],
)
def test_sets(phrase: str, value: str) -> None:
    timex = single(f"Convoys run {phrase}.")
    assert (timex.text, timex.type, timex.value, timex.granularity) == (phrase, "SET", value, "set")


def test_a_rate_per_year_is_a_set() -> None:
    assert found("Gas transit brings $5 billion a year.") == [("a year", "SET", "P1Y")]


@pytest.mark.parametrize(
    ("sentence", "text", "value"),
    [
        ("Kyiv is now under curfew.", "now", "PRESENT_REF"),
        ("The plant is currently offline.", "currently", "PRESENT_REF"),
        ("The town was recently recaptured.", "recently", "PAST_REF"),
        ("Nobody knows what happens in the future.", "the future", "FUTURE_REF"),
    ],
)
def test_references(sentence: str, text: str, value: str) -> None:
    timex = single(sentence)
    assert (timex.text, timex.value, timex.granularity, timex.anchored) == (text, value, "ref", False)


@pytest.mark.parametrize(
    ("phrase", "dct", "value"),
    [
        ("the third quarter", "1989-10-26", "1989-Q3"),
        ("the fourth quarter", "1998-01-26", "1997-Q4"),
        ("Q1 2022", DCT, "2022-Q1"),
        ("fiscal 2021", DCT, "2021"),
        ("the fourth quarter of 2021", DCT, "2021-Q4"),
        ("the first half of 2022", DCT, "2022-H1"),
    ],
)
def test_quarters_and_fiscal_periods(phrase: str, dct: str, value: str) -> None:
    timex = single(f"Profits rose in {phrase}.", dct)
    assert (timex.text, timex.value) == (phrase, value)


def test_a_year_earlier_in_earnings_news_is_the_same_quarter_last_year() -> None:
    timexes = found("Net income rose in the third quarter from $2 million a year earlier.", "1989-10-26")
    assert timexes == [("the third quarter", "DATE", "1989-Q3"), ("a year earlier", "DATE", "1988-Q3")]


@pytest.mark.parametrize(
    ("sentence", "value"),
    [
        ("Crowds gathered on Christmas.", "2021-12-25"),
        ("Believers will celebrate Orthodox Easter.", "2022-04-24"),
        ("A parade will be held on Victory Day.", "2022-05-09"),
    ],
)
def test_holidays(sentence: str, value: str) -> None:
    assert single(sentence).value == value


@pytest.mark.parametrize(
    ("sentence", "value"),
    [("Talks resume on Monday.", "XXXX-WXX-1"), ("Talks resumed on March 7.", "XXXX-03-07"),
     ("It was agreed last week.", "XXXX-WXX"), ("It was agreed on March 7, 2022.", "2022-03-07")],
)
def test_without_a_document_date_relative_values_stay_underspecified(sentence: str, value: str) -> None:
    timex = single(sentence, None)
    assert (timex.value, timex.anchored) == (value, False)


def test_date_range_covers_the_calendar_days_of_the_value() -> None:
    def days(value: str, kind: str = "DATE") -> tuple[dt.date, dt.date] | None:
        return Timex(0, 1, "x", kind, value, "day").date_range()

    assert days("2022-03-07") == (dt.date(2022, 3, 7), dt.date(2022, 3, 7))
    assert days("2022-W10") == (dt.date(2022, 3, 7), dt.date(2022, 3, 13))
    assert days("2022-W10-WE") == (dt.date(2022, 3, 12), dt.date(2022, 3, 13))
    assert days("2022-02") == (dt.date(2022, 2, 1), dt.date(2022, 2, 28))
    assert days("2022-Q1") == (dt.date(2022, 1, 1), dt.date(2022, 3, 31))
    assert days("2022-H2") == (dt.date(2022, 7, 1), dt.date(2022, 12, 31))
    assert days("2022-WI") == (dt.date(2021, 12, 1), dt.date(2022, 2, 28))
    assert days("2022") == (dt.date(2022, 1, 1), dt.date(2022, 12, 31))
    assert days("199") == (dt.date(1990, 1, 1), dt.date(1999, 12, 31))
    assert days("19") == (dt.date(1900, 1, 1), dt.date(1999, 12, 31))
    assert days("2022-03-07T10:30Z", "TIME") == (dt.date(2022, 3, 7), dt.date(2022, 3, 7))
    for value, kind in (("P3D", "DURATION"), ("P1W", "SET"), ("PRESENT_REF", "DATE"), ("XXXX-03-07", "DATE")):
        assert days(value, kind) is None


@pytest.mark.parametrize(
    ("phrase", "granularity"),
    [("on March 7", "day"), ("last week", "week"), ("in March", "month"), ("the third quarter", "quarter"),
     ("last summer", "season"), ("in 2021", "year"), ("the 1990s", "decade"), ("the 19th century", "century"),
     ("at 10:30 a.m.", "time")],
)
def test_granularity_names_the_precision_of_the_value(phrase: str, granularity: str) -> None:
    assert tag(f"It happened {phrase}.", DCT)[-1].granularity == granularity


def test_api_contract() -> None:
    text = "On Monday, March 7, troops left; a week later, on March 14, they returned."
    timexes = tag(text, dt.date(2022, 3, 15))
    assert timexes == sorted(timexes, key=lambda t: t.start)
    assert all(text[t.start:t.end] == t.text for t in timexes)
    assert tag(text, dt.datetime(2022, 3, 15, 10, 0)) == timexes == tag(text, "2022-03-15T10:00:00")
    with pytest.raises(dataclasses.FrozenInstanceError):
        timexes[0].value = "x"  # type: ignore[misc]
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        tag(text, "next Tuesday")


def test_offsets_survive_characters_that_lowercase_to_two() -> None:
    text = "İstanbul talks were held on Monday."
    assert [(t.text, t.value) for t in tag(text, DCT)] == [("Monday", "2022-03-14")]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Officials said talks will resume on Monday.", FUTURE),
        ("Talks resumed on Monday, officials said.", PAST),
        ("On Monday, the convoy left the city.", PAST),
        ("The ministers meet in Brussels on Monday.", FUTURE),
        ("On Monday.", UNKNOWN),
    ],
)
def test_tense_cues(sentence: str, expected: int) -> None:
    start = sentence.index("Monday")
    assert direction(sentence, sentence.lower(), start, start + len("Monday")) == expected


WRITTEN_SENTENCES = [
    "On Monday, March 7, troops left; a week later they returned at 10:30 a.m. GMT.",
    "The third quarter, the past two months and the 1990s, early next year, about 2000 troops.",
    "Every week, twice a day, since '82, in the fall of 2021, from February 24 to March 2.",
    "At the end of the year, for the week, the same period last year, the first week of March.",
]


@pytest.mark.parametrize("sentence", WRITTEN_SENTENCES)
def test_word_index_finds_what_trying_every_rule_everywhere_finds(sentence: str) -> None:
    """The start-word index is an optimisation: it must not change what matches."""
    everything, _ = tagger_module._rule_set(tuple(rule.name for rule in tagger_module.RULES))
    exhaustive = re.compile(tagger_module._BOUNDARY + everything.pattern)
    lower = sentence.lower()
    expected = [m.span() for m in exhaustive.finditer(lower)]
    spans, position = [], 0
    while (trigger := tagger_module._TRIGGER.search(lower, position)) is not None:
        pattern, _ = tagger_module._RULE_SETS[tagger_module._RULES_FOR_WORD[tagger_module._key(trigger)]]
        match = pattern.match(lower, trigger.start())
        if match:
            spans.append(match.span())
            position = match.end()
        else:
            position = trigger.start() + 1
    assert spans == expected


@pytest.mark.parametrize(
    ("sentence", "dct", "value"),
    [
        ("Markets will stay closed until Friday.", "2008-09-18", "2008-09-19"),  # Thursday: the coming Friday
        ("Up until Thursday, police had no suspect.", "1999-05-06", "1999-05-06"),  # the same Thursday
        ("The change is measured since year-end.", "1989-10-30", "1988-12-31"),
        ("The deal should close by year-end.", "1989-10-30", "1989-12-31"),
        ("The offer had been due to expire Friday evening.", "1989-10-30", "1989-10-27TEV"),
        ("Cars were able to leave Monday via a corridor.", "2022-03-14", "2022-03-14"),
    ],
)
def test_deadlines_since_and_futures_seen_from_the_past(sentence: str, dct: str, value: str) -> None:
    assert tag(sentence, dct)[0].value == value


def test_a_clock_time_takes_the_day_written_after_it() -> None:
    assert found("Police were called at 13:50 local time (19:50 GMT) on Thursday.", "2021-10-22") == [
        ("13:50 local time", "TIME", "2021-10-21T13:50"), ("19:50 GMT", "TIME", "2021-10-21T19:50Z"),
        ("Thursday", "DATE", "2021-10-21")]


def test_a_clock_time_takes_the_day_mentioned_earlier_in_the_sentence() -> None:
    assert found("The jet took off on Tuesday at 18:00 UTC.", "2009-12-16")[-1] == ("18:00 UTC", "TIME",
                                                                                 "2009-12-15T18:00Z")


def test_named_days_are_not_weekdays_near_the_document_date() -> None:
    assert found("Markets recalled Black Monday.") == []
    assert found("Churches were full on Good Friday.", "2022-04-20") == [("Good Friday", "DATE", "2022-04-15")]


def test_agency_caption_with_a_file_date() -> None:
    assert found("In this June 5, 2019, file photo, the president speaks.") == [("June 5, 2019", "DATE",
                                                                                "2019-06-05")]


@pytest.mark.parametrize(
    ("phrase", "kind", "value"),
    [("the past decade", "DURATION", "P10Y"), ("the same month a year ago", "DATE", "2021-03"),
     ("the first week of March", "DATE", "2022-W09"), ("the last weekend of February", "DATE", "2022-W08-WE"),
     ("recent weeks", "DURATION", "PXW"), ("the coming days", "DATE", "FUTURE_REF")],
)
def test_periods_described_relative_to_others(phrase: str, kind: str, value: str) -> None:
    timex = single(f"Fighting eased in {phrase}.")
    assert (timex.text, timex.type, timex.value) == (phrase, kind, value)


def test_that_year_is_the_year_mentioned_last() -> None:
    assert found("Russia annexed Crimea in 2014. That same year, fighting began in Donbas.") == [
        ("2014", "DATE", "2014"), ("That same year", "DATE", "2014")]


def test_non_breaking_spaces_and_out_of_calendar_counts() -> None:
    assert found("in\xa0the\xa0coming days, the\xa0last week") == [
        ("the\xa0coming days", "DATE", "FUTURE_REF"), ("the\xa0last week", "DATE", "2022-W10")]
    assert found("The crater formed 3,000 years ago.") == [("3,000 years ago", "DATE", "PAST_REF")]


def test_token_soup_never_raises() -> None:
    """Any mix of calendar words, numbers and punctuation gives timexes inside the text, never an error."""
    import random

    pieces = ["the", "last", "next", "March", "May", "Monday", "1", "24th", "2022", "'22", "1999-13-45",
              "31/02/2020", "3,000", "years", "ago", "earlier", "a.m.", "12:99", "GMT", "(", ")", ",", ".",
              "mid-", "early", "quarter", "fiscal", "half", "of", "week", "decade", "century", "every", "since",
              "until", "\xa0", "İ", "9999", "0000", "Q5", "twenty", "thousand", "-", "/"]
    generator = random.Random(13)
    for dct in ("2022-03-15", "0001-01-01", "9999-12-31", None):
        for _ in range(150):
            text = " ".join(generator.choice(pieces) for _ in range(generator.randint(1, 25)))
            for timex in tag(text, dct):
                assert text[timex.start:timex.end] == timex.text and timex.type in ("DATE", "TIME", "DURATION",
                                                                                    "SET")


def test_a_dateline_is_the_nearest_occurrence_whatever_the_tense() -> None:
    assert found("BRUSSELS, July 6 (Reuters) - The European Union will hold talks.", "2021-10-01") == [
        ("July 6", "DATE", "2021-07-06")]
