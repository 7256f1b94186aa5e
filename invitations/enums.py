from django.db import models
from django.utils.translation import gettext_lazy as _

from core.enums import MessageState  # noqa: F401 -- the outbox's states, named here for this app's code
from core.jobs import JobState


class Category(models.TextChoices):
    PARENT = "parent", _("Parent or carer")
    SCHOOL_STAFF = "school_staff", _("School staff")
    GROUP_WORKER = "group_worker", _("Local group or agency worker")
    COMMUNITY = "community", _("Other community member")


class StaffRole(models.TextChoices):
    TEACHER = "teacher", _("Teacher")
    SUPPORT_STAFF = "support_staff", _("Support staff")
    GOVERNOR = "governor", _("Governor")
    LEADER = "leader", _("Leader")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")
    LETTER = "letter", _("Letter through school")
    # Someone met on the day who left no contact details: on the list, but we send them nothing.
    NONE = "none", _("No messages (met on the day)")


class MessageKind(models.TextChoices):
    INVITATION = "invitation", _("Invitation")
    REMINDER = "reminder", _("Session reminder")
    NUDGE = "nudge", _("Gentle nudge")
    CONFIRMATION = "confirmation", _("Reply confirmation")
    CHANGE = "change", _("Change notice")


# The kinds computed from the sessions by the schedule; confirmations are added when someone replies.
SCHEDULED_KINDS = (MessageKind.INVITATION, MessageKind.REMINDER, MessageKind.NUDGE)


class Answer(models.TextChoices):
    YES = "yes", _("Coming")
    NO = "no", _("Can't come")
    MAYBE = "maybe", _("Not sure yet")
    # Not an answer anyone gives: what "Coming" becomes when the session moves, until they answer again.
    CHANGED = "changed", _("Not sure yet (date changed)")


# The answers a person chooses from (the reply page, the slip, staff taking a reply).
GIVEN_ANSWERS = (Answer.YES, Answer.NO, Answer.MAYBE)


class ReplySource(models.TextChoices):
    WEB = "web", _("Online")
    PAPER = "paper", _("Reply slip")
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")


# The three groups a programme balances, and which categories count towards each.
BALANCE_GROUPS = {
    "parents": (_("Parents and carers"), [Category.PARENT]),
    "school_staff": (_("School staff"), [Category.SCHOOL_STAFF]),
    "groups": (_("Local groups and agencies"), [Category.GROUP_WORKER, Category.COMMUNITY]),
}
# Which of the three groups each category counts towards.
GROUP_OF_CATEGORY: dict[str, str] = {
    category: key for key, (_label, categories) in BALANCE_GROUPS.items() for category in categories
}


def group_label(key: str) -> str:
    """The name of a balance group ("Parents and carers"), in the current language; "" for no group."""
    return str(BALANCE_GROUPS[key][0]) if key in BALANCE_GROUPS else ""


LANGUAGES = [
    ("en", _("English")),
    ("ar", _("Arabic")),
    ("bn", _("Bengali")),
    ("zh-hans", _("Chinese")),
    ("gu", _("Gujarati")),
    ("pa", _("Punjabi")),
    ("pl", _("Polish")),
    ("pt", _("Portuguese")),
    ("ro", _("Romanian")),
    ("so", _("Somali")),
    ("ti", _("Tigrinya")),
    ("tr", _("Turkish")),
    ("uk", _("Ukrainian")),
    ("ur", _("Urdu")),
]


# A batch of letters is a PDF job (core.jobs): its states are the jobs' states.
LetterState = JobState


# The kinds of message a letter can carry: an invitation, a reminder of one session, or a change to one.
LETTER_KINDS = (MessageKind.INVITATION, MessageKind.REMINDER, MessageKind.CHANGE)


class ChangeState(models.TextChoices):
    WAITING = "waiting", _("Waiting, in case more changes follow")
    TOLD = "told", _("Told")
    # Changed back before anyone was told, or nobody to tell: nothing was sent.
    WITHDRAWN = "withdrawn", _("Nothing to tell")


class PersonEvent(models.TextChoices):
    """What a line of a person's history records (models.PersonChange)."""

    ADDED = "added", _("added")
    EDITED = "edited", _("details changed")
    REMOVED = "removed", _("removed from the list")
    PUT_BACK = "put_back", _("put back on the list")
    MERGED = "merged", _("merged with a duplicate")
    UNDONE = "undone", _("change undone")
    IMPORTED = "imported", _("updated from a file")
    # Issue 18: their personal data deleted (an erasure, or the programme's retention period): the one
    # line kept, without personal data (records.services.people.erase_people).
    ERASED = "erased", _("personal details deleted")
