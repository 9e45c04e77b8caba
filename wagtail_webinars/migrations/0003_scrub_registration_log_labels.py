"""Audit-log entries of registrations named the person ("Name <email>"), and Wagtail
keeps them after the registration is deleted: relabel them by id only."""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat


def relabel(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ModelLogEntry = apps.get_model("wagtailcore", "ModelLogEntry")
    content_type = ContentType.objects.filter(
        app_label="wagtail_webinars", model="registration"
    ).first()
    if content_type is None:
        return
    ModelLogEntry.objects.filter(content_type=content_type).update(
        label=Concat(Value("Registration "), "object_id")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_webinars", "0002_registration_provider_meeting_id"),
        ("wagtailcore", "0098_apitoken"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(relabel, migrations.RunPython.noop)]
