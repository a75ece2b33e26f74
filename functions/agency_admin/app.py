"""The regency administrator's API (`/agency/admin/...`): officers (the Cognito pool) and the directory, and
the settings history. Callers are authenticated by the API's authorizer; only the `admin` role gets past
`lapor.admin`, within its scope.
"""

from lapor import admin, aws
from lapor.http import Request, Response, Router, if_match
from lapor.models import AgencyInput, CategoryInput, OfficerInvite, OfficerUpdate
from lapor.observability import handler

# INIT, in SnapStart's snapshot: every request reads the store; most call the user pool. No AWS call.
aws.prepare("dynamodb", "cognito-idp")

router = Router("agency_admin")
PRIVATE = {"Cache-Control": "no-store"}


def _officer_id(request: Request) -> str:
    return request.path_params.get("officer_id", "")


@router.operation("listOfficers")
def list_officers(request: Request) -> Response:
    return Response(200, admin.list_officers(request.claims), PRIVATE)


@router.operation("inviteOfficer")
def invite_officer(request: Request) -> Response:
    return Response(201, admin.invite_officer(request.claims, request.body_as(OfficerInvite)), PRIVATE)


@router.operation("updateOfficer")
def update_officer(request: Request) -> Response:
    body = request.body_as(OfficerUpdate)
    return Response(200, admin.update_officer(request.claims, _officer_id(request), body), PRIVATE)


@router.operation("signOutOfficer")
def sign_out_officer(request: Request) -> Response:
    return Response(200, admin.sign_out_officer(request.claims, _officer_id(request)), PRIVATE)


@router.operation("resetOfficerMfa")
def reset_officer_mfa(request: Request) -> Response:
    return Response(200, admin.reset_officer_mfa(request.claims, _officer_id(request)), PRIVATE)


@router.operation("getAdminDirectory")
def get_directory(request: Request) -> Response:
    return Response(200, admin.directory_for_admin(request.claims), PRIVATE)


@router.operation("putAgency")
def put_agency(request: Request) -> Response:
    agency_id, version, body = request.path_params.get("agency_id", ""), if_match(request), request.body_as(AgencyInput)
    return Response(200, admin.put_agency(request.claims, agency_id, body, version), PRIVATE)


@router.operation("deleteAgency")
def delete_agency(request: Request) -> Response:
    admin.delete_agency(request.claims, request.path_params.get("agency_id", ""), if_match(request))
    return Response(204, None, PRIVATE)


@router.operation("putCategory")
def put_category(request: Request) -> Response:
    code, version, body = request.path_params.get("code", ""), if_match(request), request.body_as(CategoryInput)
    return Response(200, admin.put_category(request.claims, code, body, version), PRIVATE)


@router.operation("deleteCategory")
def delete_category(request: Request) -> Response:
    admin.delete_category(request.claims, request.path_params.get("code", ""), if_match(request))
    return Response(204, None, PRIVATE)


@router.operation("getSettingsHistory")
def settings_history(request: Request) -> Response:
    return Response(200, admin.settings_history(request.claims), PRIVATE)


lambda_handler = handler(router)
