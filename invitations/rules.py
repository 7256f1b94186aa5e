"""Who may build and read a programme's invitation list. The data side (a school coordinator sees and
adds only their own school's people) is enforced by services.invitees.visible_invitations and
check_person, which agree with these rules."""

from typing import NamedTuple

import rules

from events.models import Organisation, Programme
from events.rules import (
    admin,
    coordinates_organisation,
    coordinates_school_in_programme,
    is_facilitator,
    runs_programme,
    signed_in,
)


class SchoolLetters(NamedTuple):
    """What invitations.print_letters is checked against: one school's letters for one programme."""

    programme: Programme
    school: Organisation


@rules.predicate
def school_takes_part(user, letters: SchoolLetters) -> bool:
    return letters.programme.schools.filter(pk=letters.school.pk).exists()


@rules.predicate
def runs_letters_programme(user, letters: SchoolLetters) -> bool:
    return runs_programme.test(user, letters.programme)


@rules.predicate
def coordinates_letters_school(user, letters: SchoolLetters) -> bool:
    return coordinates_organisation.test(user, letters.school)


builds_the_list = signed_in & (admin | runs_programme | coordinates_school_in_programme)

rules.add_perm("invitations.view_invitations", builds_the_list)
rules.add_perm("invitations.add_invitation", builds_the_list)
# Groups and agencies are invited by the facilitator; schools invite their own staff and parents.
rules.add_perm("invitations.invite_groups", signed_in & (admin | runs_programme))
# Who is coming and what they need (children, food, access, languages): personal, so the facilitator only.
rules.add_perm("invitations.view_sheets", signed_in & (admin | runs_programme))
# The copy of sent mail kept by the embedded default (the views also need DEBUG and the mailbox backend).
rules.add_perm("invitations.view_mailbox", signed_in & (admin | is_facilitator))
# The words of the programme's invitation letter: written by the programme's facilitators.
rules.add_perm("invitations.change_letter_wording", signed_in & (admin | runs_programme))
# Printing a school's letters (and seeing who is on them): for a school taking part in the programme, by
# the programme's facilitators or that school's own coordinators.
rules.add_perm(
    "invitations.print_letters",
    signed_in & school_takes_part & (admin | runs_letters_programme | coordinates_letters_school),
)
# The call list (services.reach): who was not reached, with their phone numbers. The programme's
# facilitators see everyone; a school coordinator only their own school's people, as for its letters.
rules.add_perm("invitations.view_not_reached", builds_the_list)
rules.add_perm(
    "invitations.view_school_not_reached",
    signed_in & school_takes_part & (admin | runs_letters_programme | coordinates_letters_school),
)


@rules.predicate
def facilitates_invitees_neighbourhood(user, invitee) -> bool:
    return invitee.neighbourhood.facilitators.filter(pk=user.pk).exists()


@rules.predicate
def coordinates_invitees_organisation(user, invitee) -> bool:
    return invitee.organisation_id is not None and coordinates_organisation.test(user, invitee.organisation)


# Fixing someone's email address or mobile number (invitations:fix_contact, services.invitees
# .update_contact): the facilitators of their neighbourhood, and the coordinators of their school.
# services.invitees.contacts_fixable says the same of a whole list at once.
rules.add_perm(
    "invitations.change_contact",
    signed_in & (admin | facilitates_invitees_neighbourhood | coordinates_invitees_organisation),
)


# --- A person on a programme's list: edit, history and undo, remove and put back (services.people) ------
# The programme's facilitators; a school coordinator for their own school's people on a list they build
# (as services.invitees.visible_invitations shows them). Checked against the Invitation.


@rules.predicate
def runs_invitations_programme(user, invitation) -> bool:
    return runs_programme.test(user, invitation.programme)


@rules.predicate
def coordinates_invitations_person(user, invitation) -> bool:
    organisation = invitation.invitee.organisation
    return (
        organisation is not None
        and coordinates_organisation.test(user, organisation)
        and coordinates_school_in_programme.test(user, invitation.programme)
    )


looks_after_the_person = signed_in & (admin | runs_invitations_programme | coordinates_invitations_person)
rules.add_perm("invitations.edit_person", looks_after_the_person)
rules.add_perm("invitations.remove_invitation", looks_after_the_person)


# --- Likely duplicates and merging two people into one (services.duplicates, services.merge) ------------
# The duplicates page: whoever builds the list (a coordinator sees only pairs of their own school's
# people). Merging a pair (a services.merge.MergePair): the programme's facilitators; a school
# coordinator only when both people are their school's.


@rules.predicate
def looks_after_both_people(user, pair) -> bool:
    return looks_after_the_person.test(user, pair.keep) and looks_after_the_person.test(user, pair.other)


rules.add_perm("invitations.view_duplicates", builds_the_list)
rules.add_perm("invitations.merge_people", signed_in & (admin | looks_after_both_people))
