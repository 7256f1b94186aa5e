"""The two-factor pages' rows of the URL table in tests/urlmap.py (which reads them in at its end). In the
matrix nobody has two-factor set up and it is not required (the test settings: SECURE off), so the code
page and the recovery codes page send people on; tests/accounts/test_twofactor.py and the browser test
tests/browser/test_twofactor.py open them for real."""

from tests.urlmap import REDIRECT, Route

SIGNED_IN = ["other_facilitator", "facilitator", "other_coordinator", "coordinator", "artist", "admin"]
EVERYONE = {role: 200 for role in SIGNED_IN}

ROUTES = [
    Route("accounts:two_factor", expect=EVERYONE),
    Route("accounts:two_factor_setup", expect=EVERYONE),
    # Not set up: there is no code to ask for (on to the dashboard); no codes just made (on to the page).
    Route("accounts:two_factor_verify", default=REDIRECT, page=False),
    Route("accounts:two_factor_codes", default=REDIRECT, page=False),
    # Not set up: "set it up first"; turning off is for anyone who need not use it (all, with it not required).
    Route("accounts:two_factor_new_codes", method="post", default=REDIRECT, page=False),
    Route("accounts:two_factor_disable", method="post", default=REDIRECT, page=False),
]
