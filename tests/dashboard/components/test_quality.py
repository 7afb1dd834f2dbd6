"""dashboard/components/quality.py: the header badge and the validation report it reads."""

from __future__ import annotations


def test_quality_badge(tmp_path):
    import json

    from dashboard.components.quality import badge_text
    from semantic.backends import validation_report

    assert badge_text(None) == "No validation run yet"
    assert badge_text(None, any_report=True) == "Not validated since this build"
    assert badge_text({"success": False}) == "Validation failed"
    assert badge_text({"success": True}) == ""
    url = f"duckdb://{tmp_path / 'w.duckdb'}"
    reports = tmp_path / "w.duckdb.validation"
    assert validation_report(url, "b1") == (None, False)
    reports.mkdir()
    for text in ("[1, 2]", "{not json"):
        (reports / "summary.json").write_text(text)
        assert validation_report(url, "b1") == (None, False)
    report = {"build_id": "b1", "success": True}
    (reports / "summary.json").write_text(json.dumps(report))
    assert validation_report(url, "b1") == (report, True)
    assert validation_report(url, "b2") == (None, True) and validation_report(url, None) == (None, True)
