"""Leads' link emails become rows of the one outbox (issue 12): a link whose email had not gone yet (or
failed) gets a core.Message with its state, attempts and error; a sent or printed link keeps working."""

import django.db.models.deletion
from django.db import migrations, models


def move_to_outbox(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    LeadLink = apps.get_model("actions", "LeadLink")
    Message = apps.get_model("core", "Message")
    alias = schema_editor.connection.alias
    waiting = LeadLink.objects.using(alias).exclude(state="sent")
    if not waiting.exists():
        return
    invitation, _ = ContentType.objects.using(alias).get_or_create(
        app_label="invitations", model="invitation"
    )
    leadlink, _ = ContentType.objects.using(alias).get_or_create(app_label="actions", model="leadlink")
    for link in waiting.iterator():
        link.message = Message.objects.using(alias).create(
            kind="lead_link",
            recipient_type_id=invitation.pk,
            recipient_id=link.invitation_id,
            topic_type_id=leadlink.pk,
            topic_id=link.pk,
            channel="email",
            scheduled_for=link.created_at,
            # A row left "sending" goes back to wait: the sweeper would do the same.
            state="scheduled" if link.state == "sending" else link.state,
            attempts=link.attempts,
            last_error=link.last_error,
            sent_at=link.sent_at,
        )
        link.save(update_fields=["message"])


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="leadlink",
            name="message",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="core.message",
            ),
        ),
        migrations.RunPython(move_to_outbox, migrations.RunPython.noop),
        migrations.RemoveField(model_name="leadlink", name="attempts"),
        migrations.RemoveField(model_name="leadlink", name="claimed_at"),
        migrations.RemoveField(model_name="leadlink", name="last_error"),
        migrations.RemoveField(model_name="leadlink", name="sent_at"),
        migrations.RemoveField(model_name="leadlink", name="state"),
    ]
