import secrets
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Min, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from .enums import ChecklistKey, OrganisationKind, ProgrammeStatus, SchoolPhase, SessionKind

MAX_HALF_DAY = timedelta(hours=5)
MIN_ALL_DAY = timedelta(hours=5)
# Invitations are "due soon" inside this many days: the countdown turns red.
INVITATION_WARNING_DAYS = 7


# A phone number as people write it for others to ring: 6 to 15 digits, single spaces between them if
# wanted, perhaps a leading plus. Nothing else, so it prints and dials as written.
PHONE_PATTERN = r"^\+? ?(?:[0-9] ?){6,15}$"
validate_phone = RegexValidator(
    PHONE_PATTERN,
    _("Please write a phone number with digits and spaces only, for example 0161 496 0000."),
    code="phone",
)
PHONE_HINT = _("Digits and spaces, for example 0161 496 0000.")


def contact_problems(*, name: str, phone: str, email: str, prefix: str) -> dict[str, str]:
    """What is missing from a "who to ask" contact: nothing, or both a name and a phone or an email.
    The keys are the fields' names (``prefix`` + name, phone, email)."""
    if not (name.strip() or phone.strip() or email.strip()):
        return {}
    if not name.strip():
        return {f"{prefix}name": _("Please give the name of the person to ask.")}
    if not (phone.strip() or email.strip()):
        return {
            f"{prefix}phone": _("Please give a phone number or an email address, so people can reach them.")
        }
    return {}


def logo_upload_to(instance: "Organisation", filename: str) -> str:
    # Random names: an uploaded file's own name never reaches the disk.
    return f"logos/{secrets.token_hex(16)}.png"


class Neighbourhood(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("facilitators"),
        related_name="facilitated_neighbourhoods",
        blank=True,
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("events:neighbourhood_detail", args=[self.pk])


class Organisation(models.Model):
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("neighbourhood")
    )
    name = models.CharField(_("name"), max_length=160)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    school_phase = models.CharField(
        _("school phase"),
        max_length=16,
        choices=SchoolPhase.choices,
        blank=True,
        help_text=_("Schools only."),
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    address = models.TextField(_("address"), blank=True)
    logo = models.ImageField(_("logo"), upload_to=logo_upload_to, blank=True)
    # "Who to ask": printed on the school's letters and shown on the reply page.
    parent_contact_name = models.CharField(
        _("who parents can ask"),
        max_length=120,
        blank=True,
        help_text=_(
            "Someone parents can ring or email with questions, for example the school office or the "
            "family support worker. Printed on the school's letters."
        ),
    )
    parent_contact_phone = models.CharField(
        _("their phone number"), max_length=32, blank=True, validators=[validate_phone], help_text=PHONE_HINT
    )
    parent_contact_email = models.EmailField(_("their email address"), blank=True)
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("school coordinators"),
        related_name="coordinated_organisations",
        blank=True,
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "neighbourhood", Lower("name"), name="unique_organisation_name_per_neighbourhood"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == OrganisationKind.SCHOOL and not self.school_phase:
            raise ValidationError({"school_phase": _("Please choose the school's phase.")})
        if self.kind != OrganisationKind.SCHOOL and self.school_phase:
            raise ValidationError({"school_phase": _("Only schools have a phase. Leave this empty.")})
        if problems := contact_problems(
            name=self.parent_contact_name,
            phone=self.parent_contact_phone,
            email=self.parent_contact_email,
            prefix="parent_contact_",
        ):
            raise ValidationError(problems)

    @property
    def is_school(self) -> bool:
        return self.kind == OrganisationKind.SCHOOL


class Venue(models.Model):
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.PROTECT, related_name="venues", verbose_name=_("neighbourhood")
    )
    name = models.CharField(_("name"), max_length=160)
    address = models.TextField(_("address"))
    step_free_access = models.BooleanField(_("step-free access"), default=False)
    accessible_toilet = models.BooleanField(_("accessible toilet"), default=False)
    hearing_loop = models.BooleanField(_("hearing loop"), default=False)
    parking = models.BooleanField(_("parking"), default=False)
    public_transport = models.TextField(
        _("getting there by bus, train or on foot"),
        blank=True,
        help_text=_("For example: bus 12 stops outside."),
    )
    capacity = models.PositiveIntegerField(
        _("capacity"),
        validators=[
            MinValueValidator(1, _("A venue must hold at least one person.")),
            MaxValueValidator(
                2000, _("That is more than any workshop venue holds. Please check the number.")
            ),
        ],
        help_text=_("How many people the room holds."),
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def access_features(self) -> list[str]:
        labels = [
            (self.step_free_access, _("step-free access")),
            (self.accessible_toilet, _("accessible toilet")),
            (self.hearing_loop, _("hearing loop")),
            (self.parking, _("parking")),
        ]
        return [str(label) for present, label in labels if present]


# What the thank-you after each session says when the facilitator has not written their own words
# (Programme.thank_you_words): short sentences that translate well, in every invitee's language.
DEFAULT_THANK_YOU_WORDS = _(
    "It was lovely to see you, and thank you for sharing your ideas. Everyone's voice matters. Together "
    "we can make things better for the children here."
)


class ProgrammeQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ProgrammeQuerySet":
        """Programmes a user may open: must agree with the rules in events/rules.py."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(
            Q(neighbourhood__facilitators=user)
            | Q(facilitators=user)
            | Q(schools__coordinators=user)
            | Q(sessions__artists=user)
        ).distinct()

    def with_first_date(self) -> "ProgrammeQuerySet":
        return self.annotate(
            first_date=Min("sessions__date", filter=Q(sessions__cancelled_at__isnull=True)),
        )


# The longest a council may keep personal data after a programme, in days (ten years).
MAX_KEPT_DAYS = 3650


def default_needs_kept_days() -> int:
    return settings.RETENTION_NEEDS_DAYS


def default_contacts_kept_days() -> int:
    return settings.RETENTION_CONTACTS_DAYS


class Programme(models.Model):
    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.PROTECT, related_name="programmes", verbose_name=_("neighbourhood")
    )
    title = models.CharField(_("title"), max_length=160)
    key_question = models.TextField(
        _("key question"),
        help_text=_("The question that would move everyone to act together, in everyday words."),
    )
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("facilitators"),
        related_name="facilitated_programmes",
        blank=True,
    )
    schools = models.ManyToManyField(
        Organisation,
        verbose_name=_("participating schools"),
        related_name="programmes",
        blank=True,
        limit_choices_to={"kind": OrganisationKind.SCHOOL},
    )
    invitation_lead_days = models.PositiveSmallIntegerField(
        _("send invitations this many days before"),
        default=21,
        validators=[MinValueValidator(7), MaxValueValidator(90)],
    )
    reminder_lead_days = models.PositiveSmallIntegerField(
        _("send reminders this many days before each session"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(14)],
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ProgrammeStatus.choices, default=ProgrammeStatus.DRAFT
    )
    # Who people can ask when their school names nobody; empty: the programme's facilitator.
    contact_name = models.CharField(
        _("who people can ask"),
        max_length=120,
        blank=True,
        help_text=_(
            "Printed on the letters and shown on the reply page when a school names nobody. Leave empty "
            "to give the facilitator's name and email address."
        ),
    )
    contact_phone = models.CharField(
        _("their phone number"), max_length=32, blank=True, validators=[validate_phone], help_text=PHONE_HINT
    )
    contact_email = models.EmailField(_("their email address"), blank=True)
    # The thank-you the morning after each session (records.services.thanks).
    send_thank_you = models.BooleanField(
        _("email a thank-you the morning after each workshop"),
        default=True,
        help_text=_(
            "At 9am the day after each workshop, everyone who came gets a short thank-you: the words the "
            "room chose, what the group decided, the pictures and when we meet next. People who said they "
            "were coming but did not come get a kind “we missed you” with the same news. Only people we "
            "email; nobody who asked not to be contacted. Untick to send neither."
        ),
    )
    thank_you_words = models.TextField(
        _("your words for the thank-you"),
        max_length=1000,
        blank=True,
        help_text=_(
            "A few warm sentences at the top of the thank-you. Leave this empty to use the words shown in "
            "the box, which each person gets in their own language."
        ),
    )
    # How long personal data is kept after the last session (invitations.services.retention): needs
    # (crèche ages, food, access, interpreter, transport) soon after; contact details of people who did not
    # ask to stay in touch later. Defaults from settings (RETENTION_NEEDS_DAYS, RETENTION_CONTACTS_DAYS).
    needs_kept_days = models.PositiveIntegerField(
        _("delete needs this many days after the last workshop"),
        default=default_needs_kept_days,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_KEPT_DAYS)],
    )
    contacts_kept_days = models.PositiveIntegerField(
        _("delete contact details this many days after the last workshop"),
        default=default_contacts_kept_days,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_KEPT_DAYS)],
        help_text=_("Except for people who asked to hear about future programmes."),
    )
    needs_deleted_at = models.DateTimeField(null=True, blank=True)
    contacts_deleted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:programme_detail", args=[self.pk])

    def clean(self) -> None:
        if (
            self.invitation_lead_days is not None
            and self.reminder_lead_days is not None
            and self.reminder_lead_days >= self.invitation_lead_days
        ):
            raise ValidationError(
                {"reminder_lead_days": _("Reminders must go after the invitations, so use fewer days.")}
            )
        if problems := contact_problems(
            name=self.contact_name, phone=self.contact_phone, email=self.contact_email, prefix="contact_"
        ):
            raise ValidationError(problems)

    def invitation_date_for(self, first_date: date | None) -> date | None:
        return first_date - timedelta(days=self.invitation_lead_days) if first_date else None


class SessionQuerySet(models.QuerySet):
    def active(self) -> "SessionQuerySet":
        return self.filter(cancelled_at__isnull=True)

    def upcoming(self, today: date | None = None) -> "SessionQuerySet":
        return self.active().filter(date__gte=today or timezone.localdate()).order_by("date", "start_time")

    def visible_to(self, user) -> "SessionQuerySet":
        return self.filter(programme__in=Programme.objects.visible_to(user).values("pk"))


class Session(models.Model):
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("programme")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=SessionKind.choices)
    order = models.PositiveSmallIntegerField(_("order in the series"), default=1)
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("starts at"))
    end_time = models.TimeField(_("ends at"))
    venue = models.ForeignKey(
        Venue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("venue"),
    )
    refreshments = models.BooleanField(_("refreshments"), default=True)
    lunch = models.BooleanField(_("lunch"), default=False)
    childcare = models.BooleanField(_("childcare"), default=True)
    transport_help = models.BooleanField(_("help with transport"), default=False)
    purpose = models.TextField(_("what this session is for"), blank=True)
    artists = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("artists"), related_name="artist_sessions", blank=True
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Outbox rows about this session (core.models.Message with this session as their topic): reminders.
    messages = GenericRelation(
        "core.Message",
        content_type_field="topic_type",
        object_id_field="topic_id",
        related_query_name="session",
    )

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "order", "date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")), name="session_ends_after_it_starts"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.order}: {self.date:%d %b %Y}"

    def get_absolute_url(self) -> str:
        return reverse("events:session_update", args=[self.pk])

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def duration(self) -> timedelta | None:
        if self.start_time is None or self.end_time is None:
            return None
        return datetime.combine(date.min, self.end_time) - datetime.combine(date.min, self.start_time)

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.date, self.start_time, tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.date, self.end_time, tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def provided(self) -> list[str]:
        labels = [
            (self.refreshments, _("refreshments")),
            (self.lunch, _("lunch")),
            (self.childcare, _("childcare")),
            (self.transport_help, _("help with transport")),
        ]
        return [str(label) for present, label in labels if present]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        duration = self.duration
        if duration is not None:
            if duration <= timedelta(0):
                errors["end_time"] = _("The session must end after it starts.")
            elif self.kind == SessionKind.HALF_DAY and duration > MAX_HALF_DAY:
                errors["end_time"] = _("A half-day workshop lasts at most five hours. Please end it earlier.")
            elif self.kind == SessionKind.ALL_DAY and duration < MIN_ALL_DAY:
                errors["end_time"] = _("An all-day workshop lasts at least five hours. Please end it later.")
        if (
            self.venue_id
            and self.programme_id
            and self.venue.neighbourhood_id != self.programme.neighbourhood_id
        ):
            errors["venue"] = _("Choose a venue in this programme's neighbourhood.")
        if self.date and self.programme_id and (message := self._order_problem()):
            errors["date"] = message
        if errors:
            raise ValidationError(errors)

    def _order_problem(self) -> str | None:
        """The all-day workshop opens the series: no half-day may come before it, or on the same day."""
        siblings = self.programme.sessions.active().exclude(pk=self.pk)
        if self.kind == SessionKind.ALL_DAY:
            earlier = siblings.filter(kind=SessionKind.HALF_DAY, date__lte=self.date).order_by("date").first()
            if earlier:
                return _(
                    "The all-day workshop comes first, but a half-day is already on %(date)s. "
                    "Choose a date before that, or move the half-day first."
                ) % {"date": date_format(earlier.date, "j F Y")}
        else:
            all_day = siblings.filter(kind=SessionKind.ALL_DAY, date__gte=self.date).first()
            if all_day:
                return _(
                    "Half-days come after the all-day workshop on %(date)s. Please choose a later date."
                ) % {"date": date_format(all_day.date, "j F Y")}
        return None


class ChecklistItemQuerySet(models.QuerySet):
    def in_order(self) -> "ChecklistItemQuerySet":
        """The items in the order of ChecklistKey, which is the order people work through them."""
        return self.order_by(
            models.Case(*(models.When(key=key, then=index) for index, key in enumerate(ChecklistKey.values)))
        )


class ChecklistItem(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="checklist")
    key = models.CharField(max_length=32, choices=ChecklistKey.choices)
    done = models.BooleanField(_("done"), default=False)
    note = models.CharField(_("note"), max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ChecklistItemQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint("programme", "key", name="one_checklist_item_per_key")]

    def __str__(self) -> str:
        return self.get_key_display()
