"""Open311's representations and form rules, without AWS: XML that always parses, errors, titles, formats."""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest
from lapor import errors
from lapor.http import open311_error_for, xml_document
from lapor.open311 import derived_title, split_format


def test_xml_uses_the_specs_element_names_and_stays_well_formed_whatever_the_text() -> None:
    text = xml_document(
        "service_requests",
        [{"service_request_id": "LPR-1", "description": "Jalan <rusak> & \x01gelap\ud800 🚧", "lat": None, "ok": True}],
    )
    root = ElementTree.fromstring(text.encode("utf-8"))
    assert root.tag == "service_requests" and [r.tag for r in root] == ["request"]
    assert root.findtext("request/description") == "Jalan <rusak> & \ufffdgelap\ufffd 🚧"
    assert root.find("request/lat").text is None and root.findtext("request/ok") == "true"  # type: ignore[union-attr]


def test_domain_errors_become_open311_errors_with_the_clients_statuses() -> None:
    problems = [errors.FieldProblem(("body", "lat"), "must be a decimal number"), errors.FieldProblem(("body",), "x")]
    invalid = open311_error_for(errors.ValidationFailed(problems), "json")
    assert invalid.status == 400 and invalid.body == [
        {"code": 400, "description": "lat: must be a decimal number"},
        {"code": 400, "description": ": x"},
    ]
    forbidden = open311_error_for(errors.Forbidden("A valid api_key is required."), "xml")
    root = ElementTree.fromstring(forbidden.to_proxy()["body"].encode())
    assert forbidden.status == 403 and forbidden.content_type == "text/xml; charset=utf-8"
    assert (root.tag, root.findtext("error/code"), root.findtext("error/description")) == (
        "errors",
        "403",
        "A valid api_key is required.",
    )
    crashed = open311_error_for(RuntimeError("boom"), "json")
    assert crashed.status == 500 and "boom" not in json.dumps(crashed.body)
    assert open311_error_for(None, "json").status == 404


@pytest.mark.parametrize("name", ["LPR-1.html", "LPR-1", ".json", "LPR-1.JSON"])
def test_only_json_and_xml_suffixes_are_formats(name: str) -> None:
    with pytest.raises(errors.NotFound):
        split_format(name)


def test_a_title_is_the_descriptions_first_words_within_80_characters() -> None:
    long = "Lampu jalan di depan pasar Muara Teweh mati sejak seminggu, gelap sekali di malam hari dan rawan."
    assert (
        derived_title(long, "Lainnya") == "Lampu jalan di depan pasar Muara Teweh mati sejak seminggu, gelap sekali di"
    )
    assert derived_title("a" * 200, "Lainnya") == "a" * 80
    assert derived_title("a                     b", "Kesehatan") == "Laporan Kesehatan: a b"
