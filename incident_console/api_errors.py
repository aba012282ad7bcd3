from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from incident_console.errors import ServiceError


def exception_handler(exc, context):
    """Answer service errors with their status and a JSON body saying what was wrong."""
    if isinstance(exc, ServiceError):
        return Response(exc.as_dict(), status=exc.status_code)
    return drf_exception_handler(exc, context)
