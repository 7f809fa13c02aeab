"""Scripts the page needs that the package does not hold as files: Vega, Vega-Lite and vega-embed
for the Insights page's charts, bundled by vl-convert-python (which ships them, so nothing is
fetched at run time)."""

import hashlib
from functools import cache

from fastapi import APIRouter, Request
from fastapi.responses import Response

router = APIRouter(include_in_schema=False)


@cache
def _vega_bundle() -> bytes:
    """One script defining `window.vegaEmbed` (~0.9 MB, built once a process, in about a
    second)."""
    import vl_convert

    return vl_convert.javascript_bundle("window.vegaEmbed = vegaEmbed;").encode("utf-8")


@cache
def _etag() -> str:
    return '"' + hashlib.sha256(_vega_bundle()).hexdigest()[:32] + '"'


def warm() -> None:
    """Build the bundle now (at start-up), not on a first request the others would wait behind."""
    _etag()


@router.get("/vendor/vega.js")
def vega(request: Request) -> Response:
    """The bundle; an hour in a browser's cache, then checked by its ETag (a new release of the
    package brings another)."""
    headers = {"Cache-Control": "public, max-age=3600", "ETag": _etag()}
    if request.headers.get("if-none-match") == _etag():
        return Response(status_code=304, headers=headers)
    return Response(_vega_bundle(), media_type="text/javascript; charset=utf-8", headers=headers)
