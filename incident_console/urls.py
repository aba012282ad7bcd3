from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.decorators.csp import csp_override
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from incident_console.accounts import views as account_views
from incident_console.alerts.api import alertmanager_webhook
from incident_console.health import health
from incident_console.incidents import guide_views, sla_views, views
from incident_console.incidents.api import (
    IncidentLifecycleViewSet,
    IncidentViewSet,
    ScenarioViewSet,
)
from incident_console.incidents.dashboard_views import dashboard_open_incidents
from incident_console.incidents.import_views import runbook_import
from incident_console.maintenance import views as maintenance_views
from incident_console.maintenance.api import (
    maintenance_checklist_complete,
    maintenance_run_now,
    maintenance_runs,
)
from incident_console.notifications import views as notification_views
from incident_console.notifications.api import escalation_preview_api
from incident_console.oncall import views as oncall_views
from incident_console.prometheus import prometheus_metrics
from incident_console.runs.api import StepRunViewSet
from incident_console.runs.customer_notice_api import customer_notice
from incident_console.targets.views import targets_page

router = DefaultRouter()
router.register("scenarios", ScenarioViewSet, basename="scenario")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("incidents", IncidentLifecycleViewSet, basename="incident-lifecycle")
router.register("runs", StepRunViewSet, basename="run")

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("dashboard/open/", dashboard_open_incidents, name="dashboard-open"),
    path("incidents/", views.incident_list, name="incident-list"),
    path("incidents/new/", views.incident_new, name="incident-new"),
    path("sla/", sla_views.sla_page, name="sla"),
    path("sla/review/", sla_views.sla_review, name="sla-review"),
    path("runbooks/import/", runbook_import, name="runbook-import"),
    path("maintenance/", maintenance_views.maintenance_page, name="maintenance"),
    path("targets/", targets_page, name="targets"),
    path(
        "maintenance/checklists/<slug:key>/",
        maintenance_views.checklist_complete_view,
        name="maintenance-checklist-complete",
    ),
    path("metrics", prometheus_metrics, name="prometheus-metrics"),
    path("contacts/", notification_views.contacts_page, name="contacts"),
    path("contacts/<int:pk>/edit/", notification_views.contact_edit, name="contact-edit"),
    path("oncall/", oncall_views.oncall_page, name="oncall"),
    path("oncall/overrides/", oncall_views.override_create, name="oncall-override-add"),
    path(
        "oncall/overrides/<int:pk>/delete/",
        oncall_views.override_delete,
        name="oncall-override-delete",
    ),
    path("oncall/pages/<int:pk>/silence/", oncall_views.page_silence_view, name="page-silence"),
    path("oncall/pages/<int:pk>/reroute/", oncall_views.page_reroute_view, name="page-reroute"),
    path("oncall/slack/actions/", oncall_views.slack_actions, name="slack-actions"),
    path("ack/<str:token>/", oncall_views.ack_confirm, name="ack"),
    path(
        "incidents/<int:pk>/notifications/retry/",
        notification_views.undelivered_retry,
        name="incident-notifications-retry",
    ),
    path("incidents/<int:pk>/", views.incident_detail, name="incident-detail"),
    path("incidents/<int:pk>/timeline/", views.incident_timeline, name="incident-timeline"),
    path("incidents/<int:pk>/head/", views.incident_head, name="incident-head"),
    path(
        "incidents/<int:pk>/steps/<slug:step_id>/card/",
        views.step_card_fragment,
        name="incident-step-card",
    ),
    path("incidents/<int:pk>/guide/", guide_views.guide_fragment, name="incident-guide"),
    path("runs/<int:pk>/output.txt", views.run_output_text, name="run-output-text"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("preferences/", account_views.preferences_page, name="preferences"),
    path("preferences/language/", account_views.language_switch, name="language-switch"),
    path("admin/", admin.site.urls),
    path("api/health/", health, name="health"),
    path("api/alerts/alertmanager/", alertmanager_webhook, name="alertmanager-webhook"),
    path("api/maintenance/runs/", maintenance_runs, name="maintenance-runs"),
    path("api/maintenance/<str:task>/run/", maintenance_run_now, name="maintenance-run-now"),
    path("api/escalation/preview/", escalation_preview_api, name="escalation-preview"),
    path(
        "api/maintenance/checklists/<slug:key>/complete/",
        maintenance_checklist_complete,
        name="maintenance-checklist-complete-api",
    ),
    path(
        "api/incidents/<int:pk>/steps/<slug:step_id>/customer-notice/",
        customer_notice,
        name="incident-customer-notice",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        # Swagger UI's page starts itself with an inline script.
        csp_override({**settings.SECURE_CSP, "script-src": ["'self'", "'unsafe-inline'"]})(
            SpectacularSwaggerView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    path("", include("incident_console.postmortems.urls")),
    path("api/", include((router.urls, "api"))),
]
