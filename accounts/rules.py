"""Who may invite colleagues and take their access away: facilitators, for their neighbourhoods' schools
and their programmes' sessions; administrators for all (and in the admin). Coordinators and artists may
not invite anyone. StaffInvitation.objects.managed_by must agree with manages_invitation."""

import rules

from events.enums import OrganisationKind
from events.rules import admin, facilitates_organisations_neighbourhood, runs_programme, signed_in


@rules.predicate
def facilitates_anything(user) -> bool:
    """Is ``user`` a facilitator: of a neighbourhood, or named on a programme (who runs it as fully)? The
    one test of it in accounts: who may invite colleagues, and who must use two-factor sign-in
    (accounts.twofactor.is_required). events.rules.is_facilitator is narrower on purpose: only a
    neighbourhood's facilitators start programmes."""
    return bool(user.facilitated_neighbourhoods.exists() or user.facilitated_programmes.exists())


@rules.predicate
def manages_invitation(user, invitation) -> bool:
    from .models import StaffInvitation

    return StaffInvitation.objects.managed_by(user).filter(pk=invitation.pk).exists()


@rules.predicate
def is_school(user, organisation) -> bool:
    return organisation.kind == OrganisationKind.SCHOOL


rules.add_perm("accounts.invite_colleague", signed_in & (admin | facilitates_anything))
rules.add_perm("accounts.manage_invitation", signed_in & (admin | manages_invitation))
# On a school (an Organisation of kind school) and on a programme.
rules.add_perm(
    "accounts.remove_coordinator", signed_in & is_school & (admin | facilitates_organisations_neighbourhood)
)
rules.add_perm("accounts.remove_artist", signed_in & (admin | runs_programme))

# --- Two-factor sign-in (issue 19, part 4: accounts/twofactor.py, accounts/views_twofactor.py) ---------
# Everyone signed in manages their own two-factor; only someone who need not use it may turn it off.


@rules.predicate
def must_use_two_factor(user) -> bool:
    from .twofactor import is_required

    return is_required(user)


rules.add_perm("accounts.use_two_factor", signed_in)
rules.add_perm("accounts.turn_off_two_factor", signed_in & ~must_use_two_factor)
