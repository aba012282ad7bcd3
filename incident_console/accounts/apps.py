from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "incident_console.accounts"
    label = "accounts"
