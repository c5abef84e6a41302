from django.db import migrations

GENESIS_HASH = "0" * 64


def create_head(apps, schema_editor):
    apps.get_model("audit", "ChainHead").objects.using(schema_editor.connection.alias).get_or_create(
        pk=1, defaults={"seq": 0, "hash": GENESIS_HASH}
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
