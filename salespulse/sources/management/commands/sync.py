"""`salespulse sync [NAME] [--json] [--reconcile [--delete-many]]`: sync sources now (all
enabled ones, or one); `--reconcile`: a Bitrix24 source's daily check now.

Prints per source {"name", "kind", "status", "rows", "imported", "already_stored",
"refused", "started", "finished", "error"} (a CRM's also "created", "updated",
"unchanged", "deleted"); exits 1 when a sync failed.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation

from salespulse.sources import runner
from salespulse.sources.models import SYNCED_KINDS, Run, Source


def summary(run: Run) -> dict:
    assert run.source is not None
    counts = run.counts or {}
    return {
        "name": run.source.name,
        "kind": run.source.kind,
        "status": run.status,
        "rows": counts.get("rows", run.rows_read),
        # A CRM's run counts deals created and updated, and those it already had.
        "imported": counts.get("imported", counts.get("created", 0) + counts.get("updated", 0)),
        "already_stored": counts.get("already_stored", counts.get("unchanged", 0)),
        "refused": counts.get("refused", 0),
        # A CRM's deals (what a call sync has not)
        **{k: counts[k] for k in ("created", "updated", "unchanged", "deleted") if k in counts},
        "started": run.started_at.isoformat() if run.started_at else None,
        "finished": run.finished_at.isoformat() if run.finished_at else None,
        "error": run.error,
    }


class Command(BaseCommand):
    help = "Sync sources now: every enabled one, or the one named."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", nargs="?", help="one source's name (default: all enabled)")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument(
            "--reconcile", action="store_true",
            help="Bitrix24: also delete the deals the portal no longer has now (the worker "
            "does it once a day)",
        )  # fmt: skip
        parser.add_argument(
            "--delete-many", action="store_true",
            help="with --reconcile: delete them even when they are more than half of the "
            "source's deals (refused otherwise, in case the webhook lost its access)",
        )  # fmt: skip

    def handle(
        self, *args, name: str | None, json: bool, reconcile: bool, delete_many: bool, **options
    ) -> None:  # noqa: A002
        if delete_many and not reconcile:
            raise CommandError("--delete-many goes with --reconcile")
        params = {"reconcile": "many" if delete_many else True} if reconcile else {}
        sources = Source.objects.filter(kind__in=SYNCED_KINDS)
        if name:
            sources = sources.filter(name=name)
            if not sources:
                raise CommandError(f"no source {name} to sync (kinds: {', '.join(SYNCED_KINDS)})")
        else:
            sources = sources.filter(enabled=True)
        done = []
        with translation.override("ru"):
            for source in sources:
                Source.objects.filter(pk=source.pk).update(last_attempt_at=timezone.now())
                run = runner.run_now(runner.queue_sync(source, Run.Trigger.CLI, params=params))
                run.source = source
                done.append(summary(run))
        if json:
            self.stdout.write(_dumps({"sources": done}))
        else:
            for row in done:
                line = (
                    f"{row['name']}: {row['status']}, {row['rows']} rows, "
                    f"{row['imported']} imported, {row['already_stored']} already stored, "
                    f"{row['refused']} refused"
                )
                if "created" in row:
                    line = (
                        f"{row['name']}: {row['status']}, {row['rows']} deals read, "
                        f"{row['created']} new, {row['updated']} changed, "
                        f"{row['unchanged']} unchanged, {row.get('deleted', 0)} deleted, "
                        f"{row['refused']} refused"
                    )
                self.stdout.write(line + (f" — {row['error']}" if row["error"] else ""))
        if any(row["error"] for row in done):
            sys.exit(1)


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
