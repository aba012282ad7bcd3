"""A customer_notice step: no target, argv or action; a template name and an update interval."""

import pytest
from pydantic import ValidationError

from runbooks.schema import Step

NOTICE = {"id": "tell", "title": "Tell the customer", "executor": "customer_notice"}


def test_a_customer_notice_names_its_template_and_when_the_next_update_is_due():
    step = Step.model_validate(
        {**NOTICE, "args": {"template": "data-loss", "next_update_minutes": 30}}
    )
    assert (step.target, step.args) == (
        "local",
        {"template": "data-loss", "next_update_minutes": 30},
    )


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"args": {}}, "a customer_notice step needs args.template, a notice's name"),
        ({"args": {"template": "../etc/passwd"}}, "a customer_notice step needs args.template"),
        ({"args": {"template": "x"}, "target": "prod-host"}, "has no target, action or params"),
        (
            {"args": {"template": "x"}, "argv": ["mail"]},
            "a customer_notice step has no argv or script",
        ),
        ({"args": {"template": "x", "to": "a@b.c"}}, "a customer_notice step has no argument to"),
        ({"args": {"template": "x", "next_update_minutes": 0}}, "next_update_minutes must be"),
    ],
)
def test_a_customer_notice_is_refused_with_what_is_wrong(fields, reason):
    with pytest.raises(ValidationError, match=reason.replace(".", r"\.").replace("(", r"\(")):
        Step.model_validate({**NOTICE, **fields})
