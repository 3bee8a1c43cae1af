# Uploaded rosters move to private storage (afterschool/storage.py), outside MEDIA_ROOT.

import afterschool.storage
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('afterschool', '0003_account_security'),
    ]

    operations = [
        migrations.AlterField(
            model_name='importjob',
            name='file',
            field=models.FileField(storage=afterschool.storage.private_storage, upload_to='imports/%Y/%m/', verbose_name='文件'),
        ),
    ]
