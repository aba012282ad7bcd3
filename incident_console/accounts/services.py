"""A person's language and time zone."""

from __future__ import annotations

from incident_console.accounts.models import Preference


def preference_of(user) -> Preference:
    """The user's preference; an unsaved one with the defaults when they never chose (no write)."""
    preference = Preference.objects.filter(user_id=user.pk).first()
    return preference or Preference(user_id=user.pk)


def preference_save(*, user, **choices: str) -> Preference:
    """Store the given choices (``language``, ``time_zone``), validated; the others stay."""
    preference = preference_of(user)
    for name, value in choices.items():
        setattr(preference, name, value)
    preference.full_clean(exclude=["user"], validate_unique=False)
    # update_or_create: two first choices at once make one row, not an IntegrityError.
    preference, _ = Preference.objects.update_or_create(user_id=user.pk, defaults=choices)
    return preference
