"""`POST /sources/hooks/<pk>/<key>/`: a CRM's webhook says deals changed.

The address carries a secret key per source (amoCRM signs nothing; Bitrix24 also sends
its application token, which its connector checks). The answer is immediate: the body is
read into ids and a `crm-push` run is queued; the worker fetches the deals and writes the
facts, so a CRM never waits on us and never sees our errors as its retries.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from salespulse.sources.execute import connector
from salespulse.sources.models import CRM_KINDS, Run, Source

# A CRM's event is a few kilobytes; amoCRM batches up to a few hundred leads.
MAX_BODY = 2 * 2**20


@dataclass
class HookAnswer:
    """What a connector read from a webhook's body."""

    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    refused: str = ""  # why the request is not ours (a wrong application token): 403


@csrf_exempt
@require_POST
def hook(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    source = Source.objects.filter(pk=pk, kind__in=CRM_KINDS).first()
    if source is None or not secrets.compare_digest(source.hook_key.encode(), key.encode()):
        return JsonResponse({"error": "unknown hook"}, status=404)
    if not source.enabled:
        return JsonResponse({"ok": True, "ignored": "source disabled"})
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > min(MAX_BODY, settings.DATA_UPLOAD_MAX_MEMORY_SIZE):
        return JsonResponse({"error": "body too large"}, status=413)
    answer: HookAnswer = connector(source.kind).hook(source, request)
    if answer.refused:
        return JsonResponse({"error": answer.refused}, status=403)
    if answer.changed or answer.deleted:
        Run.objects.create(
            kind=Run.Kind.CRM_PUSH, trigger=Run.Trigger.API, source=source,
            params={"changed": answer.changed[:5000], "deleted": answer.deleted[:5000]},
        )  # fmt: skip
    return JsonResponse({"ok": True})
