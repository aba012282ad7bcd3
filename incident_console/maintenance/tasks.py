from celery import shared_task


@shared_task(name="maintenance.run")
def run_maintenance(task: str) -> str:
    """One scheduled duty of the runbook (django-celery-beat schedules these; edit in admin)."""
    from incident_console.maintenance.services import maintenance_run

    return maintenance_run(task=task).status
