"""The `salespulse` console script: Django's management commands under one name.

`salespulse demo`, `salespulse kpis`, `salespulse calendar`, `salespulse seller add`,
`salespulse serve` are management commands of the salespulse apps; the usual Django ones
(`migrate`, `createsuperuser`, …) are there too.

A command run on a database that is new or behind migrates it first (as `serve` and
`demo` always did), saying so in one line on stderr, so `salespulse calendar 2026` works
on a fresh data directory; a database it cannot open is one line too, never a traceback.
"""

import os
import sys

# Django's commands that manage the database themselves or need none: run as they are.
AS_IS = {
    "check", "compilemessages", "createcachetable", "dbshell", "diffsettings", "flush",
    "help", "inspectdb", "makemessages", "makemigrations", "migrate", "optimizemigration",
    "sendtestemail", "shell", "showmigrations", "sqlflush", "sqlmigrate", "sqlsequencereset",
    "squashmigrations", "startapp", "startproject", "test", "testserver", "version",
    "collectstatic", "findstatic", "backup", "restore",
}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salespulse.settings")
    from django.core.management import execute_from_command_line

    if _uses_database(args):
        _migrate_if_behind()
    execute_from_command_line(["salespulse", *args])


def _uses_database(args: list[str]) -> bool:
    if not args or args[0].startswith("-") or args[0] in AS_IS:
        return False
    if "-h" in args or "--help" in args:
        return False
    import django
    from django.core.management import get_commands

    django.setup()
    return args[0] in get_commands()


def _migrate_if_behind() -> None:
    from django.core.management import call_command
    from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
    from django.db.migrations.executor import MigrationExecutor

    connection = connections[DEFAULT_DB_ALIAS]
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if not plan:
            return
        fresh = not executor.loader.applied_migrations
        call_command("migrate", interactive=False, verbosity=0)
    except DatabaseError as e:
        first_line = (str(e).strip().splitlines() or [type(e).__name__])[0]
        sys.exit(
            f"salespulse: cannot use the database ({first_line}); check DATABASE_URL "
            "or SALESPULSE_DATA_DIR, then run `salespulse migrate`."
        )
    what = "set up a new database" if fresh else "brought the database up to date"
    where = connection.settings_dict["NAME"]
    print(f"salespulse: {what} ({where}, {len(plan)} migrations)", file=sys.stderr)


if __name__ == "__main__":
    main()
