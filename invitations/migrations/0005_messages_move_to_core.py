"""The invitations' outbox rows move into the one outbox, core.Message (issue 12): each row keeps its
state, times and attempts; its invitation becomes the recipient and its session the topic."""

from django.db import migrations

FIELDS = [
    "kind",
    "channel",
    "scheduled_for",
    "retry_at",
    "state",
    "attempts",
    "last_error",
    "claim",
    "claimed_at",
    "sent_at",
    "version",
]


def move_to_core(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Old = apps.get_model("invitations", "Message")
    New = apps.get_model("core", "Message")
    alias = schema_editor.connection.alias
    if not Old.objects.using(alias).exists():
        return
    invitation, _ = ContentType.objects.using(alias).get_or_create(
        app_label="invitations", model="invitation"
    )
    session, _ = ContentType.objects.using(alias).get_or_create(app_label="events", model="session")
    rows = [
        New(
            recipient_type_id=invitation.pk,
            recipient_id=old.invitation_id,
            topic_type_id=session.pk if old.session_id else None,
            topic_id=old.session_id,
            **{name: getattr(old, name) for name in FIELDS},
        )
        for old in Old.objects.using(alias).order_by("pk").iterator()
    ]
    New.objects.using(alias).bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0001_initial"),
        ("events", "0001_initial"),
        ("invitations", "0004_met_on_the_day"),
    ]

    operations = [
        migrations.RunPython(move_to_core, migrations.RunPython.noop),
        migrations.DeleteModel(name="Message"),
    ]
