"""Errors that services raise; the API and the web views turn them into clear 4xx answers."""

from __future__ import annotations


class ServiceError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, **extra) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra

    def as_dict(self) -> dict:
        # str(): a message may be lazy text, answered in the request's language.
        body = {"error": self.code, "detail": str(self.message)}
        if self.fields:
            body["fields"] = self.fields
        body.update(self.extra)
        return body


class InvalidInput(ServiceError):
    status_code = 400
    code = "invalid"


class NotFound(ServiceError):
    status_code = 404
    code = "not_found"


class Conflict(ServiceError):
    status_code = 409
    code = "conflict"


class Forbidden(ServiceError):
    status_code = 403
    code = "forbidden"


class ConfirmationRequired(ServiceError):
    status_code = 400
    code = "confirmation_required"


class PreviewOutdated(ServiceError):
    """What would run is not what the person reviewed: show them the fresh preview instead."""

    status_code = 409
    code = "preview_outdated"


class PreviousRunLost(ServiceError):
    """The step's last run was declared lost and may still be running: say so before another."""

    status_code = 409
    code = "previous_run_lost"


class NeedsUnmet(ServiceError):
    """A step needs earlier steps that have not succeeded in this incident."""

    status_code = 409
    code = "needs_unmet"


class NotSent(ServiceError):
    """A message could not be delivered (the mail server refused or did not answer)."""

    status_code = 502
    code = "not_sent"
