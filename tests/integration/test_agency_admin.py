"""The regency administrator's API on moto (Cognito pool from template.yaml): officers, the directory, the history.

Given the seeded directory (Barito Utara) and a second regency added to it, an administrator of
pemkab-barito-utara manages officers and the directory of their regency only; officers, dispatchers and other
regencies' administrators are refused on every route; every change is versioned and recorded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from lapor.contract import ADMIN_OPERATIONS

from tests.events import valid_submission
from tests.integration.conftest import Api, Aws, claims

ADMIN = claims("pemkab-barito-utara", "admin")
OTHER_REGENCY_ADMIN = {**claims("pemkab-murung-raya", "admin"), "sub": "admin-murung-raya"}
PROVINCE_ADMIN = {**claims("pemprov-kalteng", "admin"), "sub": "admin-kalteng"}
SECOND_REGENCY = [
    {"id": "pemkab-murung-raya", "name": "Pemerintah Kabupaten Murung Raya", "parent_id": "pemprov-kalteng",
     "level": "regency", "region_code": "62.12"},
    {"id": "dinkes-murung-raya", "name": "Dinas Kesehatan Kabupaten Murung Raya", "parent_id": "pemkab-murung-raya",
     "level": "office", "region_code": "62.12"},
]  # fmt: skip


@pytest.fixture
def admin_api(api: Api, aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    from lapor import config, store

    from tests.conftest import load_function

    monkeypatch.setenv("USER_POOL_ID", aws.resolver.ref("AgencyUserPool"))
    config.settings.cache_clear()
    store.write_directory({"agencies": SECOND_REGENCY, "categories": []})
    store.forget_directory()
    api.modules["agency_admin"] = load_function("agency_admin")
    yield api


def admin_call(
    api: Api, who: dict[str, str] | None, method: str, resource: str, **kwargs: Any
) -> tuple[int, Any, dict[str, str]]:
    return api.call("agency_admin", method, resource, claims=who, **kwargs)


def invite(api: Api, email: str, agency_id: str, role: str = "officer", who: dict[str, str] = ADMIN) -> Any:
    body = {"email": email, "name": "Petugas Baru", "agency_id": agency_id, "role": role}
    status, account, _ = admin_call(api, who, "POST", "/agency/admin/officers", body=body)
    assert status == 201, account
    return account


def token_of(account: dict[str, Any], aws: Aws) -> dict[str, str]:
    """The claims of an ID token Cognito would give the officer now (a second ago)."""
    user = aws.client("cognito-idp").admin_get_user(
        UserPoolId=aws.resolver.ref("AgencyUserPool"), Username=account["id"]
    )
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    return {
        "sub": attributes["sub"],
        "email": attributes["email"],
        "custom:agency_id": attributes["custom:agency_id"],
        "custom:role": attributes["custom:role"],
        "token_use": "id",
        "iat": time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(time.time() - 1)),
    }


def directory(api: Api, who: dict[str, str] = ADMIN) -> dict[str, Any]:
    status, found, _ = admin_call(api, who, "GET", "/agency/admin/directory")
    assert status == 200
    return found


def version_of(api: Api, kind: str, key: str) -> int:
    entries = directory(api)["agencies" if kind == "agency" else "categories"]
    return next(e["version"] for e in entries if e.get("id", e.get("code")) == key)


def put_agency(api: Api, agency_id: str, body: dict[str, Any], version: int | None = None) -> tuple[int, Any]:
    headers = {"If-Match": str(version)} if version is not None else None
    status, found, _ = admin_call(
        api, ADMIN, "PUT", "/agency/admin/agencies/{agency_id}", path_params={"agency_id": agency_id}, body=body,
        headers=headers,
    )  # fmt: skip
    return status, found


def fields(problem: dict[str, Any]) -> list[list[str]]:
    return [e["loc"] for e in problem["errors"]]


# ---------------------------------------------------------------- authorization


ROUTE_PARAMS = {"officer_id": "an officer of Barito Utara", "agency_id": "dpupr-barito-utara", "code": "kesehatan"}


# What an administrator of another regency reads is their own regency's: a list with nothing of this one.
LISTS = ("listOfficers", "getAdminDirectory", "getSettingsHistory")


@pytest.mark.parametrize("operation", ADMIN_OPERATIONS, ids=lambda op: op.operation_id)
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (claims("dpupr-barito-utara"), 403),
        (claims("pemkab-barito-utara", "dispatcher"), 403),
        (OTHER_REGENCY_ADMIN, 403),
        (None, 401),
    ],
    ids=["officer", "dispatcher", "admin-of-another-regency", "no-token"],
)
def test_every_admin_route_refuses_who_is_not_an_admin_of_the_regency(
    admin_api: Api, operation: Any, who: dict[str, str] | None, expected: int
) -> None:
    # Given a valid body for the route, when someone else calls it, then it is refused and nothing changes.
    if who is OTHER_REGENCY_ADMIN and operation.operation_id in LISTS:
        status, found, _ = admin_call(admin_api, who, operation.method, operation.path)
        assert status == 200
        assert "barito-utara" not in str(found)
        return
    bodies = {
        "inviteOfficer": {"email": "x@baritoutara.example.org", "name": "X Y", "agency_id": "dpupr-barito-utara",
                          "role": "officer"},
        "updateOfficer": {"enabled": False},
        "putAgency": {"name": "Dinas PUPR", "parent_id": "pemkab-barito-utara", "level": "office"},
        "putCategory": {"name": "Kesehatan", "default_agency_id": "dinkes-barito-utara"},
    }  # fmt: skip
    path_params = {k: v for k, v in ROUTE_PARAMS.items() if "{" + k + "}" in operation.path}
    if "officer_id" in path_params:
        path_params["officer_id"] = invite(admin_api, "sasaran@example.org", "dpupr-barito-utara")["id"]
    before = directory(admin_api)
    status, problem, _ = admin_call(
        admin_api, who, operation.method, operation.path, path_params=path_params or None,
        body=bodies.get(operation.operation_id), headers={"If-Match": "1"} if "If-Match" in str(operation) else None,
    )  # fmt: skip
    assert status == expected, problem
    assert directory(admin_api) == before


def test_an_admin_of_another_regency_neither_sees_nor_touches_its_officers(admin_api: Api) -> None:
    account = invite(admin_api, "petugas@dpupr.example.org", "dpupr-barito-utara")
    status, listed, _ = admin_call(admin_api, OTHER_REGENCY_ADMIN, "GET", "/agency/admin/officers")
    assert status == 200 and listed["items"] == []
    status, _, _ = admin_call(
        admin_api, OTHER_REGENCY_ADMIN, "PATCH", "/agency/admin/officers/{officer_id}",
        path_params={"officer_id": account["id"]}, body={"enabled": False},
    )  # fmt: skip
    assert status == 403


# ---------------------------------------------------------------- officers


def test_admin_invites_an_officer_who_then_works_and_is_refused_once_disabled(admin_api: Api, aws: Aws) -> None:
    # Given an officer invited by the regency's administrator
    account = invite(admin_api, "Petugas.Baru@DPUPR.example.org", "dpupr-barito-utara")
    assert account["agency_id"] == "dpupr-barito-utara" and account["role"] == "officer"
    assert account["enabled"] is True and account["status"] == "FORCE_CHANGE_PASSWORD"
    status, listed, _ = admin_call(admin_api, ADMIN, "GET", "/agency/admin/officers")
    assert [a["email"] for a in listed["items"]] == ["Petugas.Baru@dpupr.example.org"]  # the domain in lower case
    assert listed["items"][0]["mfa_enabled"] is False
    token = token_of(account, aws)
    # When they use the agency API, then they see their agency's inbox
    assert admin_api.agency(token, "GET", "/agency/reports")[0] == 200
    # When the administrator disables them, then their very next request is refused
    status, disabled, _ = admin_call(
        admin_api, ADMIN, "PATCH", "/agency/admin/officers/{officer_id}", path_params={"officer_id": account["id"]},
        body={"enabled": False},
    )  # fmt: skip
    assert status == 200 and disabled["enabled"] is False
    status, problem, _ = admin_api.agency(token, "GET", "/agency/reports")
    assert status == 401, problem
    # And once enabled again, a new sign-in (a token issued later) works, the old token stays refused
    admin_call(
        admin_api, ADMIN, "PATCH", "/agency/admin/officers/{officer_id}", path_params={"officer_id": account["id"]},
        body={"enabled": True},
    )  # fmt: skip
    assert admin_api.agency(token, "GET", "/agency/reports")[0] == 401
    time.sleep(1.1)
    fresh = {**token_of(account, aws), "iat": time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime())}
    assert admin_api.agency(fresh, "GET", "/agency/reports")[0] == 200


def test_moving_an_officer_changes_their_claims_and_ends_their_sessions(admin_api: Api, aws: Aws) -> None:
    from lapor import store

    account = invite(admin_api, "pindah@example.org", "dpupr-barito-utara")
    token = token_of(account, aws)
    assert admin_api.agency(token, "GET", "/agency/reports")[0] == 200  # the inbox enrolls them in the roster
    status, moved, _ = admin_call(
        admin_api, ADMIN, "PATCH", "/agency/admin/officers/{officer_id}", path_params={"officer_id": account["id"]},
        body={"agency_id": "dinkes-barito-utara", "role": "dispatcher"},
    )  # fmt: skip
    assert status == 200 and (moved["agency_id"], moved["role"]) == ("dinkes-barito-utara", "dispatcher")
    assert admin_api.agency(token, "GET", "/agency/reports")[0] == 401
    assert token_of(account, aws)["custom:agency_id"] == "dinkes-barito-utara"
    # The roster coordinators assign from follows at once (not only at their next sign-in)
    rostered = store.rostered_officer(token["sub"])
    assert rostered is not None and (rostered["agency_id"], rostered["role"]) == ("dinkes-barito-utara", "dispatcher")


def test_sign_out_everywhere_and_mfa_reset_end_the_sessions(admin_api: Api, aws: Aws) -> None:
    account = invite(admin_api, "hilang.hp@example.org", "dpupr-barito-utara")
    for action in ("sign-out", "reset-mfa"):
        token = token_of(account, aws)
        status, _, _ = admin_call(
            admin_api, ADMIN, "POST", f"/agency/admin/officers/{{officer_id}}/{action}",
            path_params={"officer_id": account["id"]},
        )  # fmt: skip
        assert status == 200
        assert admin_api.agency(token, "GET", "/agency/reports")[0] == 401
        time.sleep(1.1)


@pytest.mark.parametrize(
    ("body", "who"),
    [
        ({"agency_id": "pemprov-kalteng", "role": "officer"}, ADMIN),  # above the administrator's scope
        ({"agency_id": "dinkes-murung-raya", "role": "officer"}, ADMIN),  # another regency
        ({"agency_id": "dpupr-barito-utara", "role": "admin"}, claims("dpupr-barito-utara", "dispatcher")),
    ],
)
def test_nobody_is_given_more_than_the_administrators_own_scope(
    admin_api: Api, body: dict[str, str], who: dict[str, str]
) -> None:
    full = {"email": "naik@example.org", "name": "Naik Pangkat", **body}
    status, _, _ = admin_call(admin_api, who, "POST", "/agency/admin/officers", body=full)
    assert status == 403
    assert admin_call(admin_api, ADMIN, "GET", "/agency/admin/officers")[1]["items"] == []


def test_an_unknown_agency_is_a_422_and_an_existing_email_a_409(admin_api: Api) -> None:
    body = {"email": "dua@example.org", "name": "Dua Kali", "agency_id": "no-such-agency", "role": "officer"}
    status, problem, _ = admin_call(admin_api, ADMIN, "POST", "/agency/admin/officers", body=body)
    assert status == 422 and fields(problem) == [["body", "agency_id"]]
    invite(admin_api, "dua@example.org", "dpupr-barito-utara")
    status, _, _ = admin_call(
        admin_api, ADMIN, "POST", "/agency/admin/officers", body={**body, "agency_id": "dpupr-barito-utara"}
    )
    assert status == 409


def test_the_last_administrator_of_a_regency_cannot_be_disabled_or_demoted(admin_api: Api) -> None:
    first = invite(admin_api, "admin1@example.org", "pemkab-barito-utara", "admin")
    one = {"officer_id": first["id"]}
    for body in ({"enabled": False}, {"role": "dispatcher"}, {"agency_id": "dinkes-barito-utara"}):
        status, problem, _ = admin_call(
            admin_api, ADMIN, "PATCH", "/agency/admin/officers/{officer_id}", path_params=one, body=body
        )
        assert status == 409 and "last administrator" in problem["detail"]
    invite(admin_api, "admin2@example.org", "pemkab-barito-utara", "admin")
    status, _, _ = admin_call(
        admin_api, ADMIN, "PATCH", "/agency/admin/officers/{officer_id}", path_params=one, body={"enabled": False}
    )
    assert status == 200


# ---------------------------------------------------------------- the directory


def test_a_new_category_is_offered_to_citizens_and_versioned(admin_api: Api) -> None:
    body = {"name": "Air Bersih", "default_agency_id": "dpupr-barito-utara"}
    status, found, _ = admin_call(
        admin_api, ADMIN, "PUT", "/agency/admin/categories/{code}", path_params={"code": "air-bersih"}, body=body
    )
    assert status == 200
    assert {"code": "air-bersih", **body, "version": 1} in found["categories"]
    status, categories, _ = admin_api.call("track_report", "GET", "/categories")
    assert {"code": "air-bersih", **body} in categories
    receipt = admin_api.submit(valid_submission(category="air-bersih", agency_id=None))
    assert receipt["agency"]["id"] == "dpupr-barito-utara"


def test_an_agency_is_changed_at_its_version_and_a_stale_one_is_refused(admin_api: Api) -> None:
    body = {"name": "Dinas Kesehatan, Pengendalian Penduduk dan KB", "parent_id": "pemkab-barito-utara",
            "level": "office", "region_code": "62.05", "email": "dinkes@baritoutara.example.org"}  # fmt: skip
    assert put_agency(admin_api, "dinkes-barito-utara", body)[0] == 409  # exists: If-Match needed
    status, found = put_agency(admin_api, "dinkes-barito-utara", body, version=1)
    assert status == 200
    (dinkes,) = [a for a in found["agencies"] if a["id"] == "dinkes-barito-utara"]
    assert dinkes["version"] == 2 and dinkes["name"] == body["name"]
    assert put_agency(admin_api, "dinkes-barito-utara", body, version=1)[0] == 409


def test_concurrent_edits_of_one_agency_exactly_one_wins(admin_api: Api, serialized_dynamodb: None) -> None:
    def edit(n: int) -> int:
        body = {"name": f"Dinas Kesehatan versi {n}", "parent_id": "pemkab-barito-utara", "level": "office"}
        return put_agency(admin_api, "dinkes-barito-utara", body, version=1)[0]

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(edit, range(4)))
    assert statuses == [200, 409, 409, 409]
    assert version_of(admin_api, "agency", "dinkes-barito-utara") == 2


@pytest.mark.parametrize(
    ("agency_id", "body", "field", "message"),
    [
        # pemkab below one of its own offices: a cycle (as a province administrator would try it)
        ("dpupr-barito-utara", {"name": "Dinas PUPR", "parent_id": "dpupr-barito-utara", "level": "office"},
         ["body", "parent_id"], "cycle"),
        ("bappeda-barito-utara", {"name": "Bappeda", "parent_id": "dinkes-barito-utara", "level": "office"},
         ["body", "parent_id"], "not above"),
        ("bappeda-barito-utara", {"name": "Bappeda", "parent_id": "no-such-agency", "level": "office"},
         ["body", "parent_id"], "not an agency"),
        ("bappeda-barito-utara", {"name": "Bappeda", "parent_id": "pemkab-barito-utara", "level": "office",
                                  "webhook_url": "http://bappeda.example.org/hook"},
         ["body", "webhook_url"], "https://"),
    ],
)  # fmt: skip
def test_a_bad_agency_is_a_422_at_its_field(
    admin_api: Api, agency_id: str, body: dict[str, Any], field: list[str], message: str, monkeypatch: Any
) -> None:
    from lapor import config

    monkeypatch.setenv("LAPOR_ALLOW_HTTP_WEBHOOKS", "0")
    config.settings.cache_clear()
    version = version_of(admin_api, "agency", agency_id) if agency_id == "dpupr-barito-utara" else None
    before = directory(admin_api)
    status, problem = put_agency(admin_api, agency_id, body, version)
    assert status == 422, problem
    assert fields(problem) == [field] and message in problem["errors"][0]["msg"]
    assert directory(admin_api) == before


def test_a_cycle_through_the_hierarchy_is_a_422(admin_api: Api) -> None:
    # A province administrator moves the regency below one of its own offices.
    body = {"name": "Pemkab", "parent_id": "dinkes-barito-utara", "level": "regency"}
    status, problem, _ = admin_call(
        admin_api, PROVINCE_ADMIN, "PUT", "/agency/admin/agencies/{agency_id}",
        path_params={"agency_id": "pemkab-barito-utara"}, body=body, headers={"If-Match": "1"},
    )  # fmt: skip
    assert status == 422 and fields(problem) == [["body", "parent_id"]] and "cycle" in problem["errors"][0]["msg"]


def test_an_agency_with_children_categories_or_open_reports_is_not_deleted(admin_api: Api) -> None:
    one = "/agency/admin/agencies/{agency_id}"
    status, problem, _ = admin_call(
        admin_api, PROVINCE_ADMIN, "DELETE", one, path_params={"agency_id": "pemkab-barito-utara"}
    )
    assert status == 422 and fields(problem)[0] == ["path", "agency_id"] and "below it" in problem["errors"][0]["msg"]
    # A new office with an open report, then without
    assert put_agency(admin_api, "bappeda-barito-utara", {"name": "Bappeda", "parent_id": "pemkab-barito-utara",
                                                          "level": "office"})[0] == 200  # fmt: skip
    report = admin_api.submit(valid_submission(agency_id="bappeda-barito-utara"))
    status, problem, _ = admin_call(admin_api, ADMIN, "DELETE", one, path_params={"agency_id": "bappeda-barito-utara"})
    assert status == 422 and "open reports" in problem["errors"][0]["msg"]
    transfer = {"action": "transfer", "agency_id": "dpupr-barito-utara"}
    assert admin_api.act(claims("bappeda-barito-utara"), report["tracking_id"], **transfer)[0] == 200
    status, _, _ = admin_call(admin_api, ADMIN, "DELETE", one, path_params={"agency_id": "bappeda-barito-utara"})
    assert status == 204
    assert "bappeda-barito-utara" not in [a["id"] for a in directory(admin_api)["agencies"]]


def test_a_category_needs_a_valid_default_agency(admin_api: Api) -> None:
    body = {"name": "Air Bersih", "default_agency_id": "no-such-agency"}
    status, problem, _ = admin_call(
        admin_api, ADMIN, "PUT", "/agency/admin/categories/{code}", path_params={"code": "air-bersih"}, body=body
    )
    assert status == 422 and fields(problem) == [["body", "default_agency_id"]]
    status, problem, _ = admin_call(
        admin_api, ADMIN, "PUT", "/agency/admin/categories/{code}", path_params={"code": "Air Bersih"},
        body={**body, "default_agency_id": "dpupr-barito-utara"},
    )  # fmt: skip
    assert status == 422 and fields(problem) == [["path", "code"]]


# ---------------------------------------------------------------- answerable


def test_every_admin_action_is_in_the_audit_trail_and_changes_in_the_history(admin_api: Api, aws: Aws) -> None:
    from lapor import store

    account = invite(admin_api, "jejak@example.org", "dpupr-barito-utara")
    admin_call(
        admin_api, ADMIN, "PATCH", "/agency/admin/officers/{officer_id}", path_params={"officer_id": account["id"]},
        body={"role": "dispatcher"},
    )  # fmt: skip
    put_agency(admin_api, "dinkes-barito-utara", {"name": "Dinkes Baru", "parent_id": "pemkab-barito-utara",
                                                  "level": "office"}, version=1)  # fmt: skip
    put_agency(admin_api, "dinkes-barito-utara", {"name": "Dinkes Lama", "parent_id": "pemkab-barito-utara",
                                                  "level": "office"}, version=1)  # refused: stale  # fmt: skip
    status, history, _ = admin_call(admin_api, ADMIN, "GET", "/agency/admin/history")
    assert status == 200
    assert [(c["action"], c["target"]) for c in history["items"]] == [
        ("update_agency", "agency:dinkes-barito-utara"),
        ("update_officer", "officer:jejak@example.org"),
        ("invite", "officer:jejak@example.org"),
    ]
    agency_change = history["items"][0]
    assert agency_change["before"]["name"] == "Dinas Kesehatan Kabupaten Barito Utara"
    assert agency_change["after"]["name"] == "Dinkes Baru" and agency_change["by_agency_id"] == "pemkab-barito-utara"
    assert history["items"][1]["before"]["role"] == "officer" and history["items"][1]["after"]["role"] == "dispatcher"
    # The audit trail holds every attempt, the refused one too, each with the administrator's sub.
    attempts = [e for e in store.audit_trail(store.SETTINGS_AUDIT) if e["kind"] == "attempt"]
    assert [e["action"] for e in attempts] == ["invite", "update_officer", "put_agency", "put_agency"]
    assert {e["officer_sub"] for e in attempts} == {ADMIN["sub"]}
    # Another regency's administrator sees none of it.
    assert admin_call(admin_api, OTHER_REGENCY_ADMIN, "GET", "/agency/admin/history")[1]["items"] == []


# ---------------------------------------------------------------- the operator's commands


def test_lapor_directory_export_writes_the_live_directory_as_a_seed_file(
    admin_api: Api, aws: Aws, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from lapor.directory import Directory
    from lapor_local.cli import main

    body = {"name": "Air Bersih", "default_agency_id": "dpupr-barito-utara"}
    admin_call(
        admin_api, ADMIN, "PUT", "/agency/admin/categories/{code}", path_params={"code": "air-bersih"}, body=body
    )
    exported = tmp_path / "directory.json"
    assert main(["directory", "export", "--table", aws.reports_table, "--file", str(exported)]) == 0
    directory_now = Directory.from_file(exported)  # the format `lapor seed` reads
    assert directory_now.category("air-bersih") is not None
    assert directory_now.agency("dpupr-barito-utara").email == "dpupr@baritoutara.lapor.example"  # type: ignore[union-attr]
    assert set(directory_now.agencies) >= {"kemenpan-rb", "pemkab-barito-utara", "pemkab-murung-raya"}
    capsys.readouterr()
    # The settings trail for the operator: the attempt first, then the change with before and after.
    assert main(["audit", "--settings", "--table", aws.reports_table]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(e["kind"], e["action"]) for e in lines] == [("attempt", "put_category"), ("change", "create_category")]
    assert lines[1].get("before") is None and lines[1]["after"]["name"] == "Air Bersih"


def test_nothing_an_administrator_does_puts_an_email_or_a_token_in_the_logs(
    admin_api: Api, aws: Aws, captured_logs: Any
) -> None:
    account = invite(admin_api, "rahasia.petugas@dpupr.example.org", "dpupr-barito-utara")
    token = token_of(account, aws)
    admin_api.agency(token, "GET", "/agency/reports")
    admin_call(
        admin_api, ADMIN, "PATCH", "/agency/admin/officers/{officer_id}", path_params={"officer_id": account["id"]},
        body={"enabled": False},
    )  # fmt: skip
    admin_call(admin_api, ADMIN, "GET", "/agency/admin/officers")
    logged = captured_logs.text
    assert "rahasia.petugas" not in logged and account["id"] not in logged and token["sub"] not in logged
