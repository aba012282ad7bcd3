from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_roles(sender, **kwargs) -> None:
    # The incidents app's permissions are created by auth's own post_migrate receiver, which
    # runs before this one for the same sender.
    if sender.label == "incidents":
        from incident_console.accounts.roles import roles_ensure

        roles_ensure()


class AccountsConfig(AppConfig):
    name = "incident_console.accounts"
    label = "accounts"

    def ready(self) -> None:
        from incident_console import checks  # noqa: F401 - registers the deployment checks

        post_migrate.connect(_ensure_roles, dispatch_uid="incident_console.roles")
