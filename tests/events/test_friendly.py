from datetime import time

import pytest

from events.templatetags.friendly import clock, person
from tests.factories import UserFactory


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (time(9, 30), "9:30am"),
        (time(15, 0), "3pm"),
        (time(12, 0), "12 noon"),
        (time(0, 5), "12:05am"),
        (time(12, 45), "12:45pm"),
    ],
)
def test_clock(value, said):
    assert clock(value) == said


def test_person_prefers_the_full_name(db):
    assert person(UserFactory(username="fh", first_name="Fatima", last_name="Hussain")) == "Fatima Hussain"
    assert person(UserFactory(username="fh2", first_name="", last_name="")) == "fh2"
