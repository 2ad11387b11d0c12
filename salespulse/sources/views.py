"""The Sources page: add a PBX table, test its connection, sync now, see each run.

For the people who may bring data in (`access.may_import`): others get 403. A sync asked
for here is queued for the worker, never run on the web server's thread.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from salespulse.org import access
from salespulse.sources import health, runner
from salespulse.sources.models import SYNCED_KINDS, Run, Source


def _may_import(request: HttpRequest) -> None:
    if not access.may_import(request.user):
        raise PermissionDenied


class SourceForm(forms.ModelForm):
    class Meta:
        model = Source
        fields = [
            "name", "kind", "url", "timezone", "since", "every_minutes", "enabled",
            "token_file", "token_env", "currency",
        ]  # fmt: skip
        widgets = {"since": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].required = False  # a CRM's; RUB when left empty

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "RUB").upper()

    def clean(self) -> dict:
        data = super().clean()
        try:
            health.validate(
                Source(kind=data.get("kind", ""), url=data.get("url", ""),
                       token_file=data.get("token_file", ""), token_env=data.get("token_env", ""))
            )  # fmt: skip
        except ValidationError as e:
            self.add_error(None, e)
        return data


@login_required
def sources(request: HttpRequest) -> HttpResponse:
    _may_import(request)
    form = SourceForm(request.POST or None, initial={"kind": Source.Kind.ASTERISK_DB})
    if request.method == "POST" and form.is_valid():
        source = form.save()
        messages.success(request, _("Source %(name)s added.") % {"name": source.name})
        return redirect("sources")
    now = timezone.now()
    rows = [(s, health.describe(s, now)) for s in Source.objects.all()]
    runs = Run.objects.select_related("source")[:20]
    return render(request, "sources/sources.html", {"form": form, "rows": rows, "runs": runs})


@login_required
@require_POST
def test(request: HttpRequest, pk: int) -> HttpResponse:
    _may_import(request)
    source = get_object_or_404(Source, pk=pk)
    ok, message = health.test_connection(source)
    (messages.success if ok else messages.error)(request, f"{source.name}: {message}")
    return redirect("sources")


@login_required
@require_POST
def sync(request: HttpRequest, pk: int) -> HttpResponse:
    _may_import(request)
    source = get_object_or_404(Source, pk=pk, kind__in=SYNCED_KINDS)
    run = runner.queue_sync(source, Run.Trigger.WEB, request.user)
    return redirect("source-run", pk=run.pk)


# What each count of a run is called, in the order shown (a run has the ones of its kind).
COUNTS = [
    ("rows", gettext_lazy("Rows read")),
    ("imported", gettext_lazy("imported")),
    ("created", gettext_lazy("created")),
    ("updated", gettext_lazy("updated")),
    ("unchanged", gettext_lazy("unchanged")),
    ("deleted", gettext_lazy("deleted")),
    ("already_stored", gettext_lazy("already stored (skipped)")),
    ("repeats", gettext_lazy("exact repeats in the file (skipped)")),
    ("not_sales", gettext_lazy("not sales calls (stored, not counted)")),
    ("refused", gettext_lazy("refused")),
    ("listed", gettext_lazy("deals the CRM lists (daily check)")),
    ("reconciled", gettext_lazy("deleted by the daily check")),
    ("requests", gettext_lazy("requests to the CRM")),
]


@login_required
def run(request: HttpRequest, pk: int) -> HttpResponse:
    """The one result page of every run: a sync, a file, an API batch."""
    _may_import(request)
    record = get_object_or_404(Run.objects.select_related("source", "user"), pk=pk)
    stale = (
        record.status == Run.Status.RUNNING
        and record.heartbeat_at is not None
        and timezone.now() - record.heartbeat_at > runner.STALE
    )
    counts = [(label, record.counts[key]) for key, label in COUNTS if key in record.counts]
    return render(request, "sources/run.html", {"run": record, "stale": stale, "counts": counts})
