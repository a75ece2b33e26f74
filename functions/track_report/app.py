"""Public lookups: a report's public view by Tracking ID, open reports nearby, the directory, the public stats and
health.

This function can read the reports table and nothing else: no writes, no KMS. Confidential content is
stored encrypted, so even a bug here cannot show it (see `lapor.public`).
"""

from lapor import aws
from lapor.http import Request, Response, Router
from lapor.nearby import public_nearby
from lapor.observability import handler
from lapor.public import public_agencies, public_categories, public_figures, public_report

aws.prepare("dynamodb")  # INIT: the clients every request needs; no AWS call

router = Router("track_report")
DIRECTORY_CACHE = {"Cache-Control": "public, max-age=300"}


@router.operation("getReport")
def get_report(request: Request) -> Response:
    return Response(200, public_report(request.path_params.get("tracking_id", "")), {"Cache-Control": "no-store"})


@router.operation("findNearbyReports")
def find_nearby(request: Request) -> Response:
    return Response(200, public_nearby(request.query), {"Cache-Control": "no-store"})


@router.operation("listAgencies")
def list_agencies(request: Request) -> Response:
    return Response(200, public_agencies(), DIRECTORY_CACHE)


@router.operation("listCategories")
def list_categories(request: Request) -> Response:
    return Response(200, public_categories(), DIRECTORY_CACHE)


@router.operation("getStats")
def get_stats(request: Request) -> Response:
    return Response(200, {"agencies": public_figures()}, {"Cache-Control": "public, max-age=60"})


@router.operation("health")
def health(request: Request) -> Response:
    return Response(200, {"status": "ok"}, {"Cache-Control": "no-store"})


lambda_handler = handler(router)
