"""The balance rule (invitations.balance): an even split between the three groups, and a warning for a
group under a quarter of the whole."""

from dataclasses import dataclass

import pytest

from invitations.balance import even_split, low_groups, share_of, under_a_quarter


@pytest.mark.parametrize(
    ("count", "total", "low"),
    [(0, 0, False), (1, 8, True), (2, 8, False), (0, 3, True), (1, 4, False), (3, 13, True)],
)
def test_under_a_quarter_warns_only_below_a_quarter_and_never_for_nobody(count, total, low):
    assert under_a_quarter(count, total) is low


def test_share_of_is_a_whole_percentage_and_nothing_of_nobody():
    assert (share_of(1, 3), share_of(2, 3), share_of(0, 0), share_of(5, 5)) == (33, 67, 0, 100)


def test_even_split_is_about_a_third():
    assert (even_split(0), even_split(8), even_split(24), even_split(25)) == (0, 3, 8, 8)


@dataclass(frozen=True)
class Group:
    key: str
    low: bool


def test_low_groups_keeps_the_order_of_the_groups():
    groups = [Group("parents", True), Group("school_staff", False), Group("groups", True)]

    assert [group.key for group in low_groups(groups)] == ["parents", "groups"]
