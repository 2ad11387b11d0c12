"""`salespulse import-deals FILE [--format bitrix24|amocrm|csv] [--mapping NAME] [--json]`."""

from salespulse.crm.management.commands._importcmd import ImportCommand


class Command(ImportCommand):
    help = (
        "Import a CRM deal export (Bitrix24 CSV or HTML .xls, amoCRM/Kommo, or any CSV/XLSX "
        "through a saved column mapping). Re-importing changes only what changed."
    )
    kind = "deals"
