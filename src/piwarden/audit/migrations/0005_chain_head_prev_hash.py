"""The head keeps the hash it had before the last append: the append moves the head first
(which takes the chain lock) and reads the link it needs from what that update returns."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_fewer_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='chainhead',
            name='prev_hash',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
    ]
