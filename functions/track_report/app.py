"""Public lookups: a report's public view by Tracking ID, the directory, the public stats and health.

This function can read the reports table and nothing else: no writes, no KMS. Confidential content is
stored encrypted, so even a bug here cannot show it; and a report's lookup reads only its public
attributes and timeline entries, never a sealed envelope or a private message.
"""

from lapor import aws, store
from lapor.config import settings
from lapor.directory import current_directory
from lapor.errors import ReportNotFound
from lapor.http import Request, Response, Router
from lapor.ids import parse_tracking_id
from lapor.observability import logger
from lapor.stats import public_figures
from lapor.views import public_view

aws.prepare("dynamodb")  # INIT: the clients every request needs; no AWS call

router = Router("track_report")
DIRECTORY_CACHE = {"Cache-Control": "public, max-age=300"}


@router.operation("getReport")
def get_report(request: Request) -> Response:
    tracking_id = parse_tracking_id(request.path_params.get("tracking_id", ""))
    item = store.read_public_report(tracking_id)
    if item is None:
        raise ReportNotFound()
    return Response(200, public_view(item, settings().time_zone), {"Cache-Control": "no-store"})


@router.operation("listAgencies")
def list_agencies(request: Request) -> Response:
    agencies = current_directory().agencies.values()
    return Response(200, [a.public() for a in agencies], DIRECTORY_CACHE)


@router.operation("listCategories")
def list_categories(request: Request) -> Response:
    categories = current_directory().categories.values()
    return Response(200, [c.public() for c in categories], DIRECTORY_CACHE)


@router.operation("getStats")
def get_stats(request: Request) -> Response:
    directory = current_directory()
    rows = {row["sk"]: row for row in store.read_stats()}
    figures = [
        public_figures(rows.get(agency.id, {"sk": agency.id}), agency.name) for agency in directory.agencies.values()
    ]
    return Response(200, {"agencies": figures}, {"Cache-Control": "public, max-age=60"})


@router.operation("health")
def health(request: Request) -> Response:
    return Response(200, {"status": "ok"}, {"Cache-Control": "no-store"})


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return router(event, context)
