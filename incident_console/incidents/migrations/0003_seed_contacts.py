"""Once seeded one customer's contacts; they now come from the site (`manage.py load_site`).

Kept, empty, so that databases which applied it and fresh ones share one migration graph.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_initial")]
    operations = []
