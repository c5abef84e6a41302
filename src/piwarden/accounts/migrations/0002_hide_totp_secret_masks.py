"""TOTP secrets stored before the empty mask kept their first character in the mask column."""

from django.db import migrations

TOTP_MASK = "••••••"


def hide_masks(apps, schema_editor):
    apps.get_model("vault", "VaultValue").objects.filter(field="totp_secret").update(
        mask=TOTP_MASK)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("vault", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(hide_masks, migrations.RunPython.noop),
    ]
