import pytest
from django.core.exceptions import ValidationError

from buurtnet.networks import geo
from buurtnet.networks.tests.factories import square


def test_valid_square_passes():
    assert geo.validate_area(square(3.26, 50.82)).area > 0


@pytest.mark.parametrize(
    ("area", "code"),
    [
        ("not json", "not_polygon"),
        ({"type": "Point", "coordinates": [3.2, 50.8]}, "not_polygon"),
        ({"type": "Polygon", "coordinates": []}, "no_coordinates"),
        (
            {"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [3, 4], ["a", "b"]]]},
            "bad_coordinates",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [[[3.2, 50.8], [3.3, 50.8], [3.3, 50.9], [3.2, 50.9]]],
            },
            "not_closed",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [[[3.2, 50.8], [3.3, 50.9], [3.3, 50.8], [3.2, 50.9], [3.2, 50.8]]],
            },
            "self_intersecting",
        ),
        (square(4.0, 52.5), "outside_belgium"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[3.2, 50.8], [3.3, 50.8], [3.4, 50.8], [3.2, 50.8]]],
            },
            "empty",
        ),
    ],
    ids=["string", "point", "empty", "letters", "open-ring", "bow-tie", "netherlands", "flat"],
)
def test_malformed_polygons_are_refused_with_a_reason(area, code):
    with pytest.raises(ValidationError) as info:
        geo.validate_area(area)
    assert info.value.code == code


def test_point_on_border_counts_as_inside():
    assert geo.contains(square(3.26, 50.82), 3.26, 50.83)


def test_touching_areas_do_not_overlap():
    assert not geo.overlaps(square(3.26, 50.82), square(3.28, 50.82))
    assert geo.overlaps(square(3.26, 50.82), square(3.27, 50.82))
