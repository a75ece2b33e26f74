"""GET /openapi.json and GET /docs: the API's own description and Swagger UI, served without any CDN.

The Swagger UI bundle comes from the layer (aws-lambda-powertools ships it), so /docs works offline.
The page has no inline script (its start-up code is an asset of its own), so its Content-Security-Policy
allows scripts from this origin only, like the citizen pages.
"""

from functools import lru_cache
from importlib import resources

from lapor import aws
from lapor.config import settings
from lapor.errors import NotFound
from lapor.http import Request, Response, Router
from lapor.observability import handler
from lapor.openapi import published_openapi
from lapor.store import current_directory

# INIT, in SnapStart's snapshot: the client /openapi.json reads the directory with (primed; no AWS call), and
# the published document read and rendered once without a directory.
aws.prepare("dynamodb")
published_openapi(None)

router = Router("api_docs")
ASSETS = {
    "swagger-ui-bundle.min.js": "application/javascript; charset=utf-8",
    "swagger-ui.min.css": "text/css; charset=utf-8",
    "swagger-init.js": "application/javascript; charset=utf-8",
}
# The page lives at /docs and its assets under /docs/: relative links work under a stage prefix too.
INIT_SCRIPT = 'window.ui = SwaggerUIBundle({url: "openapi.json", dom_id: "#swagger-ui"});\n'
DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>lapor API</title><link rel="icon" href="data:,"><link rel="stylesheet" href="docs/swagger-ui.min.css"></head>
<body><div id="swagger-ui"></div><script src="docs/swagger-ui-bundle.min.js"></script>
<script src="docs/swagger-init.js"></script></body></html>
"""
# Swagger UI draws its icons from data: URIs and fetches the document from this origin; nothing else.
DOCS_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
    "Cache-Control": "max-age=300",
}


@lru_cache(maxsize=len(ASSETS))
def _asset(name: str) -> str:
    if name == "swagger-init.js":
        return INIT_SCRIPT
    package = resources.files("aws_lambda_powertools.event_handler.openapi.swagger_ui")
    return package.joinpath(name).read_text(encoding="utf-8")


@router.operation("getOpenApi")
def openapi(request: Request) -> Response:
    try:
        directory = current_directory()
    except Exception:  # an unseeded or unreachable directory: still a document, without the enums
        directory = None
    document = published_openapi(
        directory, server_url=request.base_url or "/", jurisdiction_id=settings().open311_jurisdiction_id
    )
    return Response(200, document, {"Cache-Control": "max-age=60"})


@router.operation("getDocs")
def docs(request: Request) -> Response:
    # The page's links are relative: it works under a stage prefix (/v1/docs) as well as at the root.
    return Response(200, DOCS_PAGE, dict(DOCS_HEADERS), content_type="text/html; charset=utf-8")


@router.operation("getDocsAsset")
def docs_asset(request: Request) -> Response:
    name = request.path_params.get("asset", "")
    if name not in ASSETS:
        raise NotFound("No such documentation asset.")
    return Response(200, _asset(name), {"Cache-Control": "public, max-age=86400"}, content_type=ASSETS[name])


lambda_handler = handler(router)
