from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "incident_console.alerts"
    label = "alerts"
