from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "incident_console.notifications"
    label = "notifications"
