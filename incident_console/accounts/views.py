from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from incident_console.accounts.forms import PreferenceForm
from incident_console.accounts.services import preference_of, preference_save


@require_POST
def language_switch(request):
    """The top bar's and the login page's switch: the language for this browser (Django's
    set_language: a cookie, and back to a safe `next`) and, signed in, for the user."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        preference_save(user=request.user, language=language)
    return response


@login_required
def preferences_page(request):
    form = PreferenceForm.for_preference(preference_of(request.user), request.POST or None)
    if request.method == "POST" and form.is_valid():
        preference = preference_save(user=request.user, **form.chosen())
        language = preference.language or translation.get_language_from_request(request)
        translation.activate(language)
        messages.success(request, _("Preferences saved."))
        return _remember_language(redirect("preferences"), preference.language)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/preferences.html", {"form": form}, status=status)


def _remember_language(response, language: str):
    # The cookie keeps the choice for the login page after signing out; "" forgets it so the
    # browser's Accept-Language decides again.
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    else:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response
