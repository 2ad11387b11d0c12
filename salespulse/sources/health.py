"""How the sources are doing: checks, the Sources page's figures, the board's warning.

A source that usually brings calls in working hours and has gone silent (or fails) is
something the head must see before the figures look like a lazy team.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from salespulse.lib.cdr.tables import TableError, parse_url
from salespulse.sources.models import CRM_KINDS, SYNCED_KINDS, Run, Source

WORK_HOURS = (9, 18)  # local hours, Monday to Friday, when calls are expected
FAILING_FOR = timedelta(minutes=15)
USUAL_OVER = timedelta(days=7)
# Rates below this are too thin to call an hour without calls a silence.
MIN_RATE = 3.0


def validate(source: Source) -> None:
    if source.kind in CRM_KINDS:
        _validate_crm(source)
        return
    if source.kind != Source.Kind.ASTERISK_DB:
        return
    if not source.url:
        raise ValidationError({"url": [_("A PBX table source needs a URL.")]})
    try:
        parse_url(source.url)
    except TableError as e:
        raise ValidationError({"url": [explain(e)]}) from None


def _validate_crm(source: Source) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(source.url or "")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError(
            {"url": [_("A CRM source needs its address: https://… (see the README).")]}
        )
    if source.kind == Source.Kind.AMOCRM and not (source.token_file or source.token_env):
        raise ValidationError(
            {"token_file": [_("amoCRM needs its long-lived token: a file or a variable.")]}
        )


def explain(error: Any) -> str:
    """What is wrong (a TableError's or a CrmError's msgid and params), in the active
    language."""
    text = _(error.message)
    return text % error.params if error.params else text


def crm_failed(source: Source, run: Run, error: Any) -> None:
    """A CRM sync or push failed: the run ends with the reason; refused credentials mark
    the source «нет доступа» (a person must act), anything else failing."""
    from salespulse.lib.crm.http import AccessDenied

    run.error = explain(error)[:1000]
    status = Source.Status.NO_ACCESS if isinstance(error, AccessDenied) else Source.Status.FAILING
    Source.objects.filter(pk=source.pk).update(status=status, last_error=run.error)


def crm_worked(source: Source, now: datetime, result: Any, error: str = "", **changes: Any) -> None:
    """A CRM sync or push went through: the source works again, and brought news when a
    deal was created, changed or deleted. (When it was last tried is the schedule's: a
    push must not postpone the next sync.) `error`: what it read is stored, but a part
    of it refused to act (a reconcile that would delete too much): the source fails."""
    changes |= {"status": Source.Status.OK, "last_error": "", "last_success_at": now}
    if error:
        changes |= {"status": Source.Status.FAILING, "last_error": error[:1000]}
    if result.created or result.updated or result.deleted:
        changes["last_new_at"] = now
    Source.objects.filter(pk=source.pk).update(**changes)


def test_connection(source: Source) -> tuple[bool, str]:
    """Connect, find the table and its columns: (works, what to tell the person)."""
    from salespulse.telephony import pull

    if source.kind in CRM_KINDS:
        from salespulse.sources.execute import connector

        return connector(source.kind).test(source)

    try:
        found = pull.check(source.url, source.timezone)
    except TableError as e:
        return False, explain(e)
    return True, _("Connected: %(found)s") % {"found": found}


def lag(source: Source, now: datetime) -> timedelta | None:
    """How old the figures of a source are: since its last successful sync."""
    return None if source.last_success_at is None else now - source.last_success_at


def describe(source: Source, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    late = lag(source, now)
    return {
        "name": source.name,
        "kind": source.kind,
        "url": source.safe_url,
        "enabled": source.enabled,
        "every_minutes": source.every_minutes,
        "status": source.status,
        "last_success": source.last_success_at.isoformat() if source.last_success_at else None,
        "lag_minutes": None if late is None else int(late.total_seconds() // 60),
        "watermark": source.watermark,
        "error": source.last_error,
        "synced": source.kind in SYNCED_KINDS,
        **_crm(source),
    }


def _crm(source: Source) -> dict[str, Any]:
    """A CRM source's push address and the CRM users its deals wait for."""
    if source.kind not in CRM_KINDS:
        return {}
    from django.urls import reverse

    from salespulse.sources import reconcile

    return {
        "hook": reverse("source-hook", args=[source.pk, source.hook_key]),
        "unmatched": unmatched_text(source.options),
        "reconcile": reconcile.refused_text(source),
    }


def unmatched_text(options: dict[str, Any]) -> str:
    """The CRM users whose deals wait for a seller (`options["unmatched"]`: a count of
    deals, or the ids kept to fetch again), for a page or the command line."""
    users = options.get("unmatched") or {}
    if not users:
        return ""
    counted = sorted(
        (
            (uid, u.get("name") or "—", u.get("deals", len(u.get("leads", []))))
            for uid, u in users.items()
        ),
        key=lambda row: -row[2],
    )
    parts = [
        ngettext("%(name)s (id %(id)s): %(n)d deal", "%(name)s (id %(id)s): %(n)d deals", n)
        % {"name": name, "id": uid, "n": n}
        for uid, name, n in counted
    ]
    return _("Not matched to employees: %(users)s.") % {"users": "; ".join(parts)}


def _working(moment: datetime) -> bool:
    return moment.weekday() < 5 and WORK_HOURS[0] <= moment.hour < WORK_HOURS[1]


def usual_rate(source: Source, now: datetime) -> float:
    """Calls an hour the scheduled syncs of the last week brought in working hours.

    The first sync (a backfill of weeks) is left out, as are syncs outside working hours.
    """
    zone = ZoneInfo(source.timezone)
    runs = Run.objects.filter(
        source=source, kind=Run.Kind.SYNC, status=Run.Status.DONE, trigger=Run.Trigger.SCHEDULE
    )
    first = runs.order_by("pk").values_list("pk", flat=True).first()
    calls = minutes = 0
    for pk, started, counts in runs.filter(started_at__gte=now - USUAL_OVER).values_list(
        "pk", "started_at", "counts"
    ):
        if pk == first or not _working(started.astimezone(zone)):
            continue
        calls += counts.get("calls", 0)
        minutes += source.every_minutes
    return round(calls * 60 / minutes, 1) if minutes >= 60 else 0.0


def alerts(now: datetime | None = None) -> list[str]:
    """The board's lines about sources that fail, or are silent when calls are due."""
    now = now or timezone.now()
    # One query for every kind: the board counts its queries.
    found = list(
        Source.objects.filter(enabled=True, kind__in=[Source.Kind.ASTERISK_DB, *CRM_KINDS])
    )
    sources = [s for s in found if s.kind == Source.Kind.ASTERISK_DB]
    lines = crm_alerts(now, [s for s in found if s.kind in CRM_KINDS])
    for source in sources:
        zone = ZoneInfo(source.timezone)
        name = (
            _("Telephony")
            if len(sources) == 1
            else _("Telephony (%(name)s)") % {"name": source.name}
        )
        if source.status == Source.Status.FAILING:
            since = source.last_success_at or source.created_at
            if now - since >= FAILING_FOR:
                lines.append(_not_synced(name, source, since, now, zone))
            continue
        rate = source.calls_per_hour
        if rate < MIN_RATE or not source.watermark or not _working(now.astimezone(zone)):
            continue
        try:
            last = datetime.fromisoformat(source.watermark[:19]).replace(tzinfo=zone)
        except ValueError:
            continue
        quiet = max(timedelta(minutes=30), timedelta(hours=3 / rate))
        if now - last >= quiet:
            n = round(rate)
            lines.append(
                ngettext(
                    "%(name)s has been silent since %(time)s: usually ~%(n)d call an hour",
                    "%(name)s has been silent since %(time)s: usually ~%(n)d calls an hour",
                    n,
                )
                % {"name": name, "time": _clock(last, now.astimezone(zone)), "n": n}
            )
    return lines


CRM_NAMES = {Source.Kind.AMOCRM: "amoCRM", Source.Kind.BITRIX24: "Bitrix24"}


def crm_alerts(now: datetime, sources: list[Source]) -> list[str]:
    """A CRM that refused our token at once (a person must act); one that fails after
    FAILING_FOR: the deal figures are as old as its last sync."""
    lines = []
    zone = timezone.get_current_timezone()
    for source in sources:
        if source.status not in (Source.Status.NO_ACCESS, Source.Status.FAILING):
            continue
        name = f"{CRM_NAMES.get(source.kind, source.kind)} ({source.name})"
        since = source.last_success_at or source.created_at
        if source.status == Source.Status.NO_ACCESS:
            lines.append(
                _("%(name)s: no access since %(time)s, deals are not coming in: %(error)s")
                % {
                    "name": name,
                    "time": _clock(since.astimezone(zone), now.astimezone(zone)),
                    "error": source.last_error,
                }  # fmt: skip
            )
        elif now - since >= FAILING_FOR:
            lines.append(_not_synced(name, source, since, now, zone))
    return lines


def _not_synced(name: str, source: Source, since: datetime, now: datetime, zone: Any) -> str:
    return _("%(name)s has not synced since %(time)s: %(error)s") % {
        "name": name,
        "time": _clock(since.astimezone(zone), now.astimezone(zone)),
        "error": source.last_error,
    }


def _clock(moment: datetime, now: datetime) -> str:
    return f"{moment:%H:%M}" if moment.date() == now.date() else f"{moment:%d.%m %H:%M}"


def calls_updated(employee: Any) -> datetime | None:
    """When the call figures of a seller were last brought in: the last sync (or import)
    of the source of their latest call."""
    from salespulse.telephony.models import CallImport, CallLeg

    source_id = (
        CallLeg.objects.filter(employee=employee)
        .order_by("-day")
        .values_list("source", flat=True)
        .first()
    )
    if source_id is None:
        return None
    pulled = Source.objects.filter(calls_id=source_id).values_list("last_success_at", flat=True)
    if pulled and pulled[0]:
        return pulled[0]
    return (
        CallImport.objects.filter(source_id=source_id)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
