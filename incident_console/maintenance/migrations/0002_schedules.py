"""The runbook's maintenance calendar as django-celery-beat periodic tasks (editable in admin)."""

import json

from django.db import migrations

# task, description, crontab (minute, hour, day_of_week, day_of_month)
SCHEDULES = [
    ("backups", "Daily: backups succeeded", ("0", "6", "*", "*")),
    ("alerts", "Daily: alerts checked", ("5", "6", "*", "*")),
    ("resources", "Daily: resource usage", ("10", "6", "*", "*")),
    ("test_restore", "Weekly: test restore from backup", ("0", "7", "1", "*")),
    ("retention", "Weekly: retention policy check", ("30", "7", "1", "*")),
    ("dr_drill", "Monthly: disaster recovery drill", ("0", "10", "*", "1")),
    ("sla_review", "Monthly: RTO/RPO metrics review", ("30", "10", "*", "1")),
]


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for task, description, (minute, hour, day_of_week, day_of_month) in SCHEDULES:
        schedule, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week=day_of_week, day_of_month=day_of_month,
            month_of_year="*", timezone="UTC",
        )
        PeriodicTask.objects.get_or_create(
            name=f"maintenance: {task}",
            defaults={"task": "maintenance.run", "crontab": schedule, "args": json.dumps([task]),
                      "description": description},
        )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__startswith="maintenance: "
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create, remove)]
