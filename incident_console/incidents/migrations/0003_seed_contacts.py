"""The contacts and escalation levels of the customer's runbook (names and numbers to fill in)."""

from django.db import migrations

CONTACTS = [
    ("DevOps Team", "Lead DevOps", ""),
    ("DevOps Team", "Backup DevOps", ""),
    ("Development Team", "Tech Lead", ""),
    ("Development Team", "Backend Lead", ""),
    ("Infrastructure Provider", "DigitalOcean Support", "https://www.digitalocean.com/support"),
    ("Infrastructure Provider", "AWS Support", "https://aws.amazon.com/support/"),
]
LEVELS = [
    (1, "DevOps on call", 0, ["Lead DevOps", "Backup DevOps"],
     "First responders for every scenario."),
    (2, "Development leads", 15, ["Tech Lead", "Backend Lead"],
     "Not solved in 15 minutes, restore failed, or critical data at stake."),
    (3, "Infrastructure provider", 60, ["DigitalOcean Support", "AWS Support"],
     "The provider's platform is at fault."),
]


def seed(apps, schema_editor):
    Contact = apps.get_model("incidents", "Contact")
    EscalationLevel = apps.get_model("incidents", "EscalationLevel")
    if Contact.objects.exists():
        return
    by_role = {}
    for team, role, url in CONTACTS:
        by_role[role] = Contact.objects.create(
            team=team, role=role, url=url, notes="" if url else "Fill in name, phone and email."
        )
    for level, name, after, roles, description in LEVELS:
        entry = EscalationLevel.objects.create(
            level=level, name=name, after_minutes=after, description=description
        )
        entry.contacts.set([by_role[role] for role in roles])


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
