"""The response shapes (`lapor.shapes`) as the tests hold views to them: a key missing, an unknown key or a
value of the wrong type or out of bounds fails, at any depth."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lapor.shapes import AgencyReportView, PublicReportView, ReporterReportView
from lapor.views import for_agency, for_reporter, public_view
from pydantic import ValidationError

from tests.conforms import conform

TZ = "Asia/Jakarta"
STORED: dict[str, Any] = {
    "tracking_id": "LPR-7K3M-Q9XD-4T2P",
    "kind": "complaint",
    "category": "jalan-jembatan",
    "agency_id": "dpupr-barito-utara",
    "agency_name": "Dinas PUPR Barito Utara",
    "status": "verified",
    "submitted_at": "2026-11-02T01:00:00Z",
    "updated_at": "2026-11-03T01:00:00Z",
    "due_at": "2026-11-10T10:00:00Z",
    "title": "Jalan berlubang di depan SDN 1",
    "description": "Lubang besar sejak dua minggu, sudah ada motor yang jatuh.",
    "location": {"lat": -0.95, "lon": 114.89, "address": "Jl. Yetro Sinseng"},
    "timeline": [
        {"at": "2026-11-02T01:00:00Z", "event": "submitted", "status": "submitted", "actor": "reporter"},
        {
            "at": "2026-11-02T01:01:00Z",
            "event": "notification_failed",
            "status": "submitted",
            "actor": "system",
            "internal": True,
        },
        {"at": "2026-11-03T01:00:00Z", "event": "verified", "status": "verified", "actor": "DPUPR", "message": "Ok"},
    ],
    "rating": {"score": 4, "at": "2026-11-04T01:00:00Z", "comment": "Cepat"},
}


def test_each_audiences_view_has_its_shape() -> None:
    conform(PublicReportView, json.dumps(public_view(STORED, TZ, [])))
    conform(ReporterReportView, json.dumps(for_reporter(STORED, TZ, {}, [])))
    agency = for_agency(STORED, TZ, {}, [])
    conform(AgencyReportView, json.dumps(agency))
    assert [entry["event"] for entry in agency["timeline"]] == ["submitted", "notification_failed", "verified"]


def test_a_view_with_a_key_missing_or_unknown_or_a_wrong_value_is_caught() -> None:
    view: dict[str, Any] = dict(public_view(STORED, TZ, []))
    entry = view["timeline"][0]
    wrong = {
        "required key missing": {k: v for k, v in view.items() if k != "status"},
        "unknown key": {**view, "reporter": {"name": "Siti"}},
        "unknown nested key": {**view, "agency": {**view["agency"], "email": "dpupr@example.org"}},
        "agency-only key in the public timeline": {**view, "timeline": [{**entry, "private": False}]},
        "agency-only event in the public timeline": {**view, "timeline": [{**entry, "event": "notification_failed"}]},
        "a number as text": {**view, "support_count": "3"},
        "out of bounds": {**view, "escalation_level": -1},
    }
    for why, body in wrong.items():
        with pytest.raises(ValidationError):
            conform(PublicReportView, json.dumps(body))
            pytest.fail(f"not caught: {why}")
    with pytest.raises(ValidationError, match="notification_failed"):
        conform(
            ReporterReportView,
            json.dumps({**for_reporter(STORED, TZ, {}, []), "timeline": for_agency(STORED, TZ, {}, [])["timeline"]}),
        )
