"""CRM data as plain Python: names, stages, export layouts, repeat deals, client status.

No Django here: the Django side (salespulse.crm) turns these records into rows.
"""
