"""Issue 17, part 5: a school's export of parents' contacts (SIMS, Arbor, Bromcom, a Wonde-style file, or
any other mapped column by column), read as one person per contact, with the mapping remembered per
school and checked again on confirm. The sample exports are in tests/fixtures/exports."""

import json
import time
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invitations.models import ImportMapping, Invitation, Invitee
from invitations.services import csv_import, school_exports
from invitations.services.school_exports import Reading
from tests.factories import InvitationFactory, InviteeFactory
from tests.fixtures.exports.make_big import big_sims_export, first_rows

pytestmark = pytest.mark.django_db
EXPORTS = Path(__file__).parents[1] / "fixtures" / "exports"


@pytest.fixture
def facilitator_client(client, world):
    client.force_login(world.user("facilitator"))
    return client


def export(name: str) -> str:
    return (EXPORTS / name).read_text(encoding="utf-8")


def suggested(text: str, school=None) -> Reading:
    inspection = school_exports.inspect_upload(text)
    system = inspection.system
    return Reading(
        mapping=school_exports.suggest_mapping(inspection.headers, system),
        school=school,
        system=system.key if system else "",
    )


def preview(world, text: str, *, role: str = "facilitator", reading: Reading | None = None, school="school"):
    school = getattr(world, school) if isinstance(school, str) else school
    reading = reading or suggested(text, school)
    return school_exports.preview_export(
        programme=world.programme, text=text, user=world.user(role), reading=reading
    )


def by_name(result) -> dict[str, csv_import.Row]:
    return {row.values["name"]: row for row in result.rows}


def import_url(world) -> str:
    return reverse("invitations:import", args=[world.programme.pk])


def upload(client, world, text: str, **data):
    file = SimpleUploadedFile("contacts.csv", text.encode("utf-8"), content_type="text/csv")
    return client.post(import_url(world), {"file": file, **data})


def mapping_post(response, **changes) -> dict:
    """What the mapping page would post back as it was shown, with ``changes`` chosen."""
    form = response.context["form"]
    data = {name: form[name].value() or "" for name in ("step", "text", "school", "system")}
    data.update({field.key: form[field.key].value() or "" for field in school_exports.FIELDS})
    data.update(changes)
    return data


def confirm_post(response, **changes) -> dict:
    form = response.context["confirm_form"]
    data = {name: form[name].value() or "" for name in ("text", "mapping", "school", "system")}
    data.update(changes)
    return data


# --- Recognising a file by its headers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "system"),
    [("sims.csv", "SIMS"), ("arbor.csv", "Arbor"), ("bromcom.csv", "Bromcom"), ("wonde.csv", "Wonde")],
)
def test_each_systems_export_is_recognised_and_its_columns_suggested(name, system):
    inspection = school_exports.inspect_upload(export(name))
    mapping = school_exports.suggest_mapping(inspection.headers, inspection.system)

    assert inspection.system is not None and inspection.system.name == system
    assert not inspection.ours
    assert {
        "first_name",
        "surname",
        "email",
        "mobile",
        "responsibility",
        "priority",
        "year",
    } <= mapping.keys()
    assert school_exports.mapping_problems(mapping, inspection.headers, school=None) == [
        "Say which school the file is from, or choose the column that names each child's school."
    ]


def test_a_file_of_another_kind_is_not_recognised_and_a_file_of_ours_is_ours():
    other = school_exports.inspect_upload(export("other.csv"))
    ours = school_exports.inspect_upload("name,category,email\nAmira Khan,parent,amira@example.org\n")
    misspelt = school_exports.inspect_upload("name,catagory\nAmira Khan,parent\n")

    assert other.system is None and not other.ours
    assert ours.ours and ours.system is None
    assert misspelt.ours  # so the upload says "is “catagory” meant to be it?", as before


def test_the_headers_key_ignores_order_case_and_spacing_but_not_a_different_column():
    one = school_exports.inspect_upload("Contact Forename,Contact  Surname,Email\nA,B,c@d.org\n").key
    same = school_exports.inspect_upload("email,contact surname,CONTACT FORENAME\nc@d.org,B,A\n").key
    other = school_exports.inspect_upload("Contact Forename,Contact Surname,Mobile\nA,B,07700 900123\n").key

    assert one == same != other


# --- A mapping that cannot be used is refused with the reason --------------------------------------------


def test_a_mapping_without_the_name_is_refused_with_the_reason(world):
    reading = suggested(export("sims.csv"), world.school)
    mapping = {key: column for key, column in reading.mapping.items() if key not in ("first_name", "surname")}

    problems = school_exports.mapping_problems(
        mapping, school_exports.inspect_upload(export("sims.csv")).headers, school=world.school
    )
    result = preview(world, export("sims.csv"), reading=Reading(mapping=mapping, school=world.school))

    assert problems == [
        "Without the contact's name we cannot invite anyone: choose the column with their first name and the "
        "one with their surname (or the one with their full name)."
    ]
    assert result.file_error == problems[0] and result.rows == []


def test_a_mapping_with_a_first_name_but_no_surname_is_refused(world):
    headers = school_exports.inspect_upload(export("sims.csv")).headers

    problems = school_exports.mapping_problems(
        {"first_name": "contact forename", "email": "contact email"}, headers, school=world.school
    )

    assert problems and problems[0].startswith("Without the contact's name we cannot invite anyone")


def test_a_mapping_without_any_contact_column_is_refused_with_the_reason(world):
    headers = school_exports.inspect_upload(export("sims.csv")).headers

    problems = school_exports.mapping_problems(
        {"first_name": "contact forename", "surname": "contact surname", "address": "address"},
        headers,
        school=world.school,
    )

    assert problems == [
        "Without an email address, a mobile or a phone number we could not reach anyone, nor tell the same "
        "parent under two children: choose at least one of those columns."
    ]


def test_a_mapping_naming_a_column_the_file_lacks_or_one_column_twice_is_refused(world):
    headers = school_exports.inspect_upload(export("sims.csv")).headers

    missing = school_exports.mapping_problems(
        {"full_name": "parent name", "email": "contact email"}, headers, school=world.school
    )
    twice = school_exports.mapping_problems(
        {"full_name": "contact surname", "email": "contact email", "phone": "contact email"},
        headers,
        school=world.school,
    )
    both = school_exports.mapping_problems(
        {"full_name": "contact surname", "first_name": "contact forename", "email": "contact email"},
        headers,
        school=world.school,
    )

    assert missing[0] == "The file has no column called “parent name”."
    assert twice == [
        "The column “contact email” is chosen for both “Email address” and “Other phone number”: choose it "
        "for one only."
    ]
    assert both == ["Choose either the full name, or the first name and surname: not both."]


def test_a_mapping_of_fields_we_do_not_have_is_refused(world):
    headers = school_exports.inspect_upload(export("sims.csv")).headers

    problems = school_exports.mapping_problems(
        {"full_name": "contact surname", "email": "contact email", "is_superuser": "priority"},
        headers,
        school=world.school,
    )

    assert problems == ["The mapping names fields we don't have: is_superuser."]


# --- Reading contacts ------------------------------------------------------------------------------------


def test_the_same_contact_under_three_children_is_one_person(world):
    result = preview(world, export("sims.csv"))
    grace = [row for row in result.rows if row.values["name"] == "Grace Obi"]

    assert len(grace) == 1
    assert grace[0].lines == [2, 9, 16]  # the lines each record starts on (an address takes three)
    assert "on the file 3 times (once for each child): one person" in grace[0].remarks
    assert result.file_rows == 15
    assert len(result.rows) == 9


def test_the_same_contact_is_found_by_their_own_id_when_the_export_has_one(world):
    text = export("arbor.csv").replace("abena.osei@example.org,07700 900201", "abena@example.org,", 1)

    result = preview(world, text)
    names = [row.values["name"] for row in result.rows]

    assert names.count("Abena Osei") == 1  # G1001 twice, with other details the second time
    assert by_name(result)["Abena Osei"].values["email"] == "abena@example.org"


def test_two_addresses_in_a_cell_use_the_first_and_keep_the_other_in_the_notes(world):
    result = preview(world, export("sims.csv"))
    grace = by_name(result)["Grace Obi"]

    assert grace.status == "add"
    assert grace.cleaned["email"] == "grace.obi@example.org"
    assert "Other email addresses: grace.work@example.com." in grace.cleaned["notes"]
    assert "2 email addresses: the first is used, the others kept in the notes" in grace.remarks


def test_a_valid_and_an_invalid_address_in_a_cell_use_the_valid_one_and_note_the_other(world):
    result = preview(world, export("sims.csv"))
    tomasz = by_name(result)["Tomasz Nowak"]

    assert tomasz.status == "add"
    assert tomasz.cleaned["email"] == "nowak.family@example.org"
    assert "Not email addresses, left out: “t.nowak@work”." in tomasz.cleaned["notes"]
    assert "“t.nowak@work” is not an email address: kept in the notes" in tomasz.remarks


def test_two_mobiles_in_a_cell_use_the_first_and_keep_the_other(world):
    result = preview(world, export("bromcom.csv"))
    fatima = by_name(result)["Fatima Ahmed"]

    assert fatima.cleaned["mobile"] == "+447700900301"
    assert "Other mobile numbers: 07700 900302." in fatima.cleaned["notes"]


def test_a_landline_in_the_mobile_column_is_kept_as_their_phone():
    mobiles, phones, bad = school_exports.split_numbers("0161 496 0000; 07700 900123 or call work")

    assert (mobiles, phones, bad) == (["+447700900123"], ["0161 496 0000"], ["call work"])


def test_an_unknown_relationship_is_kept_in_the_notes_not_an_error(world):
    result = preview(world, export("sims.csv"))
    jo = by_name(result)["Jo Bell"]

    assert jo.status == "add"
    assert "Relationship to the children: “Kinship carer”." in jo.cleaned["notes"]
    assert "the relationship “Kinship carer” is not one we know: kept in the notes" in jo.remarks


def test_a_home_language_we_do_not_write_in_is_noted_and_english_used(world):
    result = preview(world, export("bromcom.csv"))
    hanna = by_name(result)["Hanna Fischer"]

    assert hanna.status == "add" and hanna.cleaned["language"] == "en"
    assert "Home language in the school's file: German." in hanna.cleaned["notes"]


def test_home_languages_are_read_as_our_codes(world):
    result = preview(world, export("sims.csv"))

    assert by_name(result)["Tomasz Nowak"].cleaned["language"] == "pl"
    assert by_name(result)["Amira Khan"].cleaned["language"] == "ur"
    assert by_name(preview(world, export("bromcom.csv")))["Fatima Ahmed"].cleaned["language"] == "bn"
    assert school_exports.language_of("URD") == "ur" and school_exports.language_of("Panjabi") == "pa"


def test_contacts_without_parental_responsibility_or_marked_do_not_contact_are_never_invited(world):
    result = preview(world, export("sims.csv"))
    rows = by_name(result)

    assert rows["Ngozi Adeyemi"].status == "skip"
    assert rows["Ngozi Adeyemi"].reasons == ["no parental responsibility"]
    assert rows["Sam Bell"].status == "skip"
    assert rows["Sam Bell"].reasons == ["marked “do not contact”"]

    school_exports.import_export(
        programme=world.programme,
        text=export("sims.csv"),
        user=world.user("facilitator"),
        reading=suggested(export("sims.csv"), world.school),
    )
    assert not Invitee.objects.filter(name__in=["Ngozi Adeyemi", "Sam Bell"]).exists()


def test_wonde_style_true_and_false_are_read(world):
    result = preview(world, export("wonde.csv"))
    rows = by_name(result)

    assert rows["Chidinma Okonkwo"].status == "add"
    assert rows["Emeka Okonkwo"].status == "skip"  # same home
    assert rows["Elena Stan"].reasons == ["no parental responsibility"]
    assert rows["Ion Popescu"].cleaned["language"] == "ro"


def test_a_parental_responsibility_we_cannot_read_is_not_taken_as_yes(world):
    text = export("other.csv").replace(",Y,\n", ",maybe,\n", 1)
    reading = Reading(
        mapping={"full_name": "parent/carer", "email": "e-mail addresses", "responsibility": "pr"},
        school=world.school,
    )

    rows = by_name(preview(world, text, reading=reading))

    assert rows["Aisha Begum"].reasons == ["no parental responsibility (the file says “maybe”)"]
    assert rows["Lucy Grant"].reasons == ["no parental responsibility"]


def test_the_rows_go_through_the_usual_rules(world):
    """A name that starts like a formula is refused as in our own format: one path for every file."""
    text = export("other.csv").replace("Lucy Grant", "=HYPERLINK(x)").replace(",N,foster", ",Y,foster")
    reading = suggested(text, world.school)

    row = by_name(preview(world, text, reading=reading))["=HYPERLINK(x)"]

    assert row.status == "error"
    assert "The name starts with “=”, which spreadsheets treat as a formula. Please check it." in row.reasons


def test_year_groups_sort_youngest_first():
    years = ["Year 6", "Reception", "Y2", "Nursery", "N1", "R", "Year 10", "Yr 3", "FS2", "Class Oak"]

    ranks = [school_exports.year_rank(year) for year in years]

    assert ranks == [6, 0, 2, -1, -2, 0, 10, 3, 0, None]


# --- Names by the one rule, phone numbers as keys, an email for someone known without one ---------------

PLAIN = "First,Surname,Email,Mobile,Telephone,Child,Year\n"
PLAIN_MAPPING = {
    "first_name": "first",
    "surname": "surname",
    "email": "email",
    "mobile": "mobile",
    "phone": "telephone",
    "pupil_first_name": "child",
    "year": "year",
}


def plain(world, lines: str, *, imported: bool = False):
    run = school_exports.import_export if imported else school_exports.preview_export
    return run(
        programme=world.programme,
        text=PLAIN + lines,
        user=world.user("facilitator"),
        reading=Reading(mapping=PLAIN_MAPPING, school=world.school),
    )


@pytest.mark.parametrize(
    ("known_as", "written"),
    [("Łukasz Ødegård", "lukasz,odegard"), ("lukasz odegard", "Łukasz,Ødegård"), ("Grace Obi", "GRÁCE,OBI")],
)
def test_someone_known_without_email_is_found_by_the_one_rule_for_names(world, known_as, written):
    """invitations.names.fold, then no punctuation: "lukasz odegard" is the "Łukasz Ødegård" the school
    knows (the stroke letters fold as accents do), not a second person."""
    person = InviteeFactory(
        neighbourhood=world.neighbourhood,
        name=known_as,
        email="",
        channel="letter",
        organisation=world.school,
    )

    [row] = plain(world, f"{written},,07700 900123,,Amy,Year 2\n", imported=True).rows

    assert row.invitee == person and row.update_words == "mobile, notes"  # the child, in the notes
    assert Invitee.objects.count() == 1
    assert world.programme.invitations.get().invitee == person


def test_one_contact_written_two_ways_is_one_person(world):
    result = plain(
        world, "Łukasz,Ødegård,,07700 900123,,Amy,Year 2\nLUKASZ,ODEGARD,,07700 900123,,Ben,Year 5\n"
    )

    [row] = result.rows
    assert row.lines == [2, 3] and result.households == []


def test_two_contacts_of_one_name_with_different_phone_numbers_are_two_people(world):
    result = plain(world, "John,Smith,,,0161 496 0001,Amy,Year 2\nJohn,Smith,,,0161 496 0002,Ben,Year 5\n")

    assert [(row.status, row.values["phone"]) for row in result.rows] == [
        ("add", "0161 496 0001"),
        ("add", "0161 496 0002"),
    ]
    plain(
        world, "John,Smith,,,0161 496 0001,Amy,Year 2\nJohn,Smith,,,0161 496 0002,Ben,Year 5\n", imported=True
    )
    assert world.programme.invitations.filter(invitee__name="John Smith").count() == 2


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("0161 496 0001", "+44 161 496 0001"),  # one number, written two ways
        ("0161 496 0001", ""),  # one number between them: nothing says two people
        ("", ""),  # nothing at all to go by but the name, as before
    ],
)
def test_two_rows_of_one_name_whose_numbers_agree_are_one_person(world, first, second):
    result = plain(world, f"John,Smith,,,{first},Amy,Year 2\nJohn,Smith,,,{second},Ben,Year 5\n")

    [row] = result.rows
    assert row.lines == [2, 3]


def test_a_row_with_no_number_is_not_joined_to_one_of_two_numbers(world):
    result = plain(
        world,
        "John,Smith,,,0161 496 0001,Amy,Year 2\n"
        "John,Smith,,,,Cal,Year 1\n"
        "John,Smith,,,0161 496 0002,Ben,Year 5\n"
        "John,Smith,,,0161 496 0001,Dee,Year 6\n",
    )

    assert sorted(row.lines for row in result.rows) == [[2, 5], [3], [4]]


def test_the_files_email_is_given_to_someone_known_without_one(world):
    """Before, the school's address for a Grace Obi the neighbourhood knew without one was dropped."""
    grace = InviteeFactory(
        neighbourhood=world.neighbourhood,
        name="Grace Obi",
        email="",
        channel="letter",
        organisation=world.school,
    )

    [row] = plain(world, "Grace,Obi,grace@example.org,,,Amy,Year 2\n").rows
    assert (row.status, row.invitee, row.update_words) == ("add", grace, "email address, notes")
    plain(world, "Grace,Obi,grace@example.org,,,Amy,Year 2\n", imported=True)

    grace.refresh_from_db()
    assert grace.email == "grace@example.org"
    assert grace.history.get().fields["email"] == ["", "grace@example.org"]
    assert Invitee.objects.count() == 1


def test_an_email_someone_else_has_is_a_row_with_a_problem_and_the_reason(world):
    grace = InviteeFactory(
        neighbourhood=world.neighbourhood,
        name="Grace Obi",
        email="",
        channel="letter",
        organisation=world.school,
    )
    InviteeFactory(neighbourhood=world.neighbourhood, name="Ada Mensah", email="grace@example.org")

    [row] = plain(world, "Grace,Obi,grace@example.org,,,Amy,Year 2\n").rows
    plain(world, "Grace,Obi,grace@example.org,,,Amy,Year 2\n", imported=True)

    assert row.status == "error" and row.invitee == grace
    assert (
        "Grace Obi is known without an email address, but grace@example.org is someone else's in this "
        "neighbourhood: each person needs their own. Please check the address in your file."
    ) in row.reasons
    grace.refresh_from_db()
    assert grace.email == "" and not grace.history.exists()
    assert not world.programme.invitations.exists()


def test_the_email_of_someone_known_with_one_is_never_changed_by_a_file(world):
    grace = InviteeFactory(
        neighbourhood=world.neighbourhood,
        name="Grace Obi",
        email="Grace.Obi@example.org",
        mobile="+447700900123",
        organisation=world.school,
    )

    [row] = plain(world, "Grace,Obi,grace.obi@example.org,07700 900123,,Amy,Year 2\n").rows
    other = plain(world, "Grace,Obi,grace.new@example.org,07700 900123,,Amy,Year 2\n", imported=True).rows[0]

    assert row.invitee == grace and "email" not in row.updates
    assert other.invitee == grace and "email" not in other.updates
    grace.refresh_from_db()
    assert grace.email == "Grace.Obi@example.org"


# --- Importing it ----------------------------------------------------------------------------------------


def test_importing_a_sims_export_invites_one_person_per_home(world):
    result = school_exports.import_export(
        programme=world.programme,
        text=export("sims.csv"),
        user=world.user("facilitator"),
        reading=suggested(export("sims.csv"), world.school),
    )

    names = set(world.programme.invitations.values_list("invitee__name", flat=True))
    assert names == {"Grace Obi", "Tomasz Nowak", "Amira Khan", "Jo Bell"}
    assert len(result.to_add) == 4 and len(result.skipped) == 5
    grace = Invitee.objects.get(name="Grace Obi")
    assert grace.organisation == world.school and grace.category == "parent"
    assert (grace.email, grace.mobile) == ("grace.obi@example.org", "+447700900101")
    assert grace.address == "12 Hill Road, Millbrook, MB1 2AB"
    assert grace.adults_at_home == 2
    assert "Also at home: Daniel Obi (father, daniel.obi@example.org, 07700 900102)." in grace.notes
    assert "Amara Obi (Year 2, Millbrook Primary)" in grace.notes
    assert Invitee.objects.get(name="Jo Bell").adults_at_home == 1
    amira = Invitee.objects.get(name="Amira Khan")
    assert (amira.channel, amira.email) == ("letter", "")  # no email, and no agreement to texts in the file


def test_importing_the_same_export_again_adds_nobody(world):
    reading = suggested(export("sims.csv"), world.school)
    user = world.user("facilitator")
    school_exports.import_export(
        programme=world.programme, text=export("sims.csv"), user=user, reading=reading
    )
    people, notes = Invitee.objects.count(), Invitee.objects.get(name="Grace Obi").notes

    again = school_exports.import_export(
        programme=world.programme, text=export("sims.csv"), user=user, reading=reading
    )

    assert Invitee.objects.count() == people
    assert {row.status for row in again.rows} == {"already", "skip"}
    assert Invitee.objects.get(name="Grace Obi").notes == notes  # the same notes are not added twice
    assert world.programme.invitations.count() == 4


def test_an_update_from_an_export_is_a_line_of_the_persons_history(world):
    grace = InviteeFactory(
        neighbourhood=world.neighbourhood,
        name="Grace Obi",
        email="grace.obi@example.org",
        organisation=world.school,
        phone="",
    )

    school_exports.import_export(
        programme=world.programme,
        text=export("sims.csv"),
        user=world.user("facilitator"),
        reading=suggested(export("sims.csv"), world.school),
    )

    grace.refresh_from_db()
    line = grace.history.get()
    assert line.event == "imported" and line.by == world.user("facilitator")
    assert line.fields["address"] == ["", "12 Hill Road, Millbrook, MB1 2AB"]
    assert line.fields["adults_at_home"] == [1, 2]


def test_a_coordinator_imports_only_for_their_own_school(world):
    world.programme.schools.add(world.other_school)
    text = export("sims.csv")

    result = preview(world, text, role="coordinator", school=world.other_school)

    assert {row.status for row in result.rows} == {"error", "skip"}
    assert all(
        "You can add people from your own school only (Millbrook Primary)." in row.reasons
        for row in result.errors
    )


def test_an_export_of_2000_rows_previews_in_a_few_seconds(world):
    big = big_sims_export(children=1000, contacts=1500)
    text = first_rows(big, 2000)

    started = time.perf_counter()
    result = preview(world, text)
    seconds = time.perf_counter() - started

    assert result.file_error == "" and result.file_rows == 2000
    assert len(result.rows) > 1000
    assert seconds < 10, f"the preview took {seconds:.1f} s"


def test_an_export_over_the_limit_is_refused_with_the_limit_named(world):
    text = first_rows(big_sims_export(children=1000, contacts=1500), csv_import.MAX_ROWS + 1)

    with pytest.raises(csv_import.FileProblem) as problem:
        school_exports.inspect_upload(text)
    result = preview(
        world,
        text,
        reading=Reading(
            mapping={"full_name": "contact surname", "email": "contact email"}, school=world.school
        ),
    )

    assert str(problem.value) == (
        "This file has more than 2000 rows. Please split it into smaller files, for example one for each "
        "year group."
    )
    assert result.file_error == str(problem.value)


def test_the_preview_costs_the_same_queries_for_a_big_export_as_a_small_one(world):
    InvitationFactory.create_batch(3, programme=world.programme, invitee__organisation=world.school)
    small, big = export("sims.csv"), big_sims_export().text

    with CaptureQueriesContext(connection) as few:
        preview(world, small)
    with CaptureQueriesContext(connection) as many:
        preview(world, big)

    assert len(many) == len(few)


# --- The pages: upload, mapping, preview, confirm ---------------------------------------------------------


def test_an_export_shows_its_mapping_with_the_system_named_before_any_preview(facilitator_client, world):
    response = upload(facilitator_client, world, export("sims.csv"), school=world.school.pk)

    html = response.content.decode()
    assert response.templates[0].name == "invitations/import_mapping.html"
    assert "This looks like an export from <strong>SIMS</strong>" in html
    assert response.context["form"]["first_name"].value() == "contact forename"
    assert response.context["form"]["email"].value() == "contact email"
    assert ImportMapping.objects.count() == 0 and Invitee.objects.count() == 0


def test_confirming_the_mapping_remembers_it_and_previews_the_people(facilitator_client, world):
    mapping_page = upload(facilitator_client, world, export("sims.csv"), school=world.school.pk)

    response = facilitator_client.post(import_url(world), mapping_post(mapping_page))

    saved = ImportMapping.objects.get()
    assert (saved.neighbourhood, saved.organisation, saved.system) == (
        world.neighbourhood,
        world.school,
        "sims",
    )
    assert saved.mapping["first_name"] == "contact forename"
    assert saved.updated_by == world.user("facilitator")
    assert response.templates[0].name == "invitations/import_preview.html"
    html = response.content.decode()
    assert "Read as an export from SIMS" in html and "remembered for next time" in html
    assert "Obi household: Grace Obi (invited), Daniel Obi (same home)" in html
    assert Invitee.objects.count() == 0


def test_the_school_can_be_chosen_on_the_mapping_page_and_is_needed(facilitator_client, world):
    mapping_page = upload(facilitator_client, world, export("sims.csv"))
    assert mapping_page.context["form"]["school"].value() in ("", None)

    refused = facilitator_client.post(import_url(world), mapping_post(mapping_page))
    chosen = facilitator_client.post(import_url(world), mapping_post(mapping_page, school=world.school.pk))

    assert refused.context["form"].non_field_errors() == [
        "Say which school the file is from, or choose the column that names each child's school."
    ]
    assert chosen.templates[0].name == "invitations/import_preview.html"
    assert ImportMapping.objects.get().organisation == world.school


def test_a_mapping_without_a_name_is_refused_on_the_page_with_the_reason(facilitator_client, world):
    mapping_page = upload(facilitator_client, world, export("sims.csv"), school=world.school.pk)

    response = facilitator_client.post(
        import_url(world), mapping_post(mapping_page, first_name="", surname="")
    )

    assert response.templates[0].name == "invitations/import_mapping.html"
    assert (
        response.context["form"]
        .non_field_errors()[0]
        .startswith("Without the contact's name we cannot invite anyone")
    )
    assert "Without the contact&#x27;s name we cannot invite anyone" in response.content.decode()
    assert ImportMapping.objects.count() == 0


def test_a_mapping_naming_a_column_not_in_the_file_is_refused_on_the_page(facilitator_client, world):
    mapping_page = upload(facilitator_client, world, export("sims.csv"), school=world.school.pk)

    response = facilitator_client.post(import_url(world), mapping_post(mapping_page, email="password"))

    assert "The file has no such column" in response.content.decode()
    assert ImportMapping.objects.count() == 0


def test_the_next_file_with_the_same_headers_goes_straight_to_the_preview(facilitator_client, world):
    first = upload(facilitator_client, world, export("sims.csv"), school=world.school.pk)
    facilitator_client.post(import_url(world), mapping_post(first))
    saved = ImportMapping.objects.get()

    response = upload(facilitator_client, world, export("sims.csv"), school=world.school.pk)

    html = response.content.decode()
    assert response.templates[0].name == "invitations/import_preview.html"
    assert response.context["saved"] == saved
    assert "using the mapping you saved on" in html
    assert 'name="step" value="remap"' in html and ">Change the mapping</button>" in html


def test_change_the_mapping_opens_it_again_with_the_mapping_used(facilitator_client, world):
    first = upload(facilitator_client, world, export("sims.csv"), school=world.school.pk)
    preview_page = facilitator_client.post(import_url(world), mapping_post(first, phone=""))

    response = facilitator_client.post(import_url(world), {**confirm_post(preview_page), "step": "remap"})

    assert response.templates[0].name == "invitations/import_mapping.html"
    form = response.context["form"]
    assert form["first_name"].value() == "contact forename" and form["phone"].value() in ("", None)


def test_an_unrecognised_file_is_mapped_by_hand_and_remembered(facilitator_client, world):
    mapping_page = upload(facilitator_client, world, export("other.csv"), school=world.school.pk)
    assert "We don't know this kind of file" in mapping_page.content.decode()

    preview_page = facilitator_client.post(
        import_url(world),
        mapping_post(
            mapping_page,
            full_name="parent/carer",
            email="e-mail addresses",
            mobile="mobile no.",
            address="home address",
            language="language at home",
            responsibility="pr",
            year="class",
            pupil_first_name="child",
        ),
    )
    rows = by_name(preview_page.context["preview"])
    assert rows["Aisha Begum"].status == "add" and rows["Rahim Begum"].status == "skip"
    assert rows["Lucy Grant"].reasons == ["no parental responsibility"]
    assert "“Notes for office”" in preview_page.content.decode()  # a column left out, said so

    again = upload(facilitator_client, world, export("other.csv"), school=world.school.pk)
    assert again.templates[0].name == "invitations/import_preview.html"
    assert again.context["saved"].mapping["full_name"] == "parent/carer"

    response = facilitator_client.post(import_url(world), confirm_post(again))
    assert response.status_code == 302
    assert set(world.programme.invitations.values_list("invitee__name", flat=True)) == {"Aisha Begum"}
    aisha = Invitee.objects.get(name="Aisha Begum")
    assert aisha.adults_at_home == 2 and "Rahim Begum" in aisha.notes and aisha.language == "bn"


def test_a_file_of_ours_can_be_mapped_when_asked(facilitator_client, world):
    text = "name,email,child\nAmira Khan,amira@example.org,Yusuf\n"

    refused = upload(facilitator_client, world, text)
    mapped = upload(facilitator_client, world, text, map_columns="on", school=world.school.pk)

    assert "The “category” column is missing." in refused.context["form"].errors["file"][0]
    assert "tick “Let me match the file's columns myself”" in refused.context["form"].errors["file"][0]
    assert mapped.templates[0].name == "invitations/import_mapping.html"


def test_a_coordinators_mapping_is_remembered_for_their_school_only(client, world):
    world.programme.schools.add(world.other_school)
    client.force_login(world.user("coordinator"))
    first = upload(client, world, export("sims.csv"))
    client.post(import_url(world), mapping_post(first))
    assert ImportMapping.objects.get().organisation == world.school

    again = upload(client, world, export("sims.csv"))
    client.force_login(world.user("other_coordinator"))
    elsewhere = upload(client, world, export("sims.csv"))
    client.force_login(world.user("facilitator"))
    facilitator = upload(client, world, export("sims.csv"))

    assert again.templates[0].name == "invitations/import_preview.html"
    assert elsewhere.templates[0].name == "invitations/import_mapping.html"
    assert elsewhere.context["form"]["school"].value() == world.other_school.pk
    assert facilitator.templates[0].name == "invitations/import_mapping.html"  # the neighbourhood's own


def test_a_coordinator_cannot_send_a_file_as_another_schools(client, world):
    world.programme.schools.add(world.other_school)
    client.force_login(world.user("coordinator"))

    response = upload(client, world, export("sims.csv"), school=world.other_school.pk)

    assert "Please choose one of the schools in the list." in response.context["form"].errors["school"][0]


def test_confirm_imports_with_the_mapping_and_says_what_it_did(facilitator_client, world):
    first = upload(facilitator_client, world, export("sims.csv"), school=world.school.pk)
    preview_page = facilitator_client.post(import_url(world), mapping_post(first))

    response = facilitator_client.post(import_url(world), confirm_post(preview_page))

    assert response.status_code == 302 and response.url == reverse(
        "invitations:list", args=[world.programme.pk]
    )
    assert world.programme.invitations.count() == 4
    message = str(list(get_messages(response.wsgi_request))[-1])
    assert "Added 4 people to the list." in message
    assert "5 contacts were not invited (no parental responsibility" in message


def test_the_confirm_checks_a_tampered_mapping_again(facilitator_client, world):
    first = upload(facilitator_client, world, export("sims.csv"), school=world.school.pk)
    preview_page = facilitator_client.post(import_url(world), mapping_post(first))
    mapping = json.loads(confirm_post(preview_page)["mapping"])
    without_name = {key: value for key, value in mapping.items() if key not in ("first_name", "surname")}
    before = Invitee.objects.count()

    tampered = facilitator_client.post(
        import_url(world), confirm_post(preview_page, mapping=json.dumps(without_name))
    )
    unknown_column = facilitator_client.post(
        import_url(world), confirm_post(preview_page, mapping=json.dumps({**mapping, "email": "password"}))
    )
    not_json = facilitator_client.post(import_url(world), confirm_post(preview_page, mapping="{oops"))
    a_list = facilitator_client.post(import_url(world), confirm_post(preview_page, mapping='["email"]'))

    said = [str(message) for message in get_messages(a_list.wsgi_request)]
    assert all(response.status_code == 302 for response in (tampered, unknown_column, not_json, a_list))
    assert tampered.url == import_url(world)
    assert any("Without the contact's name we cannot invite anyone" in message for message in said)
    assert any("The file has no column called “password”." in message for message in said)
    assert said.count("Something went wrong with the file. Please upload it again.") == 2
    assert Invitee.objects.count() == before and Invitation.objects.count() == 0


def test_the_confirm_checks_a_tampered_school_again(client, world):
    world.programme.schools.add(world.other_school)
    client.force_login(world.user("coordinator"))
    first = upload(client, world, export("sims.csv"))
    preview_page = client.post(import_url(world), mapping_post(first))

    response = client.post(import_url(world), confirm_post(preview_page, school=world.other_school.pk))
    no_school = client.post(import_url(world), confirm_post(preview_page, school=""))

    assert response.status_code == no_school.status_code == 302
    assert Invitation.objects.count() == 0


def test_the_confirm_reads_the_text_it_is_sent_with_the_rules_of_the_importer(client, world):
    """A coordinator who edits the posted text to name another school still adds nobody there."""
    world.programme.schools.add(world.other_school)
    client.force_login(world.user("coordinator"))
    first = upload(client, world, export("other.csv"))
    preview_page = client.post(
        import_url(world),
        mapping_post(first, full_name="parent/carer", email="e-mail addresses", responsibility="pr"),
    )
    text = "Parent/Carer,E-mail addresses,PR,School\nStranger Danvers,s@example.org,Y,St Anne's Primary\n"
    mapping = json.dumps({"full_name": "parent/carer", "email": "e-mail addresses", "organisation": "school"})

    client.post(import_url(world), confirm_post(preview_page, text=text, mapping=mapping))

    assert not Invitee.objects.filter(name="Stranger Danvers").exists()


def test_the_preview_page_costs_the_same_queries_for_600_contacts_as_for_9(facilitator_client, world):
    first = upload(facilitator_client, world, export("sims.csv"), school=world.school.pk)
    small = mapping_post(first)
    big = {**small, "text": big_sims_export().text}
    facilitator_client.post(import_url(world), small)  # the mapping is saved the first time, updated after

    with CaptureQueriesContext(connection) as few:
        facilitator_client.post(import_url(world), small)
    with CaptureQueriesContext(connection) as many:
        facilitator_client.post(import_url(world), big)

    assert len(many) == len(few)


def test_an_upload_over_the_row_limit_is_refused_beside_the_file(facilitator_client, world):
    text = first_rows(big_sims_export(children=1000, contacts=1500), csv_import.MAX_ROWS + 1)

    response = upload(facilitator_client, world, text, school=world.school.pk)

    assert response.context["form"].errors["file"] == [
        "This file has more than 2000 rows. Please split it into smaller files, for example one for each "
        "year group."
    ]
    assert ImportMapping.objects.count() == 0


def test_an_upload_over_the_size_limit_is_refused_with_the_limit_named(facilitator_client, world):
    text = export("sims.csv") + "x" * csv_import.MAX_FILE_BYTES

    response = upload(facilitator_client, world, text, school=world.school.pk)

    assert "Please keep it under 2 MB" in response.context["form"].errors["file"][0]


def test_the_mapping_page_refuses_a_system_we_do_not_know(facilitator_client, world):
    mapping_page = upload(facilitator_client, world, export("sims.csv"), school=world.school.pk)

    response = facilitator_client.post(import_url(world), mapping_post(mapping_page, system="capita-9000"))

    assert response.context["form"].errors["system"] == ["We don't know that records system."]
    assert ImportMapping.objects.count() == 0


def test_the_import_page_describes_school_exports(facilitator_client, world):
    html = facilitator_client.get(import_url(world)).content.decode()

    assert "A list from your school's records system" in html
    assert "SIMS, Arbor, Bromcom, Wonde" in html
    assert 'name="school"' in html and 'name="map_columns"' in html
