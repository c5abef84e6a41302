"""Partners join the legal-entity registry: each links to the counterparty of its catalog
recipient (created when missing), and each API client link names its counterparty."""

import django.db.models.deletion
from django.db import migrations, models


def link_counterparties(apps, schema_editor):
    Counterparty = apps.get_model("sharing", "Counterparty")
    Partner = apps.get_model("partners", "Partner")
    PartnerClient = apps.get_model("partners", "PartnerClient")
    for partner in Partner.objects.all():
        partner.counterparty, _ = Counterparty.objects.get_or_create(recipient=partner.recipient)
        partner.save(update_fields=["counterparty"])
    for link in PartnerClient.objects.select_related("partner"):
        link.counterparty_id = link.partner.counterparty_id
        link.save(update_fields=["counterparty"])


class Migration(migrations.Migration):

    dependencies = [
        ('partners', '0001_initial'),
        ('sharing', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='partner',
            name='counterparty',
            field=models.OneToOneField(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='partner', to='sharing.counterparty'),
        ),
        migrations.AddField(
            model_name='partnerclient',
            name='counterparty',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='api_clients', to='sharing.counterparty'),
        ),
        migrations.RunPython(link_counterparties, migrations.RunPython.noop),
    ]
