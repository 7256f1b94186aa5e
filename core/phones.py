"""UK mobile numbers, for text messages: read as people write them, kept as E.164 ("+447700900123").

Groundwork for issue 16 (text messages): nothing stores or sends to these yet.

Accepted: "07700 900123", "07700-900-123", "+44 7700 900123", "+44 (0)7700 900123", "0044 7700 900123",
"447700900123". Refused with a reason a person can act on: letters, too few or too many digits, a
landline (01, 02, 03), a freephone or service number (08, 09), a number that is not a mobile (070
personal numbers, 076 pagers), and numbers abroad.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# What people put between digits: spaces, dashes, dots, brackets, slashes.
SEPARATORS = re.compile(r"[\s\-./()]+")
# UK mobiles: 071–075 and 077–079 (076 is pagers, except 07624 on the Isle of Man), then 8 more digits.
MOBILE = re.compile(r"7(?:[1-57-9]\d|624)\d{6,7}")


def uk_mobile(text: str) -> str:
    """The E.164 form of a UK mobile number written as people write it; ValidationError saying why not."""
    written = " ".join(str(text).split())
    if not written:
        raise ValidationError(_("Please give a mobile number."), code="required")
    compact = SEPARATORS.sub("", written)
    if compact.startswith("+"):
        compact = "00" + compact[1:]
    if not compact.isdigit():
        raise ValidationError(
            _("A mobile number has only digits (and spaces), for example 07700 900123."), code="letters"
        )
    if compact.startswith("0044"):
        national = compact[4:]
    elif compact.startswith("44") and len(compact) == 12:
        national = compact[2:]
    elif compact.startswith("00"):
        raise ValidationError(_("We can only send texts to UK mobile numbers."), code="abroad")
    elif compact.startswith("0"):
        national = compact[1:]
    else:
        national = compact
    national = national.removeprefix("0")  # "+44 (0)7700…" written with its trunk zero
    if national[:1] in ("1", "2", "3"):
        raise ValidationError(
            _("That looks like a landline. Texts need a mobile number, starting 07."), code="landline"
        )
    if national[:1] in ("8", "9"):
        raise ValidationError(
            _("That is a freephone or service number. Texts need a mobile number, starting 07."),
            code="service",
        )
    if len(national) < 10:
        raise ValidationError(
            _("That number is too short: a UK mobile has 11 digits, starting 07."), code="short"
        )
    if len(national) > 10:
        raise ValidationError(
            _("That number is too long: a UK mobile has 11 digits, starting 07."), code="long"
        )
    if not MOBILE.fullmatch(national):
        raise ValidationError(
            _("That is not a mobile number. Texts need a mobile number, starting 07."), code="not_mobile"
        )
    return "+44" + national
