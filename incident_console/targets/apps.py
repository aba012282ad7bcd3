from django.apps import AppConfig


class TargetsConfig(AppConfig):
    name = "incident_console.targets"
    label = "targets"
