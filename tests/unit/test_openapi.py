"""The OpenAPI document agrees with the contract: every operation, its errors as problems, strict bodies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lapor.contract import OPERATIONS
from lapor.directory import Directory
from lapor.openapi import PUBLISHED, for_deployment, generate_openapi, published_openapi

DIRECTORY = Directory.from_file(Path(__file__).resolve().parents[2] / "infra" / "directory.json")


def build_openapi(
    directory: Directory | None = None, server_url: str = "/", jurisdiction_id: str | None = None
) -> dict[str, Any]:
    """The document generated now (not the published file) for a deployment."""
    return for_deployment(generate_openapi(), directory, server_url, jurisdiction_id)


def test_every_operation_is_documented_with_problem_errors() -> None:
    document = build_openapi()
    assert document["openapi"].startswith("3.1")
    for op in OPERATIONS:
        entry = document["paths"][op.path][op.method.lower()]
        assert entry["operationId"] == op.operation_id
        assert str(op.success_status) in entry["responses"]
        for status in op.errors:
            content = entry["responses"][str(status)]["content"]
            if op.formats and status != 429:  # Open311's own errors; API Gateway's throttle stays a problem
                assert set(content) == {"json": {"application/json"}, "xml": {"text/xml"}}[op.formats[0]] | (
                    {"text/xml"} if len(op.formats) == 2 else set()
                )
            else:
                assert "application/problem+json" in content


def test_open311_routes_answer_in_the_format_of_their_suffix() -> None:
    document = build_openapi(DIRECTORY, jurisdiction_id="baritoutarakab.go.id")
    paths = document["paths"]
    for fmt, media in (("json", "application/json"), ("xml", "text/xml")):
        for name in ("discovery", "services", "requests"):
            assert set(paths[f"/open311/v2/{name}.{fmt}"]["get"]["responses"]["200"]["content"]) == {media}
        filing = paths[f"/open311/v2/requests.{fmt}"]["post"]
        assert set(filing["requestBody"]["content"]) == {"application/x-www-form-urlencoded"}
        assert set(filing["responses"]["403"]["content"]) == {media}
    errors = paths["/open311/v2/requests.json"]["get"]["responses"]["400"]["content"]["application/json"]["schema"]
    assert errors == {"type": "array", "items": {"$ref": "#/components/schemas/Open311Error"}}
    one = paths["/open311/v2/requests/{request_file}"]["get"]
    assert (
        set(one["responses"]["200"]["content"])
        == set(one["responses"]["404"]["content"])
        == {
            "application/json",
            "text/xml",
        }
    )
    parameters = {p["name"]: p["schema"] for p in paths["/open311/v2/requests.json"]["get"]["parameters"]}
    assert parameters["jurisdiction_id"]["enum"] == ["baritoutarakab.go.id"]
    assert parameters["service_code"]["pattern"].startswith("^(jalan-jembatan|kependudukan|kesehatan|lainnya)")


def test_request_bodies_forbid_unknown_fields_and_nulls() -> None:
    schemas = build_openapi()["components"]["schemas"]
    submission = schemas["ReportSubmission"]
    assert submission["additionalProperties"] is False
    assert set(submission["required"]) == {"title", "description", "category"}
    assert schemas["Location"]["additionalProperties"] is False
    assert schemas["Reporter"]["additionalProperties"] is False
    assert "anyOf" not in submission["properties"]["agency_id"]  # absent or valid, never null


def test_directory_codes_become_enums() -> None:
    submission = build_openapi(DIRECTORY)["components"]["schemas"]["ReportSubmission"]["properties"]
    assert submission["category"]["enum"] == ["jalan-jembatan", "kependudukan", "kesehatan", "lainnya"]
    assert "dpupr-barito-utara" in submission["agency_id"]["enum"]


def test_demo_directory_has_the_contracts_ids() -> None:
    parents = {a.id: a.parent_id for a in DIRECTORY.agencies.values()}
    assert parents == {
        "kemenpan-rb": None,
        "pemprov-kalteng": "kemenpan-rb",
        "pemkab-barito-utara": "pemprov-kalteng",
        "dinkes-barito-utara": "pemkab-barito-utara",
        "dpupr-barito-utara": "pemkab-barito-utara",
        "disdukcapil-barito-utara": "pemkab-barito-utara",
    }
    assert {c.code: c.default_agency_id for c in DIRECTORY.categories.values()} == {
        "jalan-jembatan": "dpupr-barito-utara",
        "kesehatan": "dinkes-barito-utara",
        "kependudukan": "disdukcapil-barito-utara",
        "lainnya": "pemkab-barito-utara",
    }
    assert [a.id for a in DIRECTORY.ancestors("dpupr-barito-utara")] == [
        "pemkab-barito-utara",
        "pemprov-kalteng",
        "kemenpan-rb",
    ]


def test_the_published_document_is_the_generated_one() -> None:
    """The layer's openapi.json is what the docs function serves: regenerate it with `make openapi`."""
    assert json.loads(PUBLISHED.read_text(encoding="utf-8")) == json.loads(json.dumps(generate_openapi())), (
        "shared/lapor/openapi.json is stale: run `make openapi`"
    )
    served = published_openapi(DIRECTORY, "https://lapor.test/v1")
    assert json.loads(json.dumps(served)) == json.loads(json.dumps(build_openapi(DIRECTORY, "https://lapor.test/v1")))
    assert served["servers"] == [{"url": "https://lapor.test/v1"}]


def test_only_the_agency_view_may_show_a_failed_notification() -> None:
    schemas = build_openapi()["components"]["schemas"]

    def events(entry: str) -> set[str]:
        event = schemas[entry]["properties"]["event"]
        found: set[str] = set()
        for option in event.get("anyOf", [event]):
            option = schemas[option["$ref"].rsplit("/", 1)[-1]] if "$ref" in option else option
            found |= set(option.get("enum", [option.get("const")]))
        return found

    assert schemas["AgencyReportView"]["properties"]["timeline"]["items"]["$ref"].endswith("/AgencyTimelineEntry")
    assert "notification_failed" in events("AgencyTimelineEntry")
    for entry in ("TimelineEntry", "FullTimelineEntry"):
        assert "notification_failed" not in events(entry) and "agency_notified" in events(entry)
