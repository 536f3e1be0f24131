"""The admin's map widget: every element it renders has an id of its own (the map's options, read by
geo/offline_map.js, are not given the id of the element the map is drawn in)."""

import re
from collections import Counter

from geo.widgets import OfflineMapWidget


def test_the_map_and_its_options_have_ids_of_their_own():
    html = OfflineMapWidget().render("location", None, attrs={"id": "id_location"})

    ids = Counter(re.findall(r'\bid="([^"]+)"', html))

    assert [name for name, times in ids.items() if times > 1] == []
    assert {"id_location", "id_location_map", "id_location_div_map", "id_location_map_options"} <= set(ids)
    assert re.search(r'<script id="id_location_map_options" type="application/json">', html)
