import secrets

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.jobs import PdfJob
from events.changes import Facts
from events.models import Neighbourhood, Organisation, Programme, Session, Venue

from .enums import (
    GROUP_OF_CATEGORY,
    LANGUAGES,
    Answer,
    Category,
    ChangeState,
    Channel,
    MessageKind,
    PersonEvent,
    ReplySource,
    StaffRole,
    group_label,
)


class InviteeQuerySet(models.QuerySet):
    def visible_to(self, user) -> "InviteeQuerySet":
        """Facilitators see their neighbourhoods' invitees; a school coordinator only their school's."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(
            Q(neighbourhood__facilitators=user) | Q(organisation__coordinators=user)
        ).distinct()


class Invitee(models.Model):
    """Someone who may be invited: a parent or carer, school staff, a group worker or a neighbour."""

    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.PROTECT, related_name="invitees")
    name = models.CharField(_("name"), max_length=120)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    staff_role = models.CharField(
        _("role at school"),
        max_length=16,
        choices=StaffRole.choices,
        blank=True,
        help_text=_("School staff only."),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitees",
        verbose_name=_("organisation"),
        help_text=_("Where they work or volunteer, or the school their child goes to."),
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # E.164 ("+447700900123"), read from what people write by core.phones.uk_mobile.
    mobile = models.CharField(
        _("mobile number"), max_length=16, blank=True, help_text=_("For text messages. A UK mobile number.")
    )
    texts_agreed = models.BooleanField(_("agreed to text messages"), default=False)
    language = models.CharField(_("preferred language"), max_length=8, choices=LANGUAGES, default="en")
    interpreter = models.BooleanField(
        _("needs an interpreter"), default=False, help_text=_("On the phone, and at the sessions.")
    )
    channel = models.CharField(_("how we reach them"), max_length=8, choices=Channel.choices)
    texts_too = models.BooleanField(
        _("text messages as well"),
        default=False,
        help_text=_("Reminders and news by text as well as by email or letter."),
    )
    # What the provider said when an address or number stopped working (core.delivery; blank: working).
    # A message that cannot get through moves them to another way (services.delivery); fixing the
    # address or number clears the mark and puts back the way they had.
    email_failed = models.CharField(_("email not working"), max_length=500, blank=True)
    mobile_failed = models.CharField(_("mobile not working"), max_length=500, blank=True)
    fell_back_from = models.CharField(max_length=8, choices=Channel.choices, blank=True)
    # From a school's records: the home address (one of the ways a household is recognised), and what
    # else the file said that has no field of its own (other addresses, other adults, children's years).
    address = models.CharField(_("home address"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    # How many adults the school's records list at this home (two: the household may say both are coming).
    adults_at_home = models.PositiveSmallIntegerField(
        _("adults at home"), default=1, validators=[MaxValueValidator(6)]
    )
    # "Keep me in touch about future programmes", asked on the reply page (off unless they tick it): their
    # contact details outlive a programme's retention period (invitations.services.retention).
    keep_in_touch = models.BooleanField(_("keep me in touch about future programmes"), default=False)
    keep_in_touch_at = models.DateTimeField(null=True, blank=True)
    # When the email or mobile was last changed: a provider's word on a message sent before is about
    # the old address, and marks nothing (services.delivery).
    contact_changed_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InviteeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "neighbourhood",
                Lower("email"),
                condition=~Q(email=""),
                name="unique_invitee_email_per_neighbourhood",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else self.name

    @property
    def balance_group(self) -> str:
        """Which of the three groups a programme balances they count towards (enums.BALANCE_GROUPS)."""
        return GROUP_OF_CATEGORY.get(self.category, "")

    @property
    def balance_group_label(self) -> str:
        return group_label(self.balance_group)

    @property
    def greeting_name(self) -> str:
        """Who "Hello ..." is to: a first name, or everyone at a group invited through its contact email."""
        if self.organisation_id and self.name == self.organisation.name:
            return _("everyone at %(name)s") % {"name": self.name}
        return self.first_name

    @property
    def email_works(self) -> bool:
        return bool(self.email) and not self.email_failed

    @property
    def texts_work(self) -> bool:
        """A mobile number, their agreement to texts, and no word that the number does not work."""
        return bool(self.mobile) and self.texts_agreed and not self.mobile_failed

    @property
    def at_a_school(self) -> bool:
        return bool(self.organisation_id and self.organisation.is_school)

    def way_works(self, channel: str) -> bool:
        """Whether a message could reach them on ``channel``: an address with no word that it does not
        work, for texts their agreement too, for a letter a school to print it."""
        if channel == Channel.EMAIL:
            return self.email_works
        if channel == Channel.SMS:
            return self.texts_work
        return channel == Channel.LETTER and self.at_a_school

    @property
    def sent_way(self) -> str | None:
        """The first of their ways that we send (email or text), for what a letter would bring too late:
        a reply's confirmation, the thank-you, a lead's link, the nudge."""
        return next((way for way in self.channels if way in (Channel.EMAIL, Channel.SMS)), None)

    @property
    def channels(self) -> list[str]:
        """The ways each message to them goes, main way first: their channel while it works (email,
        text or letter) and texts too if they asked for them. Empty when nothing works (the call list)."""
        ways = [self.channel] if self.way_works(self.channel) else []
        if self.texts_too and self.channel != Channel.SMS and self.texts_work:
            ways.append(Channel.SMS)
        return ways

    def clean(self) -> None:
        errors = {}
        if self.channel == Channel.EMAIL and not self.email:
            errors["email"] = _("Add an email address, or choose a letter through school.")
        if (self.channel == Channel.SMS or self.texts_too) and not self.mobile:
            errors["mobile"] = _("Add a mobile number for text messages.")
        elif (self.channel == Channel.SMS or self.texts_too) and not self.texts_agreed:
            errors["texts_agreed"] = _("Text messages only go to people who have agreed to them.")
        if self.channel == Channel.LETTER and not (self.organisation_id and self.organisation.is_school):
            errors["organisation"] = _("Letters go through a school: choose the school.")
        if self.category == Category.SCHOOL_STAFF and not self.staff_role:
            errors["staff_role"] = _("Choose their role at school.")
        if self.category != Category.SCHOOL_STAFF and self.staff_role:
            errors["staff_role"] = _("Only school staff have a role at school. Leave this empty.")
        if (
            self.organisation_id
            and self.neighbourhood_id
            and self.organisation.neighbourhood_id != self.neighbourhood_id
        ):
            errors["organisation"] = _("Choose an organisation in this neighbourhood.")
        if errors:
            raise ValidationError(errors)


class InvitationQuerySet(models.QuerySet):
    def on_list(self) -> "InvitationQuerySet":
        """Not removed from the programme's list (a removed person keeps their past in the counts)."""
        return self.filter(removed_at__isnull=True)


class Invitation(models.Model):
    """One invitee invited to one programme. Reply links carry a ReplyToken."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="invitations")
    invitee = models.ForeignKey(Invitee, on_delete=models.CASCADE, related_name="invitations")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opted_out_at = models.DateTimeField(
        _("asked not to be contacted"),
        null=True,
        blank=True,
        help_text=_("No more messages for this programme."),
    )
    # Taken off this programme's list by the team (services.people): no more messages; what they
    # answered and whether they came stay in the counts of what happened. "Put back" clears it.
    removed_at = models.DateTimeField(_("removed from the list"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Added at the door on the day rather than invited ahead: they never get an "you're invited" message.
    met_on_the_day = models.BooleanField(_("met on the day"), default=False)
    # The short code on a letter's reply slip, typed in by the school office. Given when a letter is made.
    reply_code = models.CharField(_("reply code"), max_length=8, unique=True, null=True, blank=True)
    # Its rows in the outbox (core.models.Message): invitation, reminders, nudge, confirmations…
    messages = GenericRelation(
        "core.Message",
        content_type_field="recipient_type",
        object_id_field="recipient_id",
        related_query_name="invitation",
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["invitee__name"]
        constraints = [models.UniqueConstraint("programme", "invitee", name="invite_once_per_programme")]

    def __str__(self) -> str:
        return f"{self.invitee} → {self.programme}"


class PersonChange(models.Model):
    """One line of a person's history: who changed what, when (services.people). ``fields`` holds
    {field name: [before, after]} as stored, so an edit can be undone."""

    invitee = models.ForeignKey(Invitee, on_delete=models.CASCADE, related_name="history")
    # The programme whose list it happened on (a removal, a put back), when it was one.
    programme = models.ForeignKey(
        Programme, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    event = models.CharField(max_length=16, choices=PersonEvent.choices)
    fields = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    # Set on an edit that was later undone (the undoing is a line of its own).
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.invitee}: {self.get_event_display()}"


class ImportMapping(models.Model):
    """How the columns of a school's export are read (services.school_exports): remembered per school
    (or per neighbourhood, for a facilitator's own files) and per set of headers, so next term's export
    of the same system needs no mapping again. ``mapping`` is {our field: their column header}."""

    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    headers_key = models.CharField(max_length=64)
    system = models.CharField(max_length=16, blank=True)
    mapping = models.JSONField(default=dict)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"column mapping for {self.organisation or self.neighbourhood}"


MAX_CHILDREN = 10
MAX_EXTRA_PLACES = 5


class Reply(models.Model):
    """Someone's answer to an invitation: per session (SessionAnswer) and what would help them come."""

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="reply")
    source = models.CharField(
        _("how we heard"), max_length=16, choices=ReplySource.choices, default=ReplySource.WEB
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    childcare_children = models.PositiveSmallIntegerField(
        _("children who need the crèche"), default=0, validators=[MaxValueValidator(MAX_CHILDREN)]
    )
    childcare_ages = models.CharField(_("their ages"), max_length=60, blank=True)
    food_needs = models.CharField(_("food needs"), max_length=500, blank=True)
    access_needs = models.CharField(_("access needs"), max_length=500, blank=True)
    interpreter_language = models.CharField(
        _("interpreter language"),
        max_length=60,
        blank=True,
        help_text=_("Empty when no interpreter is needed."),
    )
    transport_help = models.BooleanField(_("needs help with transport"), default=False)
    # Needs can be health data: the reply page asks, in one plain sentence before the needs questions,
    # whether we may keep what they tell us (explicit consent). Without it, needs are not kept.
    needs_agreed = models.BooleanField(_("agreed we may keep their needs"), default=False)
    needs_agreed_at = models.DateTimeField(null=True, blank=True)
    extra_places = models.PositiveSmallIntegerField(
        _("bringing someone else"), default=0, validators=[MaxValueValidator(MAX_EXTRA_PLACES)]
    )
    # Goes up by one with each change, so a confirmation can say which answer it confirms.
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"reply from {self.invitation.invitee}"

    @property
    def ages(self) -> list[int]:
        return [int(age) for age in self.childcare_ages.split(",") if age.strip()]


class SessionAnswer(models.Model):
    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="answers")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="answers")
    answer = models.CharField(max_length=8, choices=Answer.choices)

    class Meta:
        constraints = [models.UniqueConstraint("reply", "session", name="one_answer_per_session")]

    def __str__(self) -> str:
        return f"{self.session}: {self.get_answer_display()}"


class ReplyToken(models.Model):
    """A reply link. Each message carries its own; every one issued keeps working. Only the hash is kept."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"token for {self.invitation_id}"


# Letters: the words the facilitator writes, and the PDFs made from them for each school.
MAX_LETTER_CHARACTERS = 6000


class LetterWording(models.Model):
    """The friendly words of a programme's invitation letter in one language, written by the facilitator
    (or a translator). A language with none saved prints our own default words in that language."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="letter_wordings")
    # A language the site speaks (settings.LANGUAGES), as core.languages names it: "en-gb", "pl"…
    language = models.CharField(max_length=8, default=settings.LANGUAGE_CODE)
    text = models.TextField(_("the words of the letter"), max_length=MAX_LETTER_CHARACTERS)
    # The English words changed after these were saved: someone should check they still say the same.
    english_changed = models.BooleanField(default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("programme", "language", name="one_letter_wording_per_language"),
        ]

    def __str__(self) -> str:
        return f"letter for {self.programme} ({self.language})"


def letter_upload_to(instance: "LetterBatch", filename: str) -> str:
    return f"letters/{instance.programme_id}/{secrets.token_hex(16)}.pdf"


class LetterBatch(PdfJob):
    """One PDF of letters for one school: every invitee reached by letter, a page each. Made through the
    one PDF job lifecycle (core.jobs: fingerprint, state, claim, file, error, times).

    ``fingerprint`` is a hash of everything printed (words, people, sessions): when it no longer matches,
    the PDF is out of date and the next request makes a fresh one."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="letter_batches")
    school = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="letter_batches")
    kind = models.CharField(max_length=16, choices=MessageKind.choices, default=MessageKind.INVITATION)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # Each letter not in English followed by the same letter in English, for the back of the sheet.
    bilingual = models.BooleanField(default=False)
    # Change letters: the change they tell of (and ``session`` is its session).
    change = models.ForeignKey(
        "SessionChange", on_delete=models.CASCADE, null=True, blank=True, related_name="letter_batches"
    )
    pages_done = models.PositiveIntegerField(default=0)
    pages_total = models.PositiveIntegerField(default=0)
    # The invitations it printed (ids), kept when it is made: downloading it marks their letters printed.
    printed = models.JSONField(default=list, blank=True)
    file = models.FileField(upload_to=letter_upload_to, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.get_kind_display()} letters for {self.school} ({self.get_state_display()})"


class SessionChange(models.Model):
    """A change to a session's date, times or place, its cancelling or reinstating, that people who had
    been told about it are to hear of (services.changes).

    It waits a little (CHANGE_NOTICE_WAIT_SECONDS) while the facilitator may still be editing: further
    edits fold into it, and one changed back to what people were told is withdrawn. When it is told, its
    notices are made (rows of the outbox with this change as their topic) and what it said is kept, so a
    notice sent later (a retry) says the same."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="changes")
    state = models.CharField(max_length=10, choices=ChangeState.choices, default=ChangeState.WAITING)
    # What people had been told.
    was_date = models.DateField()
    was_start_time = models.TimeField()
    was_end_time = models.TimeField()
    was_venue = models.ForeignKey(Venue, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    was_cancelled = models.BooleanField(default=False)
    # What they were told it became (set when told).
    new_date = models.DateField(null=True, blank=True)
    new_start_time = models.TimeField(null=True, blank=True)
    new_end_time = models.TimeField(null=True, blank=True)
    new_venue = models.ForeignKey(Venue, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    new_cancelled = models.BooleanField(null=True, blank=True)
    made_at = models.DateTimeField(auto_now_add=True)
    tell_at = models.DateTimeField()
    told_at = models.DateTimeField(null=True, blank=True)
    # Its notices in the outbox (core.models.Message with this change as their topic).
    messages = GenericRelation(
        "core.Message",
        content_type_field="topic_type",
        object_id_field="topic_id",
        related_query_name="session_change",
    )

    class Meta:
        ordering = ["made_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session"], condition=Q(state="waiting"), name="one_waiting_change_per_session"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session}: {self.get_state_display()}"

    @property
    def before(self) -> Facts:
        return Facts(
            date=self.was_date,
            start_time=self.was_start_time,
            end_time=self.was_end_time,
            venue_id=self.was_venue_id,
            cancelled=self.was_cancelled,
        )

    @property
    def after(self) -> Facts | None:
        """What people were told it became; None until told."""
        if self.new_date is None or self.new_start_time is None or self.new_end_time is None:
            return None
        return Facts(
            date=self.new_date,
            start_time=self.new_start_time,
            end_time=self.new_end_time,
            venue_id=self.new_venue_id,
            cancelled=bool(self.new_cancelled),
        )
