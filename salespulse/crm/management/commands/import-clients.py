"""`salespulse import-clients FILE [--mapping NAME] [--json]`: clients and their managers."""

from salespulse.crm.management.commands._importcmd import ImportCommand


class Command(ImportCommand):
    help = (
        "Import clients with their account manager and the day each was handed over "
        "(any CSV/XLSX with the usual Russian headers, or a saved column mapping)."
    )
    kind = "clients"
