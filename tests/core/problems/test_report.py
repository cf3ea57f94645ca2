"""The import report: counting quizzes once, text and JSON renderings."""

import json

from core.problems.report import ImportReport, ReportEntry


def entry(item_index, quiz_index, action, reason, item_id=None):
    return ReportEntry(
        item_index=item_index,
        item_id=item_id or f"p{item_index}",
        quiz_index=quiz_index,
        field="quizzes" if quiz_index is not None else "reference_image",
        action=action,
        reason=reason,
        detail=f"{reason} happened",
    )


def make_report():
    return ImportReport(
        file="x/scigen.json",
        source="scigen",
        format="json",
        items=3,
        quizzes_published=10,
        entries=[
            entry(0, 1, "normalised", "stray_field"),
            entry(0, 1, "normalised", "option_key_by_position"),  # same quiz: counted once
            entry(1, 0, "normalised", "stray_field"),
            entry(1, 0, "dropped", "correct_option_unknown"),  # dropped wins
            entry(2, 3, "noted", "option_count"),
            entry(2, None, "noted", "reference_image_missing"),
        ],
    )


def test_counts_each_quiz_once():
    report = make_report()
    assert report.summary() == {
        "items": 3,
        "quizzes_published": 10,
        "quizzes_kept": 9,
        "quizzes_reported": 3,
        "quizzes_normalised": 1,
        "quizzes_noted": 1,
        "quizzes_dropped": 1,
        "item_findings": 1,
    }
    assert report.counts_by_reason() == {
        "normalised: stray_field": 2,
        "dropped: correct_option_unknown": 1,
        "normalised: option_key_by_position": 1,
        "noted: option_count": 1,
        "noted: reference_image_missing": 1,
    }


def test_text_names_every_entry():
    text = make_report().to_text()
    lines = text.splitlines()
    assert lines[0].startswith("x/scigen.json (scigen, json): 3 items, 10 quizzes as published -> 9 kept")
    assert (
        "item 1 (id 'p1') quizzes[0]: dropped [correct_option_unknown] correct_option_unknown happened"
        in text
    )
    assert "item 2 (id 'p2'): noted [reference_image_missing]" in text
    assert len(lines) == 1 + 6 + 1


def test_clean_report_says_so():
    report = ImportReport(file="a.json", source="custom", format="json", items=2, quizzes_published=4)
    assert "no findings" in report.to_text()
    assert report.quizzes_kept == 4


def test_json_round_trip():
    report = make_report()
    data = json.loads(report.to_json())
    assert data["summary"]["quizzes_dropped"] == 1
    assert len(data["entries"]) == 6 and data["entries"][3]["action"] == "dropped"
    fields = set(ReportEntry.model_fields)
    assert (
        ImportReport.model_validate({k: v for k, v in data.items() if k in ImportReport.model_fields})
        == report
    )
    assert set(data["entries"][0]) == fields
