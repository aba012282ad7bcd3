from django.urls import path

from incident_console.postmortems import api, views

urlpatterns = [
    path("incidents/<int:pk>/postmortem/", views.postmortem_page, name="postmortem"),
    path(
        "incidents/<int:pk>/postmortem/preview/",
        views.postmortem_preview,
        name="postmortem-preview",
    ),
    path(
        "incidents/<int:pk>/postmortem/action-items/",
        views.action_item_add,
        name="postmortem-action-add",
    ),
    path("incidents/<int:pk>/postmortem.md", views.postmortem_download, name="postmortem-download"),
    path("action-items/<int:pk>/done/", views.action_item_done, name="action-item-done"),
    path(
        "api/incidents/<int:pk>/postmortem/sections/",
        api.postmortem_sections,
        name="api-postmortem-sections",
    ),
    path(
        "api/incidents/<int:pk>/postmortem/action-items/",
        api.action_item_create,
        name="api-postmortem-action-items",
    ),
    path("api/action-items/", api.action_item_list, name="api-action-items"),
    path("api/action-items/<int:pk>/", api.action_item_update, name="api-action-item"),
]
