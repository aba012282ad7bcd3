from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incident_console.incidents"
    label = "incidents"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from incident_console.incidents import checks  # noqa: F401
        from incident_console.incidents.search import casefold_register

        connection_created.connect(casefold_register, dispatch_uid="incidents.casefold")
