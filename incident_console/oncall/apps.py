from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "incident_console.oncall"
