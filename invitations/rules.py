"""Who may build and read a programme's invitation list. The data side (a school coordinator sees and
adds only their own school's people) is enforced by services.invitees.visible_invitations and
check_person, which agree with these rules."""

import rules

from events.rules import admin, coordinates_school_in_programme, is_facilitator, runs_programme, signed_in

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
