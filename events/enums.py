from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    SCHOOL = "school", _("School")
    CHILDRENS_CENTRE = "childrens_centre", _("Children's centre")
    NURSERY = "nursery", _("Nursery")
    VOLUNTARY_GROUP = "voluntary_group", _("Voluntary or community group")
    FAITH_GROUP = "faith_group", _("Faith group")
    STATUTORY_AGENCY = "statutory_agency", _("Statutory agency")


class SchoolPhase(models.TextChoices):
    NURSERY = "nursery", _("Nursery")
    PRIMARY = "primary", _("Primary")
    SECONDARY = "secondary", _("Secondary")
    SPECIAL = "special", _("Special")


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", _("Being planned")
    OPEN = "open", _("Open")
    FINISHED = "finished", _("Finished")


class SessionKind(models.TextChoices):
    ALL_DAY = "all_day", _("All-day workshop")
    HALF_DAY = "half_day", _("Half-day workshop")


class ChecklistKey(models.TextChoices):
    """The planning checklist every programme starts with, in the order it is shown."""

    VENUE = "venue", _("Venue booked, and it is accessible")
    REFRESHMENTS = "refreshments", _("Refreshments arranged, and lunch for the all-day")
    CHILDCARE = "childcare", _("Childcare arranged")
    TRANSPORT = "transport", _("Transport help arranged for those who need it")
    COVER = "cover", _("Cover for school staff agreed (say who pays)")
    TABLE_FACILITATORS = "table_facilitators", _("Volunteer table facilitators found")
    ARTISTS = "artists", _("Artists booked")
    LOCAL_GROUPS = "local_groups", _("Local groups contacted")
