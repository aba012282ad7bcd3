"""The new-incident page lists scenarios as the customer's runbook does."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

SEED_ORDER = [
    "database-down",
    "data-loss",
    "api-down",
    "disk-full",
    "secrets-leak",
    "s3-data-loss",
    "full-restore",
    "test-restore",
    "pitr",
    "unknown-alert",
]


def test_the_new_incident_page_lists_scenarios_in_the_seed_order_procedures_after(scenarios, user):
    client = Client()
    client.force_login(user)
    page = client.get("/incidents/new/").content.decode()
    listed = re.findall(r'name="scenario" value="([a-z0-9-]+)"', page)
    assert listed[: len(SEED_ORDER)] == SEED_ORDER
    assert listed[len(SEED_ORDER) :] == sorted(listed[len(SEED_ORDER) :]), "unordered ones by slug"
