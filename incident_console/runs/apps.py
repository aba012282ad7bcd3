from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "incident_console.runs"
    label = "runs"
