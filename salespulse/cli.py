"""The `salespulse` console script: Django's management commands under one name.

`salespulse demo`, `salespulse kpis`, `salespulse calendar`, `salespulse seller add`,
`salespulse serve` are management commands of the salespulse apps; the usual Django ones
(`migrate`, `createsuperuser`, …) are there too.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salespulse.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["salespulse", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
