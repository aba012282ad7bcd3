"""Once wrote one customer's duty schedules; they now come from the site (`manage.py load_site`).

Kept, empty, so that databases which applied it and fresh ones share one migration graph.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = []
