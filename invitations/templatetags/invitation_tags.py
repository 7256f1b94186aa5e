"""How the invitation pages describe things: the state of each message, the ways a person is reached
and what of theirs is not working, mobile numbers as people write them, and the sent-mail link."""

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.enums import Delivery
from core.models import Message
from core.sms import texting_hours

from ..enums import Channel, MessageKind, MessageState
from ..models import Invitee
from ..services.changes import told_changes, waiting_change
from ..services.invitees import ways_label, written_mobile
from ..services.status import MessagesStatus
from ..services.status import messages_status as _messages_status
from ..services.status import messages_statuses as _messages_statuses

register = template.Library()

MAILBOX_BACKEND = "core.mailbox.MailboxBackend"


def mailbox_enabled() -> bool:
    """Sent mail can be read from the site only on a copy running in DEBUG that keeps mail as files."""
    return bool(settings.DEBUG) and settings.EMAIL_BACKEND == MAILBOX_BACKEND


def _day(value) -> str:
    return date_format(timezone.localtime(value), "j M Y")


def _moment(value) -> str:
    return date_format(timezone.localtime(value), "j M Y, H:i")


@register.filter
def message_kind(message: Message) -> str:
    """ "Invitation", or "Session reminder (17 Jun)"."""
    if message.kind == MessageKind.REMINDER and message.topic_id:
        return _("Session reminder (%(date)s)") % {"date": date_format(message.topic.date, "j M")}
    return message.get_kind_display()


@register.filter
def message_state(message: Message, programme_open: bool = True) -> str:
    """Where one message is, in the words the list page and its CSV download use."""
    state = message.state
    # A school prints letters from the letters page; downloading them marks them printed.
    if message.channel == Channel.LETTER and state == MessageState.SENT:
        return (
            _("letter printed %(date)s") % {"date": _day(message.sent_at)}
            if message.sent_at
            else _("letter printed")
        )
    if (
        message.kind == MessageKind.CHANGE
        and message.channel == Channel.LETTER
        and state == MessageState.SCHEDULED
    ):
        return _("change letter to print")
    if state == MessageState.SCHEDULED:
        if message.channel == Channel.LETTER:
            return _("letter due %(date)s") % {"date": _day(message.scheduled_for)}
        if message.retry_at:
            return _("trying again at %(time)s (%(error)s)") % {
                "time": _moment(message.retry_at),
                "error": message.last_error,
            }
        if message.scheduled_for <= timezone.now():
            # Its day has come (or a session moved, or they were added late): the next run sends it.
            if programme_open and message.channel == Channel.SMS and not texting_hours(timezone.now()):
                return _("due: texts go between 9am and 7pm, so it goes then")
            if programme_open:
                return _("due now: it goes out within a few minutes")
            return _("due: it goes out once the programme is open")
        return _("scheduled for %(date)s") % {"date": _day(message.scheduled_for)}
    if state == MessageState.SENDING:
        return _("being sent now")
    if state == MessageState.SENT:
        sent = _("sent %(time)s") % {"time": _moment(message.sent_at)} if message.sent_at else _("sent")
        if message.delivery in (Delivery.PERMANENT_FAILURE, Delivery.TEMPORARY_FAILURE):
            return _("%(sent)s, but not delivered: %(said)s") % {
                "sent": sent,
                "said": message.delivery_said or message.get_delivery_display(),
            }
        return sent
    if state == MessageState.FAILED:
        return _("failed: %(error)s") % {"error": message.last_error or _("no reason given")}
    return _("cancelled")


@register.filter
def uk_phone(mobile: str) -> str:
    """A mobile kept as E.164 as people in the UK write it: "+447700900123" → "07700 900123"."""
    return written_mobile(mobile)


@register.filter
def ways(invitee: Invitee) -> str:
    """The ways they asked to be reached: "Email", "Email and texts", "Text message"…"""
    return ways_label(invitee.channel, invitee.texts_too)


@register.filter
def not_working(invitee: Invitee) -> list[str]:
    """What is wrong with their address or number, in the provider's words, and where a bounce moved
    them: ["Email not working — 550 no such user", "now by letter through Millbrook Primary"]."""
    marks = []
    if invitee.email_failed:
        marks.append(_("Email not working — %(said)s") % {"said": invitee.email_failed})
    if invitee.mobile_failed:
        marks.append(_("Mobile number not working — %(said)s") % {"said": invitee.mobile_failed})
    if invitee.fell_back_from:
        if invitee.channel == Channel.LETTER and invitee.organisation_id:
            marks.append(_("now by letter through %(school)s") % {"school": invitee.organisation.name})
        elif invitee.channel == Channel.SMS:
            marks.append(_("now by text message"))
        elif invitee.channel == Channel.EMAIL:
            marks.append(_("now by email"))
    if marks and not invitee.channels:
        marks.append(_("no way to reach them until this is fixed"))
    return marks


@register.simple_tag(takes_context=True)
def mailbox_link_shown(context) -> bool:
    user = context.get("user")
    return mailbox_enabled() and user is not None and user.has_perm("invitations.view_mailbox")


@register.simple_tag
def messages_status(programme) -> MessagesStatus:
    """What has happened to one programme's messages (the programme page, the invitation list)."""
    return _messages_status(programme=programme)


@register.simple_tag
def messages_statuses(programmes) -> list[tuple]:
    """Each programme with its status, in a constant number of queries (the home page)."""
    statuses = _messages_statuses(list(programmes))
    return [(programme, statuses[programme.pk]) for programme in programmes]


@register.simple_tag
def session_changes(session) -> dict:
    """The change waiting to be told about a session, and its latest told ones (the session's page)."""
    return {"waiting": waiting_change(session=session), "told": told_changes(session=session)}
