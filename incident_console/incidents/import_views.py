"""Upload a Markdown runbook, review the generated YAML and a preview, then save it.

Previewing needs the responder role, saving the commander role.  A document larger than
IMPORT_MAX_BYTES is answered 413, before its body is parsed when the request says its length.
Each step of the preview is a row of fields (``step-<runbook>-<step id>-title`` …): "Apply
changes" shows the runbooks with those edits made, Save makes the same edits and saves.
The body is parsed and the Markdown imported in a thread of the default executor
(``thread_sensitive=False``): never on the event loop, and never in the thread that the other
sync code of the request waits for.  The importer itself is linear in its input.
"""

from __future__ import annotations

from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from incident_console.accounts.roles import RESPOND
from incident_console.errors import ServiceError
from incident_console.incidents.import_services import (
    import_target_names,
    runbook_import_edit,
    runbook_import_plan,
    runbook_import_save,
)
from incident_console.site import current_site
from runbooks.importer import ImportRefused, ImportResult, import_markdown
from runbooks.importer.edits import StepEdit, executors_for, references_to, text_in
from runbooks.text import DEFAULT_LANGUAGE

TEMPLATE = "incidents/runbook_import.html"
# Besides the document a form carries its boundaries, the CSRF token and the chosen slugs.
FORM_OVERHEAD = 64 * 1024


@csrf_exempt  # checked by csrf_protect on _post, once the size is known to be acceptable
@login_required
@require_http_methods(["GET", "POST"])
async def runbook_import(request):
    user = await request.auser()
    if not await user.ahas_perm(RESPOND):
        error = _("importing runbooks needs the responder role")
        return await _page(request, {"error": error, "forbidden": True}, status=403)
    if request.method == "GET":
        return await _page(request, {})
    if _declared_length(request) > settings.IMPORT_MAX_BYTES + FORM_OVERHEAD:
        return await _too_large(request)
    try:
        await sync_to_async(_parse_body, thread_sensitive=False)(request)
    except RequestDataTooBig:
        return await _too_large(request)
    return await _post(request)


@csrf_protect
async def _post(request):
    text, error, status = await sync_to_async(_document, thread_sensitive=False)(request)
    if error:
        return await _page(request, {"error": error, "text": text}, status=status)
    try:
        imported = await sync_to_async(_import, thread_sensitive=False)(text, request.POST)
    except ImportRefused as exc:
        return await _page(request, {"error": str(exc), "text": text}, status=400)
    if imported.refused is not None:
        return await sync_to_async(_refused)(request, imported, text)
    if request.POST.get("action") == "save":
        return await sync_to_async(_save)(request, imported, text)
    plan = await sync_to_async(runbook_import_plan)(result=imported.edited)
    return await _page(request, _preview(request, imported, plan, text))


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _parse_body(request) -> None:
    request.POST  # noqa: B018 - parses the body (and the files) here, not on the event loop
    request.FILES  # noqa: B018


def _document(request) -> tuple[str, str, int]:
    """(the Markdown, an error, its status): the uploaded file, else the pasted text."""
    limit = settings.IMPORT_MAX_BYTES
    too_large = _too_large_message()
    upload = request.FILES.get("file")
    if upload is not None:
        if upload.size > limit:
            return "", too_large, 413
        try:
            return upload.read().decode("utf-8"), "", 200
        except UnicodeDecodeError:
            return "", _("the file is not UTF-8 text"), 400
    text = request.POST.get("text", "")
    if len(text.encode("utf-8")) > limit:
        return "", too_large, 413
    if not text.strip():
        return text, _("upload a Markdown file or paste its text"), 400
    return text, "", 200


@dataclass
class _Imported:
    """A document's runbooks as imported, the edits of the form, and the runbooks they make
    (or why they were refused), with the YAML of what would be saved."""

    result: ImportResult
    edits: dict[int, dict[str, StepEdit]]
    edited: ImportResult
    files: dict[str, str]
    refused: ServiceError | None = None


def _import(text: str, post) -> _Imported:
    result = import_markdown(text, contact_aliases=current_site().contact_aliases())
    edits = step_edits_from_form(post, result.runbooks)
    try:
        edited = runbook_import_edit(result=result, edits=edits)
    except ServiceError as exc:
        return _Imported(result, edits, result, result.yaml_files(), refused=exc)
    return _Imported(result, edits, edited, edited.yaml_files())


def step_edits_from_form(post, runbooks: list[dict]) -> dict[int, dict[str, StepEdit]]:
    """The edits of the steps the preview showed.  Only a row marked ``-shown`` is read: on
    the first preview no box is ticked, and that must not clear a step's flags."""
    edits: dict[int, dict[str, StepEdit]] = {}
    for index, runbook in enumerate(runbooks):
        for step in runbook["steps"]:
            name = f"step-{index}-{step['id']}"
            if post.get(f"{name}-shown"):
                edits.setdefault(index, {})[step["id"]] = _step_edit(post, name)
    return edits


def _step_edit(post, name: str) -> StepEdit:
    return StepEdit(
        title=post.get(f"{name}-title"),
        executor=post.get(f"{name}-executor") or None,
        target=post.get(f"{name}-target", "").strip() or None,
        destructive=bool(post.get(f"{name}-destructive")),
        requires_approval=bool(post.get(f"{name}-approval")),
        drop=bool(post.get(f"{name}-drop")),
        drop_references=bool(post.get(f"{name}-unlink")),
        merge_with_next=bool(post.get(f"{name}-merge")),
    )


async def _too_large(request):
    return await _page(request, {"error": _too_large_message()}, status=413)


def _too_large_message() -> str:
    limit = settings.IMPORT_MAX_BYTES
    return ngettext(
        "the document is larger than %(limit)s byte (IMPORT_MAX_BYTES): split it",
        "the document is larger than %(limit)s bytes (IMPORT_MAX_BYTES): split it",
        limit,
    ) % {"limit": limit}


async def _page(request, context: dict, status: int = 200):
    return await sync_to_async(render)(request, TEMPLATE, context, status=status)


def _refused(request, imported: _Imported, text: str):
    """Edits that cannot be made: the runbooks as imported, the form as sent, and why."""
    plan = runbook_import_plan(result=imported.result)
    context = _preview(request, imported, plan, text, imported.refused.fields)
    context["error"] = imported.refused.message
    return render(request, TEMPLATE, context, status=imported.refused.status_code)


def _save(request, imported: _Imported, text: str):
    result = imported.edited
    slugs = {i: request.POST.get(f"slug-{i}", "") for i in range(len(result.runbooks))}
    replace = {i for i in range(len(result.runbooks)) if request.POST.get(f"replace-{i}")}
    try:
        report = runbook_import_save(
            result=result,
            slugs={i: slug for i, slug in slugs.items() if slug},
            replace=replace,
            actor=request.user,
        )
    except ServiceError as exc:
        plan = runbook_import_plan(result=result)
        context = _preview(request, imported, plan, text, exc.fields)
        context["error"] = exc.message
        return render(request, TEMPLATE, context, status=exc.status_code)
    saved = ngettext(
        "saved %(count)s runbook to %(dir)s; %(loaded)s loaded, %(errors)s with errors",
        "saved %(count)s runbooks to %(dir)s; %(loaded)s loaded, %(errors)s with errors",
        len(result.runbooks),
    )
    messages.success(
        request,
        saved
        % {
            "count": len(result.runbooks),
            "dir": settings.IMPORTED_RUNBOOKS_DIR,
            "loaded": len(report.runbooks),
            "errors": len(report.errors),
        },
    )
    return redirect("dashboard")


def _preview(request, imported: _Imported, plan, text, field_errors=None) -> dict:
    field_errors = field_errors or {}
    shown = imported.result if imported.refused else imported.edited
    rows = [
        {
            "index": index,
            "runbook": runbook,
            "choice": choice,
            "slug": request.POST.get(f"slug-{index}") or choice.suggestion,
            "replace": bool(request.POST.get(f"replace-{index}")),
            "error": field_errors.get(f"slug-{index}", ""),
            "steps": _step_rows(index, original, imported.edits.get(index, {}), field_errors),
        }
        for index, (runbook, original, choice) in enumerate(
            zip(shown.runbooks, imported.result.runbooks, plan, strict=True)
        )
    ]
    return {
        "result": shown,
        "rows": rows,
        "files": imported.files,
        "text": text,
        "targets": import_target_names(),
    }


def _step_rows(index: int, runbook: dict, edits: dict[str, StepEdit], errors) -> list[dict]:
    """One row of fields per step as imported, holding what the form sent for it, if anything."""
    language = runbook.get("language", DEFAULT_LANGUAGE)
    rows = []
    for step in runbook["steps"]:
        edit = edits.get(step["id"])
        name = f"step-{index}-{step['id']}"
        rows.append(
            {
                "id": step["id"],
                "name": name,
                "title": edit.title if edit else text_in(step["title"], language),
                "executor": (edit and edit.executor) or step["executor"],
                "executors": executors_for(step),
                "target": (edit and edit.target) or step.get("target", "local"),
                "destructive": edit.destructive if edit else bool(step.get("destructive")),
                "approval": (
                    edit.requires_approval if edit else bool(step.get("requires_approval"))
                ),
                "drop": bool(edit and edit.drop),
                "unlink": bool(edit and edit.drop_references),
                "merge": bool(edit and edit.merge_with_next),
                "references": references_to(runbook, step["id"]),
                "error": errors.get(name, ""),
            }
        )
    return rows
