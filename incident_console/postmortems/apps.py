from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "incident_console.postmortems"
    label = "postmortems"
