from django import template

from incident_console.postmortems.selectors import action_items_visible_to

register = template.Library()


@register.inclusion_tag("postmortems/_action_items_review.html", takes_context=True)
def action_items_review(context):
    """Every postmortem's action items the reader may see, open ones first, overdue marked."""
    return {"items": action_items_visible_to(context["request"].user)[:200]}
