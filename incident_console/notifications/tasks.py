"""The notifications' Celery tasks: thin, each imports its service when it runs."""

from celery import shared_task


@shared_task(name="notifications.send", acks_late=True)
def send_notification(notification_id: int) -> None:
    from incident_console.notifications.services import notification_send

    notification_send(notification_id=notification_id)


@shared_task(name="notifications.tick")
def tick() -> dict:
    """Every few seconds: fire due escalation timers and retry due notifications."""
    from incident_console.notifications.escalation import escalations_fire_due
    from incident_console.notifications.services import notifications_send_due

    return {"escalations": escalations_fire_due(), "notifications": notifications_send_due()}
