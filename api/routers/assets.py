"""Scripts the page needs that the package does not hold as files: Vega, Vega-Lite and vega-embed
for the Insights page's charts, bundled by vl-convert-python (which ships them, so nothing is
fetched at run time)."""

from functools import cache

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter(include_in_schema=False)


@cache
def _vega_bundle() -> bytes:
    """One script defining `window.vegaEmbed` (~0.9 MB, built once a process, in about a
    second)."""
    import vl_convert

    return vl_convert.javascript_bundle("window.vegaEmbed = vegaEmbed;").encode("utf-8")


@router.get("/vendor/vega.js")
def vega() -> Response:
    return Response(
        _vega_bundle(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=86400"},
    )
