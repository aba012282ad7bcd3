from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incident_console.incidents import runbook_text
from incident_console.incidents.models import Incident, Scenario, Severity, TimelineEntry
from incident_console.incidents.selectors import latest_runs
from incident_console.runs.serializers import StepRunSerializer
from runbooks.text import Text

# Runbook text comes in ru and en: each text field is given in the language the request asks
# for (Accept-Language, else the user's or the site's), falling back to the other; ``titles``
# and ``translations`` give every language, the requested one first.
TITLES_HELP = "The title in every language it has, the requested language first."
TRANSLATIONS_HELP = (
    "Every text field in every language it has ({language: {field: text}}), the requested "
    "language first; a field missing in a language is left out of it."
)
LanguageTexts = serializers.DictField(child=serializers.CharField(), help_text=TITLES_HELP)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "object", "additionalProperties": True},
        "description": TRANSLATIONS_HELP,
    }
)
class TranslationsField(serializers.DictField):
    pass


class StepSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.SerializerMethodField(help_text="In the requested language.")
    titles = serializers.SerializerMethodField(help_text=TITLES_HELP)
    title_ru = serializers.SerializerMethodField(help_text="Deprecated: titles.ru.")
    executor = serializers.CharField()
    target = serializers.CharField()
    destructive = serializers.BooleanField()
    requires_approval = serializers.BooleanField()
    description = serializers.SerializerMethodField(help_text="In the requested language.")
    instructions = serializers.SerializerMethodField(help_text="In the requested language.")
    translations = serializers.SerializerMethodField(help_text=TRANSLATIONS_HELP)
    params = serializers.SerializerMethodField(
        help_text="Each parameter; label, help and expect in the requested language."
    )
    on_failure = serializers.CharField(allow_null=True)

    def get_title(self, step: dict) -> str:
        return runbook_text.shown(step.get("title"))

    @extend_schema_field(LanguageTexts)
    def get_titles(self, step: dict) -> dict[str, str]:
        return runbook_text.in_languages(step.get("title"))

    def get_title_ru(self, step: dict) -> str:
        return runbook_text.in_languages(step.get("title")).get("ru", "")

    def get_description(self, step: dict) -> str:
        return runbook_text.shown(step.get("description"))

    def get_instructions(self, step: dict) -> str:
        return runbook_text.shown(step.get("instructions"))

    @extend_schema_field(TranslationsField())
    def get_translations(self, step: dict) -> dict:
        return runbook_text.translations(step, runbook_text.STEP_FIELDS)

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_params(self, step: dict) -> list[dict]:
        return [
            {key: str(value) if isinstance(value, Text) else value for key, value in p.items()}
            for p in map(runbook_text.parameter_shown, step.get("params", []))
        ]


class ScenarioSerializer(serializers.ModelSerializer):
    title = serializers.SerializerMethodField(help_text="In the requested language.")
    titles = serializers.SerializerMethodField(help_text=TITLES_HELP)
    title_ru = serializers.SerializerMethodField(help_text="Deprecated: titles.ru.")
    symptoms = serializers.SerializerMethodField(help_text="In the requested language.")
    escalation = serializers.SerializerMethodField(help_text="In the requested language.")
    translations = serializers.SerializerMethodField(help_text=TRANSLATIONS_HELP)
    steps = StepSerializer(many=True, read_only=True)
    expected_recovery = serializers.SerializerMethodField()
    restricted = serializers.BooleanField(
        read_only=True, help_text="Its incidents open restricted to participants and commanders."
    )

    class Meta:
        model = Scenario
        fields = [
            "slug",
            "title",
            "titles",
            "title_ru",
            "kind",
            "severity",
            "alerts",
            "symptoms",
            "escalation",
            "translations",
            "expected_recovery",
            "restricted",
            "steps",
            "version",
        ]

    def get_title(self, scenario: Scenario) -> str:
        return scenario.shown.title

    @extend_schema_field(LanguageTexts)
    def get_titles(self, scenario: Scenario) -> dict[str, str]:
        return runbook_text.in_languages(_scenario_title(scenario))

    def get_title_ru(self, scenario: Scenario) -> str:
        return runbook_text.in_languages(_scenario_title(scenario)).get("ru", "")

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_symptoms(self, scenario: Scenario) -> list[str]:
        return scenario.shown.symptoms

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_escalation(self, scenario: Scenario) -> list[str]:
        return scenario.shown.escalation

    @extend_schema_field(TranslationsField())
    def get_translations(self, scenario: Scenario) -> dict:
        texts = {**scenario.definition, "title": _scenario_title(scenario)}
        return runbook_text.translations(texts, runbook_text.SCENARIO_FIELDS)

    def get_expected_recovery(self, scenario: Scenario) -> dict | None:
        if scenario.expected_recovery_max is None:
            return None
        recovery = scenario.definition.get("expected_recovery") or {}
        return {
            "min_minutes": scenario.expected_recovery_min,
            "max_minutes": scenario.expected_recovery_max,
            "note": runbook_text.shown(recovery.get("note")),
        }


def _scenario_title(scenario: Scenario):
    """Its title as Text: from the definition, else the row (English, and title_ru)."""
    title = scenario.definition.get("title")
    if isinstance(title, dict):
        return title
    return {"en": scenario.title, **({"ru": scenario.title_ru} if scenario.title_ru else {})}


class IncidentCreateSerializer(serializers.Serializer):
    scenario = serializers.SlugField()
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    restricted = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Only its participants and commanders will see it. A scenario whose runbook "
        "says restricted: true opens restricted whatever this says.",
    )


class IncidentSerializer(serializers.ModelSerializer):
    scenario = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    opened_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    commander = serializers.SlugRelatedField(slug_field="username", read_only=True)
    comms_lead = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Incident
        fields = [
            "commander",
            "comms_lead",
            "impact",
            "is_drill",
            "labels",
            "restricted",
            "id",
            "scenario",
            "title",
            "severity",
            "status",
            "opened_by",
            "opened_at",
            "acknowledged_at",
            "mitigated_at",
            "resolved_at",
            "closed_at",
        ]


class IncidentStepSerializer(StepSerializer):
    latest_run = StepRunSerializer(allow_null=True)


class IncidentDetailSerializer(IncidentSerializer):
    steps = serializers.SerializerMethodField()
    members = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "members", "steps"]

    def get_steps(self, incident: Incident) -> list[dict]:
        latest = latest_runs(incident)
        steps = [{**step, "latest_run": latest.get(step["id"])} for step in incident.scenario.steps]
        return IncidentStepSerializer(steps, many=True).data


class TimelineEntrySerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "actor", "kind", "message", "run", "data"]


def override_needs_field() -> serializers.CharField:
    return serializers.CharField(
        required=False,
        allow_blank=True,
        default=None,
        allow_null=True,
        max_length=2000,
        help_text="When steps this one needs have not succeeded: a commander's reason for "
        "going ahead anyway; it goes on the timeline.",
    )


class StepRunRequestSerializer(serializers.Serializer):
    params = serializers.DictField(required=False, default=dict)
    confirm = serializers.CharField(
        required=False,
        allow_blank=True,
        default=None,
        allow_null=True,
        help_text="For a destructive step: the name of its target, typed by the person.",
    )
    digest = serializers.CharField(
        required=False,
        allow_blank=True,
        default=None,
        allow_null=True,
        max_length=64,
        help_text="The digest of the preview the person reviewed; required for a destructive "
        "step, and checked for any step that sends it.",
    )
    acknowledge_lost = serializers.CharField(
        required=False,
        allow_blank=True,
        default=None,
        allow_null=True,
        max_length=100,
        help_text="When the step's last run was lost: its target's name, typed by a commander "
        "who knows that run may still be running.",
    )
    override_needs = override_needs_field()


class StepPreviewSerializer(serializers.Serializer):
    step_id = serializers.CharField()
    command = serializers.CharField()
    target = serializers.CharField()
    host = serializers.DictField(help_text="Where the target points, without credentials.")
    digest = serializers.CharField(help_text="Send it back with the run request.")
    executor = serializers.CharField()
    destructive = serializers.BooleanField()
    requires_approval = serializers.BooleanField()
    params = serializers.DictField()


class ManualStepSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["done", "skipped"])
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    override_needs = override_needs_field()


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Incident.Status.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class IncidentUpdateSerializer(serializers.Serializer):
    commander = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    comms_lead = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="The communications lead's username; empty clears it.",
    )
    impact = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    title = serializers.CharField(required=False, max_length=200)


class RestrictSerializer(serializers.Serializer):
    restricted = serializers.BooleanField(
        help_text="true: only participants and commanders see it; false: everyone signed in."
    )


class MemberSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)


class EscalateSerializer(serializers.Serializer):
    notify = serializers.ListField(child=serializers.CharField(max_length=100), min_length=1)
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
