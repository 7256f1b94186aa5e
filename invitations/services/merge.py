"""Merging two people who are one (issue 17, part 3): the second "Grace Obi" a walk-in created, or the
same parent imported twice. One Invitee is kept with every invitation, reply, attendance, word and
action lead of both, and one set of messages.

**What is kept.** The facilitator chooses which person is kept (the one the page names first) and, for
each detail that differs, whose value stays (``DETAILS``); the details change through
services.people.change_details, so the same checks, history line (PersonEvent.MERGED, the other's name in
its note) and re-plan happen as for an edit. Where both are on the same programme their two invitations
become one: the reply of whoever replied (both replied differently: the facilitator must choose, or
nothing is changed), attendance at each session once, every reply link of both (ReplyToken rows move),
the lead of an action and its link.

**Rows of the apps above this one.** Attendance (evaluations), an action's lead and its link (actions)
point at an Invitation, and this app may not import them (tests/test_architecture.py). They are moved
generically, through the model's reverse relations (``_relations``): every foreign key to an Invitation
(or to an Invitee) is re-pointed to the kept one; where that key is part of a unique constraint
("arrive once per session") the other's row that would collide is deleted and the kept one's stays.
That is plainer than a registry the other apps fill in: nothing to remember when a model is added, and
a relation the merge cannot handle (a unique expression that is not a plain column) fails loudly rather
than losing rows. The other invitation and person are then deleted, and the deletion checks that it
took nothing else with it; everything runs in one transaction, so a failure leaves nothing half-merged.
Words (evaluations.Word) are not linked to a person, so there is nothing of them to move.

**Only lists the user looks after.** The merge changes a person, and with them every list they are on:
their details and history, and on each programme both are on, the invitation, reply and messages. The
rule invitations.merge_people is about the two invitations to the programme whose page it happens on;
every other invitation of either person must also be one the user may change (invitations.edit_person on
it: the programme's facilitators; a school coordinator for their own school's people on a list their
school is on), or nothing is merged (ValidationError: ask that programme's facilitator). A programme
only one of them is on counts as much as a shared one: moving the other's invitation to the kept person,
or changing the kept person's details, changes what that list shows, and its replies (with their needs:
health data) are not the user's to see. The page shows only those programmes, and says how many others
there are, without naming them.

**Messages.** The outbox rows of both (core.models.Message, addressed to an Invitation) become one set.
For each message (kind, channel and topic): what has gone to either person stands and is kept (the
history, and so that the schedule never sends it again); what has not gone is kept only if nothing like
it has gone, and only once (the kept person's first). The other's planned invitation, reminders and nudge
are cancelled, and the kept person's schedule is re-planned for them alone (schedule.sync_schedule with
``only``), so there is one set of messages: never two reminders. Confirmations are apart
(_unite_confirmations): each confirms one version of one reply, so the one confirming the reply that
stays is kept even when the other's confirmation has gone.

**What cannot come along.** An invitation has one paper reply code (the slip's): when both invitations
to a programme have one, the kept person's stays and the other's stops working. Keeping both would need
another column (a migration); instead the page warns which code to use for a slip with the other's, and
the history line says so. "Keep me in touch" stays yes if either said yes (from when they first did), so
that retention keeps someone who asked to stay in touch.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.enums import Delivery
from core.models import Message
from core.users import User
from events.models import Programme

from ..enums import SCHEDULED_KINDS, MessageKind, MessageState, PersonEvent
from ..models import Invitation, Invitee, PersonChange, Reply, SessionAnswer
from . import people
from .invitees import scope_for, ways_label, written_mobile
from .letters import grouped_code
from .replies import REPLY_DETAILS

KEEP, OTHER = "keep", "other"

# The details the facilitator chooses between: each choice and the fields that travel with it (a mobile
# with its "not working" mark and the agreement to texts given for it...).
DETAILS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "category": ("category", "staff_role"),
    "organisation": ("organisation",),
    "email": ("email", "email_failed"),
    "mobile": ("mobile", "mobile_failed", "texts_agreed"),
    "phone": ("phone",),
    "language": ("language",),
    "channel": ("channel", "texts_too", "fell_back_from"),
    "address": ("address",),
}
LABELS = {
    "name": gettext_lazy("Name"),
    "category": gettext_lazy("Who they are"),
    "organisation": gettext_lazy("Organisation or school"),
    "email": gettext_lazy("Email address"),
    "mobile": gettext_lazy("Mobile number"),
    "phone": gettext_lazy("Phone"),
    "language": gettext_lazy("Preferred language"),
    "channel": gettext_lazy("How we reach them"),
    "address": gettext_lazy("Home address"),
}
# Where change_details's problems with a field are shown: beside the choice that set it.
CHOICE_OF_FIELD = {name: choice for choice, names in DETAILS.items() for name in names}
# Rows of a version far above any real one, while a message's rows are numbered again (unique versions).
RENUMBERING = 1_000_000


class MergePair(NamedTuple):
    """What invitations.merge_people is checked against: two invitations to one programme."""

    programme: Programme
    keep: Invitation
    other: Invitation


# --- What the page shows --------------------------------------------------------------------------------


def detail_text(invitee: Invitee, choice: str) -> str:
    """One detail as the page shows it ("" when there is none)."""
    if choice == "category":
        role = invitee.get_staff_role_display() if invitee.staff_role else ""
        return f"{invitee.get_category_display()}{f' ({role})' if role else ''}"
    if choice == "organisation":
        organisation = invitee.organisation
        return organisation.name if organisation is not None else ""
    if choice == "mobile":
        return written_mobile(invitee.mobile)
    if choice == "language":
        return str(invitee.get_language_display())
    if choice == "channel":
        return ways_label(invitee.channel, invitee.texts_too)
    return str(getattr(invitee, choice) or "")


def _compared(invitee: Invitee, choice: str) -> object:
    """What decides whether a detail differs: its main field (an email whatever its case)."""
    if choice == "category":
        return (invitee.category, invitee.staff_role)
    if choice == "channel":
        return (invitee.channel, invitee.texts_too)
    value = people.stored_value(invitee, DETAILS[choice][0])
    return value.casefold() if choice == "email" and isinstance(value, str) else value


@dataclass(frozen=True)
class Detail:
    choice: str
    label: str
    keep: str
    other: str
    differs: bool

    @property
    def default(self) -> str:
        """The value kept unless the facilitator says otherwise: the kept person's, or the other's
        when the kept person has none."""
        return OTHER if self.differs and not self.keep and self.other else KEEP


def _answers(reply: Reply | None) -> dict[int, str]:
    return {answer.session_id: answer.answer for answer in reply.answers.all()} if reply else {}


def replies_differ(first: Reply | None, second: Reply | None) -> bool:
    """Both replied, and not the same: an answer for a session, or what would help them come."""
    if first is None or second is None:
        return False
    return _answers(first) != _answers(second) or any(
        getattr(first, name) != getattr(second, name) for name in REPLY_DETAILS
    )


@dataclass(frozen=True)
class Side:
    """One person's invitation to one programme, as the page shows it."""

    invitation: Invitation
    reply: Reply | None
    answers: list[SessionAnswer]
    linked: list[tuple[str, int]]  # (what, how many): attendance, actions led, lead links…


@dataclass(frozen=True)
class ProgrammeRow:
    programme: Programme
    keep: Side | None
    other: Side | None

    @property
    def shared(self) -> bool:
        return self.keep is not None and self.other is not None

    @property
    def must_choose_reply(self) -> bool:
        return self.shared and replies_differ(self.keep.reply, self.other.reply)  # type: ignore[union-attr]

    @property
    def choice_name(self) -> str:
        return f"reply_{self.programme.pk}"

    @property
    def lost_code(self) -> str:
        """The other's paper reply code, as printed, when both invitations have one: it stops working
        (the kept one's stays; an invitation has one code)."""
        if not self.shared or not self.keep.invitation.reply_code:  # type: ignore[union-attr]
            return ""
        code = self.other.invitation.reply_code  # type: ignore[union-attr]
        return grouped_code(code) if code else ""

    @property
    def kept_code(self) -> str:
        code = self.keep.invitation.reply_code if self.keep is not None else None
        return grouped_code(code) if code else ""


@dataclass(frozen=True)
class MergePreview:
    keep: Invitee
    other: Invitee
    details: list[Detail]
    programmes: list[ProgrammeRow] = field(default_factory=list)
    # How many other programmes either is on that the user does not look after: not shown, and no merge.
    hidden: int = 0

    @property
    def not_yours(self) -> str:
        """Why the user may not merge them ("" when they may)."""
        if not self.hidden:
            return ""
        return ngettext(
            "They are also on %(count)d other programme you do not run: ask its facilitator to merge them.",
            "They are also on %(count)d other programmes you do not run: ask their facilitators to merge "
            "them.",
            self.hidden,
        ) % {"count": self.hidden}

    @property
    def choices(self) -> list[Detail]:
        return [detail for detail in self.details if detail.differs]

    @property
    def reply_choices(self) -> list[ProgrammeRow]:
        return [row for row in self.programmes if row.must_choose_reply]


def _relations(model: type[models.Model], *, handled: tuple[type[models.Model], ...] = ()) -> list:
    """The reverse relations to ``model`` from other models (hidden ones too, as LeadLink's), except
    those this module handles itself."""
    return [
        relation
        for relation in model._meta.get_fields(include_hidden=True)
        if relation.auto_created
        and not relation.concrete
        and (relation.one_to_many or relation.one_to_one)
        and relation.related_model not in handled
    ]


def _linked(invitation_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    """For each invitation, how many rows of the other apps point at it (one query per relation)."""
    found: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for relation in _relations(Invitation, handled=(Reply,)):
        related = relation.related_model
        if related._meta.app_label == Invitation._meta.app_label:
            continue  # reply links and the like: the page shows the reply itself
        column = relation.field.attname
        label = str(related._meta.verbose_name_plural)
        rows = (
            related._default_manager.filter(**{f"{column}__in": invitation_ids})
            .order_by()
            .values_list(column)
            .annotate(count=Count("pk"))
        )
        for invitation_id, count in rows:
            found[invitation_id].append((label, count))
    return found


def _invitations_of(invitee_ids: list[int]) -> list[Invitation]:
    return list(
        Invitation.objects.filter(invitee_id__in=invitee_ids)
        .select_related("programme__neighbourhood", "reply", "invitee__organisation")
        .prefetch_related(
            models.Prefetch(
                "reply__answers",
                queryset=SessionAnswer.objects.select_related("session").order_by("session__date", "pk"),
            )
        )
        .order_by("programme__pk")
    )


def _looks_after(user: User, invitations: list[Invitation]) -> bool:
    """``user`` may change each of these invitations (the edit page's rule, invitations.edit_person)."""
    return all(user.has_perm("invitations.edit_person", invitation) for invitation in invitations)


def merge_preview(*, keep: Invitee, other: Invitee, user: User) -> MergePreview:
    """The two people side by side: their details (which differ), and every programme either is on
    whose invitations ``user`` may change, with their reply, answers and what else points at their
    invitation; the other programmes are only counted (``hidden``). A few queries per programme they
    are on, whatever the size of its list."""
    details = [
        Detail(
            choice=choice,
            label=str(LABELS[choice]),
            keep=detail_text(keep, choice),
            other=detail_text(other, choice),
            differs=_compared(keep, choice) != _compared(other, choice),
        )
        for choice in DETAILS
    ]
    invitations = _invitations_of([keep.pk, other.pk])
    linked = _linked([invitation.pk for invitation in invitations])
    rows: dict[int, dict[str, Any]] = {}
    for invitation in invitations:
        reply = getattr(invitation, "reply", None)
        side = Side(
            invitation=invitation,
            reply=reply,
            answers=list(reply.answers.all()) if reply else [],
            linked=linked.get(invitation.pk, []),
        )
        row = rows.setdefault(invitation.programme_id, {"programme": invitation.programme})
        row[KEEP if invitation.invitee_id == keep.pk else OTHER] = side
    shown = [
        row
        for row in rows.values()
        if _looks_after(user, [side.invitation for side in (row.get(KEEP), row.get(OTHER)) if side])
    ]
    return MergePreview(
        keep=keep,
        other=other,
        details=details,
        programmes=[
            ProgrammeRow(programme=row["programme"], keep=row.get(KEEP), other=row.get(OTHER))
            for row in sorted(shown, key=lambda row: -row["programme"].pk)
        ],
        hidden=len(rows) - len(shown),
    )


# --- Merging --------------------------------------------------------------------------------------------


def _refuse_bad_choices(preview: MergePreview, details: dict[str, str], replies: dict[int, str]) -> None:
    errors: dict[str, list[str]] = {}
    for detail in preview.choices:
        if details.get(detail.choice, detail.default) not in (KEEP, OTHER):
            errors[detail.choice] = [_("Choose which to keep.")]
    for row in preview.reply_choices:
        if replies.get(row.programme.pk) not in (KEEP, OTHER):
            errors[row.choice_name] = [
                _("They replied differently: choose which reply to keep for %(programme)s.")
                % {"programme": row.programme.title}
            ]
    if errors:
        raise ValidationError(errors)


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)  # a unique rule names the model's own columns
    return field.attname


def _unique_columns(model: type[models.Model], fk: models.ForeignKey) -> list[tuple[list[str], Q | None]]:
    """The other columns of each unique rule ``fk`` is part of, with the rule's condition if any."""
    found: list[tuple[list[str], Q | None]] = []
    if fk.unique:
        found.append(([], None))
    for together in model._meta.unique_together:
        if fk.name in together:
            found.append(([_column(model, name) for name in together if name != fk.name], None))
    for constraint in model._meta.constraints:
        if not isinstance(constraint, models.UniqueConstraint):
            continue
        names = list(constraint.fields)
        for expression in constraint.expressions:
            if not isinstance(expression, F):
                if fk.name in str(expression) or fk.attname in str(expression):
                    raise NotImplementedError(f"{model.__name__}.{constraint.name}: cannot merge its rows")
                names = []
                break
            names.append(expression.name)
        columns = [_column(model, name) for name in names]
        if fk.attname in columns:
            found.append(([column for column in columns if column != fk.attname], constraint.condition))
    return found


def _repoint(relation: models.ForeignObjectRel, *, old: int, new: int) -> None:
    """Point ``relation``'s rows at ``old`` to ``new``; a row that would break a unique rule the kept
    one's rows hold already ("once per session") is deleted: the kept one's stays."""
    model, fk = relation.related_model, relation.field
    assert not isinstance(model, str) and isinstance(fk, models.ForeignKey)  # resolved, one column
    manager = model._base_manager
    for columns, condition in _unique_columns(model, fk):
        theirs = manager.filter(**{fk.attname: old})
        ours = manager.filter(**{fk.attname: new})
        if condition is not None:
            theirs, ours = theirs.filter(condition), ours.filter(condition)
        if columns:
            taken = set(ours.values_list(*columns))
            clashing = [pk for pk, *values in theirs.values_list("pk", *columns) if tuple(values) in taken]
        else:
            clashing = list(theirs.values_list("pk", flat=True)) if ours.exists() else []
        if clashing:
            manager.filter(pk__in=clashing).delete()
    manager.filter(**{fk.attname: old}).update(**{fk.attname: new})


def _went(row: Message) -> bool:
    return row.state in (MessageState.SENDING, MessageState.SENT)


def _order(row: Message) -> tuple:
    """The order a message's rows are numbered in, the one that counts last (the schedule reads the
    highest version): what went and was not delivered, then what is still to go, then what went."""
    if not _went(row):
        rank = 1
    elif row.delivery == Delivery.PERMANENT_FAILURE:
        rank = 0
    else:
        rank = 2
    return (rank, row.sent_at or row.scheduled_for, row.pk)


def _unite_messages(*, keep: Invitation, other: Invitation) -> None:
    """Make the outbox rows of two invitations to one programme one set, addressed to ``keep``; all but
    the confirmations (_unite_confirmations)."""
    recipient = ContentType.objects.get_for_model(Invitation)
    other_rows = Message.objects.filter(recipient_type=recipient, recipient_id=other.pk)
    # The other's planned invitation, reminders and nudge: the kept person's schedule is planned again.
    other_rows.filter(kind__in=SCHEDULED_KINDS, state=MessageState.SCHEDULED).update(
        state=MessageState.CANCELLED
    )
    rows = list(
        Message.objects.filter(recipient_type=recipient, recipient_id__in=[keep.pk, other.pk])
        .exclude(kind=MessageKind.CONFIRMATION)
        .order_by("version", "pk")
    )
    same: dict[tuple, list[Message]] = defaultdict(list)
    for row in rows:
        same[(row.kind, row.channel, row.topic_type_id, row.topic_id)].append(row)
    for group in same.values():
        theirs = [row for row in group if row.recipient_id == other.pk]
        if not theirs:
            continue
        if len(theirs) == len(group):  # only the other had it: it is the kept person's now
            Message.objects.filter(pk__in=[row.pk for row in theirs]).update(recipient_id=keep.pk)
            continue
        gone = [row for row in group if _went(row)]
        waiting = [row for row in group if not _went(row)]
        delivered = [row for row in gone if row.delivery != Delivery.PERMANENT_FAILURE]
        # What never went is kept only when nothing went that arrived, and only once: a row still
        # scheduled first, the kept person's before the other's.
        staying = []
        if waiting and not delivered:
            waiting.sort(
                key=lambda row: (row.state != MessageState.SCHEDULED, row.recipient_id != keep.pk, -row.pk)
            )
            staying = waiting[:1]
        dropped = [row.pk for row in waiting if row not in staying]
        if dropped:
            Message.objects.filter(pk__in=dropped).exclude(
                state__in=(MessageState.SENDING, MessageState.SENT)
            ).delete()
        kept_rows = sorted(gone + staying, key=_order)
        for number, row in enumerate(kept_rows):
            Message.objects.filter(pk=row.pk).update(recipient_id=keep.pk, version=RENUMBERING + number)
        for number, row in enumerate(kept_rows):
            Message.objects.filter(pk=row.pk).update(version=number)


def _unite_confirmations(
    *, keep: Invitation, other: Invitation, reply: Reply | None, source: Invitation
) -> None:
    """Make the reply confirmations of two invitations one set, addressed to ``keep``, whose reply is now
    ``reply`` (it came from ``source``, one of the two; None: neither replied).

    Not grouped like the other messages (what went makes what waits needless): a confirmation confirms
    one version of one reply, and goes only while that version is the reply's (kinds.still_wanted). So
    the confirmation of the kept reply stays, gone or still waiting (a text held back until texting
    hours), whatever went to the other; every other one that went stays as history; every other one
    that has not gone confirms a reply that is no more, and is deleted. The history is numbered below
    the kept reply's version and the kept reply's confirmation gets that version (the reply's, or above
    the history, the reply's version then raised to match), so the next change of the reply (the next
    version) is confirmed afresh and never collides."""
    recipient = ContentType.objects.get_for_model(Invitation)
    rows = list(
        Message.objects.filter(
            recipient_type=recipient, recipient_id__in=[keep.pk, other.pk], kind=MessageKind.CONFIRMATION
        ).order_by("version", "pk")
    )
    if not rows:
        return
    ours = [
        row
        for row in rows
        if reply is not None
        and row.recipient_id == source.pk
        and row.version == reply.version
        and (_went(row) or row.state == MessageState.SCHEDULED)
    ]
    history = sorted((row for row in rows if _went(row) and row not in ours), key=_order)
    dropped = [row.pk for row in rows if row not in ours and row not in history]
    if dropped:
        Message.objects.filter(pk__in=dropped).exclude(
            state__in=(MessageState.SENDING, MessageState.SENT)
        ).delete()
    version = max(reply.version if reply is not None else 0, len(history))
    numbered = [(row, number) for number, row in enumerate(history)] + [(row, version) for row in ours]
    # Through versions far above any real one: the rows' own versions may collide on the way.
    for row, number in numbered:
        Message.objects.filter(pk=row.pk).update(recipient_id=keep.pk, version=RENUMBERING + number)
    for row, number in numbered:
        Message.objects.filter(pk=row.pk).update(version=number)
    if reply is not None and reply.version != version:
        Reply.objects.filter(pk=reply.pk).update(version=version)


def _unite_invitations(*, keep: Invitation, other: Invitation, reply_choice: str | None) -> None:
    """Two invitations of one person to one programme become ``keep``; ``other`` is deleted."""
    keep_reply = Reply.objects.filter(invitation=keep).first()
    other_reply = Reply.objects.filter(invitation=other).first()
    kept_reply, source = keep_reply, keep
    if other_reply is not None:
        take_theirs = keep_reply is None or (
            replies_differ(keep_reply, other_reply) and reply_choice == OTHER
        )
        dropped, moved = (keep_reply, other_reply) if take_theirs else (other_reply, None)
        if dropped is not None:
            Reply.objects.filter(pk=dropped.pk).delete()
        if moved is not None:
            Reply.objects.filter(pk=moved.pk).update(invitation=keep)
            kept_reply, source = moved, other
    # The invitation's own facts: asked not to be contacted by either, invited ahead by either, on the
    # list if either was, and on it since the earlier.
    facts = Invitation.objects.filter(pk__in=[keep.pk, other.pk])
    both = {invitation.pk: invitation for invitation in facts}
    mine, theirs = both[keep.pk], both[other.pk]
    opted = [when for when in (mine.opted_out_at, theirs.opted_out_at) if when]
    mine.opted_out_at = min(opted) if opted else None
    mine.met_on_the_day = mine.met_on_the_day and theirs.met_on_the_day
    if mine.removed_at is not None and theirs.removed_at is None:
        mine.removed_at, mine.removed_by_id = None, None
    code = theirs.reply_code if not mine.reply_code else None
    if code:
        Invitation.objects.filter(pk=theirs.pk).update(reply_code=None)
        mine.reply_code = code
    mine.save(update_fields=["opted_out_at", "met_on_the_day", "removed_at", "removed_by", "reply_code"])
    Invitation.objects.filter(pk=mine.pk).update(created_at=min(mine.created_at, theirs.created_at))
    for relation in _relations(Invitation, handled=(Reply,)):
        _repoint(relation, old=other.pk, new=keep.pk)
    _unite_messages(keep=keep, other=other)
    _unite_confirmations(keep=keep, other=other, reply=kept_reply, source=source)
    _delete_only(Invitation, other.pk)


def _beside_the_choices(error: ValidationError) -> ValidationError:
    """change_details's problems by field, put beside the choice that set that field."""
    if not hasattr(error, "error_dict"):
        return error
    by_choice: dict[str, list[str]] = defaultdict(list)
    for name, messages in error.message_dict.items():
        by_choice[CHOICE_OF_FIELD.get(name, "__all__")].extend(messages)
    return ValidationError(dict(by_choice))


def _delete_only(model: type[models.Model], pk: int) -> None:
    """Delete one row that nothing points at any more; anything else it would take with it is an error
    (and the transaction, so the whole merge, is rolled back)."""
    _count, deleted = model._base_manager.filter(pk=pk).delete()
    others = {label: number for label, number in deleted.items() if number and label != model._meta.label}
    if others:
        raise RuntimeError(f"merging would have deleted {others}")


@transaction.atomic
def merge_people(
    *,
    programme: Programme,
    keep: Invitation,
    other: Invitation,
    by: User,
    details: dict[str, str] | None = None,
    replies: dict[int, str] | None = None,
) -> Invitee:
    """Merge the person invited by ``other`` into the person invited by ``keep`` (two invitations to
    ``programme``, whose list it happens on), as ``by`` (invitations.merge_people on the pair:
    PermissionDenied otherwise, nothing changed). Either person on another programme whose invitations
    ``by`` may not change (invitations.edit_person: a programme they do not run, or for a coordinator
    one their school is not on): ValidationError, nothing changed, whether both are on it or one, since
    the merge would change that list too (the module's docstring).

    ``details``: for each detail that differs (DETAILS), KEEP or OTHER (left out: the kept person's
    value, or the other's if the kept person has none). ``replies``: programme id → KEEP or OTHER,
    needed for every programme both are on where both replied differently.

    Raises ValidationError by choice (a detail's name, or ``reply_<programme id>``), nothing changed:
    a reply to choose not chosen, or chosen details that do not go together (email as the way to reach
    them, and no email). Returns the kept person, who keeps "keep me in touch" if either asked for it;
    where both invitations to a programme had a paper reply code, the other's stops working (the history
    line says which to use)."""
    if keep.pk == other.pk or keep.invitee_id == other.invitee_id:
        raise ValidationError(_("These are the same person already."))
    # As they are now (the rule reads their organisations), and both to this programme.
    found = {
        invitation.pk: invitation
        for invitation in Invitation.objects.filter(
            pk__in=[keep.pk, other.pk], programme=programme
        ).select_related("invitee__organisation", "programme__neighbourhood")
    }
    if len(found) != 2:
        raise ValidationError(_("Both people must be on this programme's list."))
    keep, other = found[keep.pk], found[other.pk]
    pair: Any = MergePair(programme, keep, other)  # rules take any object; Django's stubs say a model
    if not by.has_perm("invitations.merge_people", pair):
        raise PermissionDenied
    details, replies = details or {}, replies or {}
    # Both people, and their invitations, are locked: a reply arriving now waits for the merge.
    locked = {
        person.pk: person
        for person in Invitee.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .filter(pk__in=[keep.invitee_id, other.invitee_id])
    }
    if len(locked) != 2:
        raise ValidationError(_("One of these people is no longer on the list."))
    kept, gone = locked[keep.invitee_id], locked[other.invitee_id]
    if kept.neighbourhood_id != gone.neighbourhood_id:
        raise ValidationError(_("These people are in different neighbourhoods."))
    list(Invitation.objects.select_for_update().filter(invitee_id__in=[kept.pk, gone.pk]))
    preview = merge_preview(keep=kept, other=gone, user=by)
    if preview.hidden:
        raise ValidationError(preview.not_yours)
    _refuse_bad_choices(preview, details, replies)
    # The chosen values, taken before the other person is deleted.
    changes: dict[str, object] = {}
    for detail in preview.choices:
        if details.get(detail.choice, detail.default) == OTHER:
            for name in DETAILS[detail.choice]:
                changes[name] = people.stored_value(gone, name)
    if gone.interpreter and not kept.interpreter:
        changes["interpreter"] = True
    if gone.notes.strip() and gone.notes.strip() not in kept.notes:
        changes["notes"] = "\n".join(part for part in (kept.notes.strip(), gone.notes.strip()) if part)[:2000]
    other_name = gone.name + (f" ({gone.organisation.name})" if gone.organisation_id else "")
    lost_codes = [row for row in preview.programmes if row.lost_code]
    # Every programme of theirs: the shared ones become one invitation, the rest move to the kept person.
    for row in preview.programmes:
        if row.shared:
            _unite_invitations(
                keep=row.keep.invitation,  # type: ignore[union-attr]
                other=row.other.invitation,  # type: ignore[union-attr]
                reply_choice=replies.get(row.programme.pk),
            )
        elif row.other is not None:
            Invitation.objects.filter(pk=row.other.invitation.pk).update(invitee=kept)
    for relation in _relations(Invitee, handled=(Invitation,)):
        _repoint(relation, old=gone.pk, new=kept.pk)  # their history, and anything added later
    if gone.adults_at_home > kept.adults_at_home:
        Invitee.objects.filter(pk=kept.pk).update(adults_at_home=gone.adults_at_home)
    if gone.keep_in_touch:  # either asked to be kept in touch: since the first time one of them did
        asked = [
            when for when in (kept.keep_in_touch and kept.keep_in_touch_at, gone.keep_in_touch_at) if when
        ]
        Invitee.objects.filter(pk=kept.pk).update(
            keep_in_touch=True, keep_in_touch_at=min(asked) if asked else None
        )
    _delete_only(Invitee, gone.pk)
    note = _("Merged with %(name)s") % {"name": other_name}
    if lost_codes:  # so that a slip with the other's code, not found, can be worked out from here
        note = " ".join(
            [
                f"{note}.",
                *(
                    _("Their reply slip code %(lost)s no longer works: use %(kept)s (%(programme)s).")
                    % {"lost": row.lost_code, "kept": row.kept_code, "programme": row.programme.title}
                    for row in lost_codes
                ),
            ]
        )
    note_field = PersonChange._meta.get_field("note")
    assert isinstance(note_field, models.CharField)  # a short line: the codes may make it too long
    note = note[: note_field.max_length]
    try:
        person, line = people.change_details(
            invitee=kept,
            changes=changes,
            by=by,
            scope=scope_for(user=by, programme=programme),
            event=PersonEvent.MERGED,
            programme=programme,
            note=note,
        )
    except ValidationError as error:
        raise _beside_the_choices(error) from error
    if line is None:  # no detail changed: the merge is still a line of their history
        people.record_change(invitee=person, event=PersonEvent.MERGED, by=by, programme=programme, note=note)
        people.replan(invitee=person)
    person.refresh_from_db()
    return person
