from django.db import migrations


def add_demo_meetings(apps, schema_editor):
    from example_site.zoom_standin.seed import seed_demo

    seed_demo(apps.get_model("zoom_standin", "Meeting"), recurring=False)


class Migration(migrations.Migration):
    dependencies = [("zoom_standin", "0001_initial")]

    operations = [migrations.RunPython(add_demo_meetings, migrations.RunPython.noop)]
