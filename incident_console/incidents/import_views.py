"""Upload a Markdown runbook, review the generated YAML and a preview, then save it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from incident_console.accounts.roles import COMMAND
from incident_console.incidents.services import scenarios_sync
from runbooks.importer import ImportError_, import_markdown

MAX_UPLOAD = 2 * 1024 * 1024


@login_required
@require_http_methods(["GET", "POST"])
def runbook_import(request):
    if request.method == "GET":
        return render(request, "incidents/runbook_import.html", {})
    text, error = _markdown(request)
    if error:
        return render(
            request, "incidents/runbook_import.html", {"error": error, "text": text}, status=400
        )
    try:
        result = import_markdown(text)
    except ImportError_ as exc:
        return render(
            request, "incidents/runbook_import.html", {"error": str(exc), "text": text}, status=400
        )
    if request.POST.get("action") == "save":
        return _save(request, result)
    context = {"result": result, "files": result.yaml_files(), "text": text}
    return render(request, "incidents/runbook_import.html", context)


def _markdown(request) -> tuple[str, str]:
    upload = request.FILES.get("file")
    if upload is not None:
        if upload.size > MAX_UPLOAD:
            return "", "the file is larger than 2 MiB"
        try:
            return upload.read().decode("utf-8"), ""
        except UnicodeDecodeError:
            return "", "the file is not UTF-8 text"
    text = request.POST.get("text", "")
    return text, "" if text.strip() else "upload a Markdown file or paste its text"


def _save(request, result):
    if not request.user.has_perm(COMMAND):
        messages.error(request, "saving runbooks needs the commander role")
        return redirect("runbook-import")
    directory = settings.IMPORTED_RUNBOOKS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in result.yaml_files().items():
        (directory / name).write_text(content, encoding="utf-8")
    if directory not in settings.RUNBOOK_DIRS:
        settings.RUNBOOK_DIRS.append(directory)
    report = scenarios_sync()
    messages.success(
        request,
        f"saved {len(result.runbooks)} runbooks to {directory}; "
        f"{len(report.runbooks)} loaded, {len(report.errors)} with errors",
    )
    return redirect("dashboard")
