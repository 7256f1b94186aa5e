"""The records app's rows of the URL table in tests/urlmap.py (which reads them in at its end)."""

from tests.urlmap import FACILITATORS, OK, REDIRECT, Route  # noqa: F401

ROUTES: list[Route] = []
