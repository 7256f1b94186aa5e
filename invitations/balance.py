"""The balance the programme aims for: an even split between parents and carers, school staff, and
groups (enums.BALANCE_GROUPS), and a warning when a group falls under a quarter of the whole.

One rule for every count of it: the invitation list (services.invitees), those coming (services.sheets)
and those who came (evaluations.services.attendance). Nobody at all is not "out of balance".
"""

from collections.abc import Sequence
from typing import Protocol, TypeVar

from .enums import BALANCE_GROUPS


def share_of(count: int, total: int) -> int:
    """``count`` as a whole percentage of ``total`` (0 when there is nobody)."""
    return round(100 * count / total) if total else 0


def under_a_quarter(count: int, total: int) -> bool:
    """The balance warning: a group under a quarter of the whole. Nobody at all is not out of balance."""
    return bool(total) and count * 4 < total


def even_split(total: int) -> int:
    """What each group would have in an even split of ``total``: about a third, rounded."""
    return round(total / len(BALANCE_GROUPS))


class Counted(Protocol):
    @property
    def low(self) -> bool: ...


Group = TypeVar("Group", bound=Counted)


def low_groups(groups: Sequence[Group]) -> list[Group]:
    """The groups under a quarter of the whole (each worked out with under_a_quarter), in their order."""
    return [group for group in groups if group.low]
