"""The invitation list at school size: the list page, the list page filtered and searched, the list's CSV,
one reply's POST and (once it exists) one person's edit, at 50 and at 2,000 people on one programme, in
the same run.

    .venv/bin/python bench/scale.py            # a throwaway SQLite database in a temporary VAR_DIR
    .venv/bin/python bench/scale.py --runs 5   # fewer runs of each request (the median is printed)

Everything goes through Django's test client in this process (the real URLs, middleware, views and
templates), signed in as the programme's facilitator. For each size: one open programme (the standard
four sessions, the first in 30 days) with that many parents reached by email, every fifth with a mobile
for texts too, a third of them replied (coming, not sure, can't: in turn), their schedule made.

Printed, per size: the median wall time of each request and its CPU time (this process's, SQLite's work
included: steadier than the wall time when other processes share the cores), its queries, the HTML's
size; the CSV's time per row against a bare ``csv.writer`` writing the same ``values()`` rows
(listing.csv_rows, query included) in the same run. Then the ratios (wall, and CPU in brackets), the
last line being the list page's: ``ratio list@2000/list@50: X.XX (CPU X.XX)``. A reply and an edit are
each a different person's (one who had not replied), their form read first and only the POST timed.

Aims (issue 17): the list page at 2,000 within 2.0 × its time at 50; the CSV at least 0.3 of bare
csv.writer per row; a reply's POST and a person's edit within 1.5 × at 2,000 of their time at 50 (their
schedule re-planned for that person only).

``edit_form`` is the hook for one person's edit: it opens ``invitations:edit_person`` (when the URL
exists), reads the form as the page fills it in and changes the email, for the POST.
"""

import argparse
import csv
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import parents_with_reply_links  # noqa: E402

SIZES = (50, 2000)


def timed(call, runs: int) -> tuple[tuple[float, float], int, object]:
    """The median wall time and CPU time (this process's, SQLite's work included) of ``runs`` calls, in
    seconds, after one to warm up whose queries are counted and whose result is returned. The CPU time
    shows the work itself when other processes share the machine's cores."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        result = call()
    queries = len(captured)  # now: each later request starts the log again (request_started)
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return (statistics.median(walls), statistics.median(cpus)), queries, result


def clear() -> None:
    """Nothing left of the last size's data (in the order its protected relations need)."""
    from django.contrib.auth import get_user_model

    from core.models import Message
    from events.models import Neighbourhood, Organisation, Programme, Venue
    from invitations.models import Invitee

    for model in (Message, Programme, Invitee, Venue, Organisation, Neighbourhood, get_user_model()):
        model.objects.all().delete()


def build(size: int):
    """The programme of ``size`` parents as the module's docstring says; returns (programme, the
    invitations, their reply tokens, the facilitator)."""
    from django.contrib.auth import get_user_model

    from invitations.enums import Answer
    from invitations.models import Invitee, Reply, SessionAnswer
    from invitations.services.schedule import sync_schedule

    programme, invitations, tokens = parents_with_reply_links(size, first_in_days=30)
    people = list(Invitee.objects.filter(invitations__programme=programme).order_by("pk"))
    for number, person in enumerate(people):
        if number % 5 == 0:
            person.mobile, person.texts_agreed, person.texts_too = f"+4477009{number:05}", True, True
    people[17].name = "Zoë Ødegård"  # someone to search for, at both sizes
    Invitee.objects.bulk_update(people, ["name", "mobile", "texts_agreed", "texts_too"])
    sessions = list(programme.sessions.order_by("order"))
    answers = [Answer.YES, Answer.MAYBE, Answer.NO]
    replied = invitations[::3]
    replies = Reply.objects.bulk_create(Reply(invitation=invitation) for invitation in replied)
    SessionAnswer.objects.bulk_create(
        SessionAnswer(reply=reply, session=session, answer=answers[number % 3])
        for number, reply in enumerate(replies)
        for session in sessions
    )
    sync_schedule(programme=programme)
    facilitator = get_user_model().objects.get(username="facilitator")
    programme.neighbourhood.facilitators.add(facilitator)
    return programme, invitations, tokens, facilitator


class FormReader(HTMLParser):
    """The fields of a page's POST forms with the values the page gives them; ``data`` is the form with
    the most fields (the page's own form, not the sign-out button's)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self.fields: dict[str, str] | None = None
        self.select: str | None = None
        self.textarea: str | None = None

    @property
    def data(self) -> dict[str, str]:
        return max(self.forms, key=len, default={})

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.fields = {}
            self.forms.append(self.fields)
        if self.fields is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields[name] = attrs.get("value") or "on"
                elif kind == "radio":
                    self.fields.setdefault(name, "")  # a question not answered yet
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self.fields[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and ("selected" in attrs or self.select not in self.fields):
            self.fields[self.select] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self.textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.fields = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea and self.fields is not None:
            self.fields[self.textarea] += data


def edit_url(programme, invitation) -> str | None:
    """invitations:edit_person for one person, or None while that page does not exist."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("invitations:edit_person", kwargs={"pk": programme.pk, "invitation_pk": invitation.pk})
    except NoReverseMatch:
        return None


def edit_form(client, programme, invitation, number: int) -> tuple[str, dict]:
    """What one person's edit posts: the form as the page fills it in, with a new email address."""
    url = edit_url(programme, invitation)
    reader = FormReader()
    reader.feed(client.get(url).content.decode())
    return url, {**reader.data, "email": f"edited{number}-{invitation.pk}@example.org"}


def reply_form(client, token: str) -> tuple[str, dict]:
    """What one parent's reply posts: the reply page's form as it comes, "Coming" to every session."""
    url = f"/r/{token}/"
    reader = FormReader()
    reader.feed(client.get(url).content.decode())
    data = reader.data
    sessions = {name for name in data if name.startswith("session_")}
    return url, {**data, **dict.fromkeys(sessions, "yes")}


def bare_csv(programme, facilitator) -> tuple[float, float]:
    """A bare csv.writer over the same values() the list's CSV reads (listing.csv_rows, query included):
    wall and CPU seconds."""
    from invitations.services import listing

    wall, cpu = time.perf_counter(), time.process_time()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    people = listing.matching(programme=programme, user=facilitator, filters=listing.Filters())
    writer.writerows(row.values() for row in listing.csv_rows(people))
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(size: int, runs: int) -> dict:
    from django.test import Client
    from django.urls import reverse

    programme, invitations, tokens, facilitator = build(size)
    client = Client()
    client.force_login(facilitator)
    list_url = reverse("invitations:list", args=[programme.pk])
    csv_url = reverse("invitations:list_csv", args=[programme.pk])
    figures = {}

    def get(url):
        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return call

    for name, url in [
        ("list", list_url),
        ("list, page 2", f"{list_url}?page=2"),
        ("filtered (no reply, parents)", f"{list_url}?reply=none&group=parents"),
        ("searched (a mobile)", f"{list_url}?q=07700+900010"),
        ("searched (a name)", f"{list_url}?q=zoe+odegard"),
    ]:
        seconds, queries, response = timed(get(url), runs)
        figures[name] = (seconds, queries, len(response.content))
    seconds, queries, response = timed(get(csv_url), runs)
    figures["csv"] = (seconds, queries, len(response.content))
    bare = [bare_csv(programme, facilitator) for _ in range(runs)]
    figures["bare csv"] = (tuple(statistics.median(side) for side in zip(*bare, strict=True)), 1, 0)

    # Each reply and edit is someone else's, among those who had not replied.
    waiting = [number for number in range(len(invitations)) if number % 3]
    # Each form read first (not timed), then only its POST timed.
    replies = iter([reply_form(client, tokens[number]) for number in waiting[: runs + 1]])
    seconds, queries, response = timed(lambda: client.post(*next(replies)), runs)
    assert response.status_code == 302, response.content.decode()[:3000]
    figures["reply POST"] = (seconds, queries, 0)
    if edit_url(programme, invitations[0]) is not None:
        # The hook for one person's edit: each form read first (not timed), then only its POST timed.
        forms = iter(
            [edit_form(client, programme, invitations[number], number) for number in waiting[-(runs + 1) :]]
        )
        seconds, queries, response = timed(lambda: client.post(*next(forms)), runs)
        assert response.status_code == 302, response.content.decode()[:3000]
        figures["edit POST"] = (seconds, queries, 0)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of each request (default 10)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        os.environ.update(
            {
                "VAR_DIR": str(work),
                "DJANGO_SETTINGS_MODULE": "bettertogether.settings",
                "DEBUG": "false",
                "RATE_LIMIT_PER_MINUTE": "1000000",
            }
        )
        sys.path.insert(0, str(REPO))
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        # The test client's host; static files without collectstatic's manifest; mail kept in memory.
        # (Not setup_test_environment: its template instrumentation would be timed too.)
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        call_command("migrate", verbosity=0)
        results = {}
        for size in SIZES:
            clear()
            results[size] = measure(size, args.runs)
            for name, ((wall, cpu), queries, length) in results[size].items():
                extra = f", {length / 1000:4.0f} kB" if length else ""
                print(
                    f"{size:>5} people: {name:<30} {wall * 1000:7.1f} ms (CPU {cpu * 1000:7.1f} ms; "
                    f"{queries:>3} queries{extra})"
                )
        small, large = results[SIZES[0]], results[SIZES[1]]

        def ratio(name: str) -> str:
            (wall_large, cpu_large), (wall_small, cpu_small) = large[name][0], small[name][0]
            return f"{wall_large / wall_small:.2f} (CPU {cpu_large / cpu_small:.2f})"

        for name in ("filtered (no reply, parents)", "searched (a name)", "reply POST", "edit POST"):
            if name in large:
                print(f"ratio {name}@{SIZES[1]}/@{SIZES[0]}: {ratio(name)}")
        if "edit POST" not in large:
            print("edit: invitations:edit_person does not exist yet, so it was not timed")
        (csv_wall, csv_cpu), (bare_wall, bare_cpu) = large["csv"][0], large["bare csv"][0]
        print(
            f"csv per row at {SIZES[1]}: {csv_wall / SIZES[1] * 1e6:.1f} µs (CPU {csv_cpu / SIZES[1] * 1e6:.1f}), "
            f"bare csv.writer {bare_wall / SIZES[1] * 1e6:.1f} µs (CPU {bare_cpu / SIZES[1] * 1e6:.1f})"
        )
        print(f"ratio csv bare/ours per row: {bare_wall / csv_wall:.2f} (CPU {bare_cpu / csv_cpu:.2f})")
        print(f"ratio list@{SIZES[1]}/list@{SIZES[0]}: {ratio('list')}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
