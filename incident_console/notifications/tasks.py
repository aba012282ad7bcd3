from celery import shared_task

from incident_console.notifications import escalation, services


@shared_task(name="notifications.send", acks_late=True)
def send_notification(notification_id: int) -> None:
    services.notification_send(notification_id=notification_id)


@shared_task(name="notifications.tick")
def tick() -> dict:
    """Every few seconds: fire due escalation timers and retry due notifications."""
    return {
        "escalations": escalation.escalations_fire_due(),
        "notifications": services.notifications_send_due(),
    }
