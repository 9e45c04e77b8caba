from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("zoom_standin", "0003_recurring_meetings")]

    operations = [
        migrations.AddField(
            model_name="failuremode",
            name="granted_scopes",
            field=models.CharField(blank=True, max_length=500),
        ),
    ]
