"""Open311 GeoReport v2, the read side: discovery, services and public service requests, JSON or XML.

Like the public lookup, this function cannot write or decrypt, and it reads reports only through their
public attributes: confidential content and reporter data are out of its reach.
"""

from lapor import aws, open311
from lapor.http import Request, Response, Router, open311_errors, open311_response
from lapor.observability import handler

aws.prepare("dynamodb")  # INIT: every route but discovery reads the table (made here, it is in the snapshot)

router = Router("open311", errors=open311_errors)
DIRECTORY_CACHE = {"Cache-Control": "public, max-age=300"}
NO_STORE = {"Cache-Control": "no-store"}


def _format(request: Request) -> str:
    open311.check_jurisdiction(request.query.get("jurisdiction_id"))
    return "xml" if request.resource.endswith(".xml") else "json"


@router.operation("open311DiscoveryJSON")
@router.operation("open311DiscoveryXML")
def discovery(request: Request) -> Response:
    return open311_response(200, "discovery", open311.discovery(request.base_url), _format(request), DIRECTORY_CACHE)


@router.operation("open311ServicesJSON")
@router.operation("open311ServicesXML")
def services(request: Request) -> Response:
    return open311_response(200, "services", open311.services(), _format(request), DIRECTORY_CACHE)


@router.operation("open311ServiceDefinition")
def service_definition(request: Request) -> Response:
    code, fmt = open311.split_format(request.path_params.get("service_file", ""))
    open311.check_jurisdiction(request.query.get("jurisdiction_id"))
    return open311_response(200, "service_definition", open311.service_definition(code), fmt, DIRECTORY_CACHE)


@router.operation("open311RequestsJSON")
@router.operation("open311RequestsXML")
def list_requests(request: Request) -> Response:
    fmt = _format(request)
    return open311_response(200, "service_requests", open311.find_requests(request.query), fmt, NO_STORE)


@router.operation("open311Request")
def get_request(request: Request) -> Response:
    tracking_id, fmt = open311.split_format(request.path_params.get("request_file", ""))
    open311.check_jurisdiction(request.query.get("jurisdiction_id"))
    return open311_response(200, "service_requests", open311.get_request(tracking_id), fmt, NO_STORE)


lambda_handler = handler(router)
