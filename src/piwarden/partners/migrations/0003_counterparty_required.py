"""Every partner and API client link now names its counterparty (filled in by 0002; kept a
separate migration so PostgreSQL alters the tables after the data change has committed)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('partners', '0002_counterparty'),
    ]

    operations = [
        migrations.AlterField(
            model_name='partner',
            name='counterparty',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='partner', to='sharing.counterparty'),
        ),
        migrations.AlterField(
            model_name='partnerclient',
            name='counterparty',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_clients', to='sharing.counterparty'),
        ),
        migrations.AlterField(
            model_name='partnerclient',
            name='partner',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='clients', to='partners.partner'),
        ),
    ]
