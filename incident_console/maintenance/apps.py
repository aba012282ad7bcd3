from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    name = "incident_console.maintenance"
    label = "maintenance"
