"""GET /openapi.json and GET /docs: the API's own description and Swagger UI, served without any CDN.

The Swagger UI bundle comes from the layer (aws-lambda-powertools ships it), so /docs works offline.
"""

from functools import lru_cache
from importlib import resources

from lapor.config import settings
from lapor.directory import current_directory
from lapor.errors import NotFound
from lapor.http import Request, Response, Router
from lapor.observability import logger
from lapor.openapi import build_openapi

router = Router("api_docs")
ASSETS = {
    "swagger-ui-bundle.min.js": "application/javascript; charset=utf-8",
    "swagger-ui.min.css": "text/css; charset=utf-8",
}
DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>lapor API</title><link rel="stylesheet" href="docs/swagger-ui.min.css"></head>
<body><div id="swagger-ui"></div><script src="docs/swagger-ui-bundle.min.js"></script>
<script>window.ui = SwaggerUIBundle({url: "openapi.json", dom_id: "#swagger-ui"});</script></body></html>
"""


@lru_cache(maxsize=len(ASSETS))
def _asset(name: str) -> str:
    package = resources.files("aws_lambda_powertools.event_handler.openapi.swagger_ui")
    return package.joinpath(name).read_text(encoding="utf-8")


@router.route("GET", "/openapi.json")
def openapi(request: Request) -> Response:
    try:
        directory = current_directory()
    except Exception:  # an unseeded or unreachable directory: still a document, without the enums
        directory = None
    document = build_openapi(
        directory, server_url=request.base_url or "/", jurisdiction_id=settings().open311_jurisdiction_id
    )
    return Response(200, document, {"Cache-Control": "max-age=60"})


@router.route("GET", "/docs")
def docs(request: Request) -> Response:
    # The page's links are relative: it works under a stage prefix (/v1/docs) as well as at the root.
    return Response(200, DOCS_PAGE, {"Cache-Control": "max-age=300"}, content_type="text/html; charset=utf-8")


@router.route("GET", "/docs/{asset}")
def docs_asset(request: Request) -> Response:
    name = request.path_params.get("asset", "")
    if name not in ASSETS:
        raise NotFound("No such documentation asset.")
    return Response(200, _asset(name), {"Cache-Control": "public, max-age=86400"}, content_type=ASSETS[name])


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: object) -> dict:
    return router(event, context)
