from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incident_console.incidents"
    label = "incidents"

    def ready(self) -> None:
        from incident_console.incidents import checks  # noqa: F401
