"""UK mobile numbers read as people write them, kept as E.164; everything else refused with a reason."""

import pytest
from django.core.exceptions import ValidationError

from core.phones import uk_mobile


@pytest.mark.parametrize(
    "written",
    [
        "07700 900123",
        "07700900123",
        "07700-900-123",
        "07700.900.123",
        "+44 7700 900123",
        "+44 (0)7700 900123",
        "0044 7700 900123",
        "447700900123",
        "  07700   900 123 ",
    ],
)
def test_a_mobile_written_any_usual_way_becomes_e164(written):
    assert uk_mobile(written) == "+447700900123"


def test_an_isle_of_man_mobile_is_a_mobile():
    assert uk_mobile("07624 123456") == "+447624123456"


@pytest.mark.parametrize(
    ("written", "code", "said"),
    [
        ("07700 900 12", "short", "too short"),
        ("07700 900 1234", "long", "too long"),
        ("+44 20 7946 0000", "landline", "landline"),
        ("0161 496 0000", "landline", "landline"),
        ("0800 123 4567", "service", "freephone"),
        ("0900 123 4567", "service", "freephone"),
        ("07700 9OO 123", "letters", "only digits"),
        ("call me", "letters", "only digits"),
        ("+33 6 12 34 56 78", "abroad", "UK mobile"),
        ("07012 345678", "not_mobile", "not a mobile"),
        ("07612 345678", "not_mobile", "not a mobile"),
        ("", "required", "Please give"),
        ("07700 900123 ext 4", "letters", "only digits"),
    ],
)
def test_anything_else_is_refused_saying_why(written, code, said):
    with pytest.raises(ValidationError) as refused:
        uk_mobile(written)

    assert refused.value.code == code
    assert said in refused.value.messages[0]
