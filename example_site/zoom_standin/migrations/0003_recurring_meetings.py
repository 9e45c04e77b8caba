from django.db import migrations, models


def add_recurring_demo_meeting(apps, schema_editor):
    from example_site.zoom_standin.seed import seed_demo

    seed_demo(apps.get_model("zoom_standin", "Meeting"))


class Migration(migrations.Migration):
    dependencies = [("zoom_standin", "0002_demo_meetings")]

    operations = [
        migrations.AddField(
            model_name="meeting",
            name="occurrence_count",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="meeting",
            name="repeat_days",
            field=models.PositiveSmallIntegerField(default=7),
        ),
        migrations.AddField(
            model_name="registrant",
            name="occurrence_ids",
            field=models.CharField(blank=True, max_length=1000),
        ),
        migrations.RunPython(add_recurring_demo_meeting, migrations.RunPython.noop),
    ]
