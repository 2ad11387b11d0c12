"""Telephony screens for staff: upload a CDR file, see what it did, map unknown agents.

Calls change every seller's figures, so these screens are for staff (and admins) only,
the same rule as the calls API (`may_push_calls`). Others get 403; anonymous users are
sent to log in.
"""

from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salespulse.org import access
from salespulse.sources import runner
from salespulse.telephony import recount
from salespulse.telephony.api import may_push_calls
from salespulse.telephony.importer import import_file, unmapped_agents
from salespulse.telephony.models import AgentAlias, CallImport, CallSource
from salespulse.telephony.queueimport import import_queue_log


def _staff_only(request: HttpRequest) -> None:
    if not may_push_calls(request.user):
        raise PermissionDenied


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Call records file"))
    source = forms.ModelChoiceField(
        label=gettext_lazy("Call source"),
        queryset=CallSource.objects.all(),
        required=False,
        empty_label=gettext_lazy("— a new source —"),
    )
    name = forms.CharField(label=gettext_lazy("New source's name"), max_length=100, required=False)
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=CallSource.Format.choices,
        required=False,
        initial=CallSource.Format.DETECT,
    )
    queue_log = forms.FileField(
        label=gettext_lazy("queue_log (optional)"),
        required=False,
        help_text=gettext_lazy(
            "Asterisk's queue_log for the same days: who of the agents answered the queue "
            "calls, and for how long."
        ),
    )
    timezone = forms.ChoiceField(
        label=capfirst(gettext_lazy("PBX time zone")),  # the msgid is a model field's too
        choices=[(tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz]
        + [("UTC", "UTC")],
        initial=settings.TIME_ZONE,
    )

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("source") and not data.get("name"):
            self.add_error("name", _("Choose a source or name a new one."))
        # "Recognise" (the choice shown first) leaves an existing source its own format.
        chosen = data.get("format")
        if data.get("source") and chosen not in ("", None, CallSource.Format.DETECT):
            if chosen != data["source"].format:
                self.add_error("format", _("This source reads another format."))
        return data

    def get_source(self) -> CallSource:
        data = self.cleaned_data
        if data["source"]:
            return data["source"]
        source, _created = CallSource.objects.get_or_create(
            name=data["name"],
            defaults={
                "format": data["format"] or CallSource.Format.DETECT,
                "timezone": data["timezone"],
            },
        )
        return source


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        source = form.get_source()
        upload = form.cleaned_data["file"]
        # An existing source reads times on its own clock; the zone field is for new ones.
        if upload.size > runner.BACKGROUND_BYTES:
            # Too long for a request: the worker imports it, the result page follows.
            record = runner.queue_call_file(source, upload, request.user).call_import
        else:
            _result, record = import_file(source, upload, file_name=upload.name, user=request.user)
        if queue_file := form.cleaned_data.get("queue_log"):
            # Either order counts the same: the queue_log may come before its CDRs.
            _queue, queue_record = import_queue_log(
                source, queue_file, file_name=queue_file.name, user=request.user
            )
            url = reverse("telephony-import-result", args=[record.pk])
            return redirect(f"{url}?queue={queue_record.pk}")
        return redirect("telephony-import-result", pk=record.pk)
    imports = CallImport.objects.select_related("source", "user")[:10]
    return render(request, "telephony/upload.html", {"form": form, "imports": imports})


@login_required
def import_result(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    record = get_object_or_404(CallImport.objects.select_related("source", "user"), pk=pk)
    queue = None
    if (queue_pk := request.GET.get("queue", "")).isdigit():
        queue = CallImport.objects.filter(pk=int(queue_pk), source=record.source).first()
    return render(
        request,
        "telephony/import_result.html",
        {
            "record": record,
            "result": record.result,
            "queue": queue.result if queue else None,
            "stale": runner.is_stale(record),
            "queued": runner.is_queued(record),
        },
    )


class MapForm(forms.Form):
    agent = forms.CharField(max_length=100)
    seller = forms.ModelChoiceField(queryset=None, to_field_name="pk")  # type: ignore[arg-type]

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["seller"].queryset = access.visible_sellers(user).select_related("user")


@login_required
def unmapped(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    if request.method == "POST":
        form = MapForm(request.POST, user=request.user)
        if form.is_valid():
            agent = form.cleaned_data["agent"]
            seller = form.cleaned_data["seller"]
            with transaction.atomic():
                before = list(
                    AgentAlias.objects.filter(source=None, key=agent).values_list(
                        "source", "employee"
                    )
                )
                AgentAlias.objects.update_or_create(
                    source=None, key=agent, defaults={"employee": seller}
                )
                # Moving the past calls reads every stored leg: the worker does it.
                recount.mapping_changed([*before, (None, seller.pk)])
            messages.success(
                request,
                _("%(agent)s is now %(seller)s; their past calls move to them in a minute.")
                % {"agent": agent, "seller": seller},
            )
            return redirect("telephony-unmapped")
        messages.error(request, _("Choose a seller for the agent."))
    sellers = access.visible_sellers(request.user).select_related("user")
    return render(
        request,
        "telephony/unmapped.html",
        {"agents": unmapped_agents(), "sellers": sellers},
    )
