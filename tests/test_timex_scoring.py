"""TimeML reading and writing, MEANTIME conversion, the TempEval-3 Task A scorer and the `timex` command, on
small documents written for these tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.timex import tag
from pipeline.timex.scorer import Counts, count, figures, score_folders, score_texts
from pipeline.timex.timeml import (
    Span,
    TimeMLError,
    meantime_to_timeml,
    parse_timeml,
    read_timeml,
    render_timeml,
)
from tests.conftest import shared_path

HEAD = ('<?xml version="1.0" ?>\n<TimeML>\n<DOCID>test</DOCID>\n<DCT><TIMEX3 tid="t0" type="DATE" '
        'value="2022-03-15" temporalFunction="false" functionInDocument="CREATION_TIME">March 15, 2022</TIMEX3>'
        '</DCT>\n<TEXT>')

GOLD = (HEAD + 'Talks were <EVENT eid="e1" class="OCCURRENCE">held</EVENT> <TIMEX3 tid="t1" type="DATE" '
        'value="2022-03-14">on Monday</TIMEX3> &amp; will resume <TIMEX3 tid="t2" type="DATE" value="2022-W12">'
        'next week</TIMEX3> for <TIMEX3 tid="t3" type="DURATION" value="P3D">three days</TIMEX3>.</TEXT>\n'
        '<TLINK lid="l1" relType="BEFORE" eventInstanceID="ei1" relatedToTime="t1"/>\n</TimeML>\n')
# Monday: overlap only, right value; next week: exact extent, wrong value; Talks: spurious; three days: missed.
SYSTEM = (HEAD + '<TIMEX3 tid="t9" type="DATE" value="PRESENT_REF">Talks</TIMEX3> were held on '
          '<TIMEX3 tid="t10" type="DATE" value="2022-03-14">Monday</TIMEX3> &amp; will resume '
          '<TIMEX3 tid="t11" type="DATE" value="2022-W13">next week</TIMEX3> for three days.</TEXT>\n</TimeML>\n')


def test_reading_drops_markup_decodes_entities_and_keeps_the_dct() -> None:
    document = parse_timeml(GOLD)
    assert document.text == "Talks were held on Monday & will resume next week for three days."
    assert document.dct == "2022-03-15"
    assert [(document.text[s.start:s.end], s.type, s.value) for s in document.timexes] == [
        ("on Monday", "DATE", "2022-03-14"), ("next week", "DATE", "2022-W12"), ("three days", "DURATION", "P3D")]


def test_writing_inserts_timex3_and_leaves_the_text_byte_identical() -> None:
    document = parse_timeml(GOLD)
    written = render_timeml(document, tag(document.text, document.dct))
    body = written[written.index("<TEXT>") + len("<TEXT>"):written.index("</TEXT>")]
    original = GOLD[GOLD.index("<TEXT>") + len("<TEXT>"):GOLD.index("</TEXT>")]
    assert re.sub(r"<[^>]+>", "", body) == re.sub(r"<[^>]+>", "", original)  # character data, byte for byte
    assert "&amp;" in body and "<EVENT" not in body
    reread = parse_timeml(written)
    assert reread.text == document.text
    assert [(reread.text[s.start:s.end], s.value) for s in reread.timexes] == [
        ("Monday", "2022-03-14"), ("next week", "2022-W12"), ("three days", "P3D")]
    assert 'tid="t0"' in written and written.count('tid="t1"') == 1  # new ids do not clash with the DCT's


def test_a_file_without_text_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.tml"
    path.write_text("<TimeML><DOCID>x</DOCID></TimeML>")
    with pytest.raises(TimeMLError, match="no <TEXT>"):
        read_timeml(path)


def test_scorer_on_a_hand_counted_pair() -> None:
    counts = score_texts(GOLD, SYSTEM)
    assert counts == Counts(gold=3, system=3, strict=1, relaxed=2, value=1, type=2)
    scores = figures(counts)
    assert scores["strict"] == {"precision": 33.33, "recall": 33.33, "f1": 33.33}
    assert scores["relaxed"]["f1"] == scores["type"]["f1"] == 66.67
    assert scores["value"]["f1"] == 33.33


def test_one_gold_timex_pairs_with_one_system_timex() -> None:
    gold = [Span(0, 20, "TIME", "2022-03-14T10:00")]
    system = [Span(0, 8, "TIME", "2022-03-14T10:00"), Span(12, 20, "DATE", "2022-03-14")]
    assert count(gold, system) == Counts(gold=1, system=2, strict=0, relaxed=1, value=1, type=1)


def test_precision_and_recall_use_system_and_gold_counts() -> None:
    scores = figures(Counts(gold=4, system=2, strict=2, relaxed=2, value=1, type=2))
    assert scores["strict"] == {"precision": 100.0, "recall": 50.0, "f1": 66.67}
    assert scores["value"] == {"precision": 50.0, "recall": 25.0, "f1": 33.33}


CAT = """<?xml version="1.0" ?><Document doc_id="1" doc_name="1_Test" lang="en">
<token number="0" sentence="0" t_id="1">Talks</token><token number="1" sentence="0" t_id="2">resume</token>
<token number="2" sentence="1" t_id="3">March</token><token number="3" sentence="1" t_id="4">15</token>
<token number="4" sentence="1" t_id="5">,</token><token number="5" sentence="1" t_id="6">2022</token>
<token number="6" sentence="2" t_id="7">They</token><token number="7" sentence="2" t_id="8">met</token>
<token number="8" sentence="2" t_id="9">on</token><token number="9" sentence="2" t_id="10">Monday</token>
<token number="10" sentence="2" t_id="11">&amp;</token><token number="11" sentence="2" t_id="12">left</token>
<token number="12" sentence="2" t_id="13">.</token>
<token number="13" sentence="3" t_id="14">Unannotated</token><token number="14" sentence="3" t_id="15">Friday</token>
<Markables>
<EVENT_MENTION m_id="1"><token_anchor t_id="8"/></EVENT_MENTION>
<TIMEX3 functionInDocument="CREATION_TIME" m_id="2" type="DATE" value="2022-03-15">
<token_anchor t_id="3"/><token_anchor t_id="4"/><token_anchor t_id="5"/><token_anchor t_id="6"/></TIMEX3>
<TIMEX3 functionInDocument="NONE" m_id="3" type="DATE" value="2022-03-14"><token_anchor t_id="10"/></TIMEX3>
<TIMEX3 functionInDocument="NONE" m_id="4" type="DATE" value="XXXX"/>
</Markables></Document>
"""


def test_meantime_conversion_moves_the_dateline_to_the_dct_and_stops_after_the_annotated_sentences(
        tmp_path: Path) -> None:
    path = tmp_path / "1_Test.xml"
    path.write_text(CAT)
    document = parse_timeml(meantime_to_timeml(path))
    assert document.dct == "2022-03-15"
    assert document.text == "Talks resume\n\nThey met on Monday & left."
    assert [(document.text[s.start:s.end], s.value) for s in document.timexes] == [("Monday", "2022-03-14")]


def test_timex_command_annotates_and_scores_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold_dir, system_dir = tmp_path / "gold", tmp_path / "system"
    gold_dir.mkdir()
    (gold_dir / "a.tml").write_text(GOLD)
    (gold_dir / "b.TE3input").write_text(HEAD + "Shelling resumed yesterday.</TEXT>\n</TimeML>\n")
    assert main(["timex", "annotate", str(gold_dir), str(system_dir)]) == 0
    assert sorted(p.name for p in system_dir.iterdir()) == ["a.tml", "b.TE3input"]
    capsys.readouterr()
    assert main(["timex", "score", str(gold_dir), str(system_dir), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert (scores["gold"], scores["system"], scores["relaxed"]["f1"]) == (3, 4, 85.71)


def test_timex_command_tags_a_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["timex", "tag", "--dct", "2022-03-15", "--json", "Kharkiv", "was", "shelled", "on", "Sunday."]) == 0
    assert [(t["text"], t["value"]) for t in json.loads(capsys.readouterr().out)] == [("Sunday", "2022-03-13")]


def test_timex_command_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    assert main(["timex", "score", str(tmp_path / "missing"), str(tmp_path)]) == 1
    assert main(["timex", "tag", "--dct", "soon", "on Sunday"]) == 1


@pytest.mark.integration
def test_timebank_scores_stay_above_a_floor(tmp_path: Path) -> None:
    """The first 25 TimeBank documents (development data) annotated and scored end to end."""
    timebank = shared_path("timex", "TBAQ-cleaned", "TimeBank")
    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    for path in sorted(timebank.glob("*.tml"))[:25]:
        (gold_dir / path.name).write_bytes(path.read_bytes())
    assert main(["timex", "annotate", str(gold_dir), str(tmp_path / "system")]) == 0
    counts, missing = score_folders(gold_dir, tmp_path / "system")
    scores = figures(counts)
    assert not missing and counts.gold > 100
    assert scores["relaxed"]["f1"] > 88 and scores["value"]["f1"] > 72 and scores["strict"]["f1"] > 80
