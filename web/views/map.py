"""What the workspace's maps read from Slid (web/static/web/js/map.js): the country outline, the admin areas'
boundaries as vector tiles (the base map when no tile server can be reached), and a case's incidents as
vector tiles of clusters (evidence.selectors.maps). Tiles are asked for as ?z=&x=&y= (the map's tile scheme);
a tile that does not exist is a 400 naming the parameter."""

from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest

from evidence.selectors.maps import incident_tile
from geo.tiles import MVT_MEDIA_TYPE, Tile, TileError, admin_area_tile
from web.pages import Page


@cache
def _outline(path: str) -> bytes | None:
    return Path(path).read_bytes() if path and Path(path).is_file() else None


def _tile(request: HttpRequest) -> Tile:
    return Tile.parse(request.GET.get("z"), request.GET.get("x"), request.GET.get("y"))


def _mvt(content: bytes) -> HttpResponse:
    return HttpResponse(content, content_type=MVT_MEDIA_TYPE)


class MapOutlinePage(Page):
    """The country's outline (SLID_COUNTRY_OUTLINE, GeoJSON): the land the maps draw beneath everything."""

    def get(self, request: HttpRequest) -> HttpResponse:
        outline = _outline(getattr(settings, "SLID_COUNTRY_OUTLINE", ""))
        if outline is None:
            raise Http404("No country outline is set.")
        return HttpResponse(outline, content_type="application/geo+json")


class MapAreasPage(Page):
    """The admin areas' boundaries in a tile (geo.tiles.admin_area_tile)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            tile = _tile(request)
        except TileError as error:
            return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
        return _mvt(admin_area_tile(tile))


class CaseMapTilesPage(Page):
    """The case's incidents in a tile: clusters with their counts, or the incidents themselves close in;
    at most evidence.selectors.maps.CLUSTER_CAP features a tile, whatever the case holds."""

    def get(self, request: HttpRequest, reference: str) -> HttpResponse:
        try:
            tile = _tile(request)
        except TileError as error:
            return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
        return _mvt(incident_tile(case=self.case, tile=tile))
