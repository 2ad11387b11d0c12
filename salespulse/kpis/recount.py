"""Recounting the figures a changed setting affects, in the worker, never in a request.

Where a setting is edited (the admin, the unmapped agents page) it calls `request`, in
the same transaction as the change, so a worker sees the new setting with the job.
`salespulse worker` calls `run_due`: each job is claimed with a conditional UPDATE (two
workers never run one twice), counted, and marked finished or failed. A recount writes
through the one writer of the fact table and is idempotent, so a job whose worker died
is taken over once its claim is `STALE` old.

What each setting changes:
- a department's conversation threshold: the call figures of its sellers;
- a call source's counted directions: the call figures of the seller-days with its calls;
- an agent mapping, or a seller's extension or time zone: whose the stored calls are and
  on which local day (legs move between sellers, or back to unmapped), then the call
  figures of the seller-days they left and joined;
- a seller's department: their conversation threshold may be another one;
- a CRM stage's won/lost meaning: the status of the source's deals, then their figures.
A KPI's formula is evaluated when figures are read (nothing of it is stored), so a
changed formula shows on every screen at once and needs no recount.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salespulse.kpis.models import Recount

logger = logging.getLogger("salespulse.recount")

# What the admin says after a setting that asked for a recount was saved.
ASKED = _("The figures it changes are being recounted in the background.")

# A claim older than this belongs to a worker that died: the job is run again.
STALE = timedelta(hours=1)


def request(
    kind: str,
    scope: dict[str, Any],
    departments: Iterable[int] | None = None,
    reason: str = "",
) -> Recount:
    """Ask for a recount; one already waiting with the same scope is not asked for twice."""
    depts = None if departments is None else sorted(set(departments))
    waiting = Recount.objects.filter(
        kind=kind, scope=scope, claimed_at__isnull=True, finished_at__isnull=True
    )
    for job in waiting:
        if job.departments == depts:
            return job
    return Recount.objects.create(kind=kind, scope=scope, departments=depts, reason=reason[:200])


def recount_pending(departments: Iterable[Any]) -> bool:
    """Whether a recount that changes these departments' figures is waiting or running."""
    wanted = {getattr(d, "pk", d) for d in departments}
    for depts in Recount.objects.filter(finished_at__isnull=True).values_list(
        "departments", flat=True
    ):
        if depts is None or wanted & set(depts):
            return True
    return False


def claim(now: datetime) -> Recount | None:
    """The oldest job nobody is running, claimed for this worker; None when there is none."""
    free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE)
    for job in Recount.objects.filter(free, finished_at__isnull=True)[:10]:
        # Conditional on the claim we saw: of two workers only one UPDATE matches.
        taken = Recount.objects.filter(pk=job.pk, claimed_at=job.claimed_at).update(claimed_at=now)
        if taken:
            job.claimed_at = now
            return job
    return None


def run(job: Recount) -> None:
    """Count the job's figures again and record how it went.

    Not one transaction: a recount of every call may take minutes, and on SQLite that
    would hold off every import meanwhile. Each step commits on its own; a recount cut
    short leaves figures a rerun makes right.
    """
    try:
        _RUNNERS[job.kind](job.scope)
    except Exception as e:  # recorded for the admin, and the worker goes on
        job.error = f"{type(e).__name__}: {e}"
        logger.exception("Recount %s failed", job)
    else:
        job.error = ""
    job.finished_at = timezone.now()
    Recount.objects.filter(pk=job.pk).update(finished_at=job.finished_at, error=job.error)


def run_due(should_stop: Callable[[], bool] = lambda: False) -> list[Recount]:
    """Run every job waiting now (checking `should_stop` between jobs); the ones run."""
    done = []
    while not should_stop() and (job := claim(timezone.now())) is not None:
        run(job)
        done.append(job)
    return done


def _calls(scope: dict[str, Any]) -> None:
    from salespulse.telephony.recount import recount_calls

    recount_calls(
        departments=scope.get("departments"),
        source=scope.get("source"),
        employees=scope.get("employees"),
    )


def _agents(scope: dict[str, Any]) -> None:
    from salespulse.telephony.importer import reattribute
    from salespulse.telephony.models import CallSource

    sources = scope.get("sources")
    if sources is None:
        reattribute(every_leg=True)
    else:
        for source in CallSource.objects.filter(pk__in=sources):
            reattribute(source, every_leg=True)


def _stages(scope: dict[str, Any]) -> None:
    from salespulse.crm.importer import apply_stage_kinds

    apply_stage_kinds(scope["crm_source"])


# The apps that own the figures do the counting; imported when run, as they import kpis.
_RUNNERS: dict[str, Callable[[dict[str, Any]], None]] = {
    Recount.Kind.CALLS: _calls,
    Recount.Kind.AGENTS: _agents,
    Recount.Kind.STAGES: _stages,
}
