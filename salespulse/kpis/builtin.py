"""The built-in KPI catalogue and roles from the brief, with stable codes.

Plain data, installed by a data migration and editable afterwards in the admin.
"""

from typing import Any

KPIS: list[dict[str, Any]] = [
    # Cold caller
    dict(code="calls", name_ru="Звонки", name_en="Calls", unit="count", source="auto",
         aggregation="sum", daily_max=2000),
    dict(code="conversations", name_ru="Разговоры дольше 15\u00a0с",
         name_en="Conversations over 15 s", unit="count", source="auto", aggregation="sum",
         daily_max=2000),
    dict(code="talk_time", name_ru="Время в разговоре", name_en="Talk time", unit="duration",
         source="auto", aggregation="sum", daily_max=86400),
    dict(code="avg_talk_time", name_ru="Среднее время разговора",
         name_en="Average conversation time", unit="duration", source="derived",
         aggregation="ratio", formula="talk_time / conversations"),
    dict(code="leads", name_ru="Лиды", name_en="Leads", unit="count", source="manual",
         aggregation="sum", daily_max=500),
    # Account manager
    dict(code="clients_in_work", name_ru="Клиенты в работе", name_en="Clients in work",
         unit="count", source="auto", aggregation="last", daily_max=10000),
    dict(code="buyers", name_ru="Покупатели", name_en="Buyers", unit="count", source="auto",
         aggregation="distinct"),
    dict(code="repeat_buyers", name_ru="Повторные покупатели", name_en="Repeat buyers",
         unit="count", source="auto", aggregation="distinct"),
    dict(code="repeat_deals", name_ru="Повторные сделки", name_en="Repeat deals", unit="count",
         source="auto", aggregation="sum"),
    dict(code="repeat_buyers_pct", name_ru="Доля повторных покупателей",
         name_en="Repeat buyers share", unit="percent", source="derived", aggregation="ratio",
         formula="repeat_buyers / clients_in_work * 100"),
    dict(code="repeat_sum", name_ru="Сумма повторных продаж", name_en="Repeat sales",
         unit="money", source="auto", aggregation="sum"),
    dict(code="clients_at_start", name_ru="Клиентов на начало периода",
         name_en="Clients at the period start", unit="count", source="derived",
         aggregation="opening", formula="clients_in_work"),
    dict(code="retained_buyers", name_ru="Купили из клиентов на начало",
         name_en="Buyers among the clients at the start", unit="count", source="auto",
         aggregation="cohort"),
    dict(code="retention_pct", name_ru="Продолжили сотрудничество", name_en="Retention",
         unit="percent", source="derived", aggregation="ratio",
         formula="retained_buyers / clients_at_start * 100"),
    dict(code="avg_repeat_check", name_ru="Средний чек повторной сделки",
         name_en="Average repeat deal", unit="money", source="derived", aggregation="ratio",
         formula="repeat_sum / repeat_deals"),
    # Salesperson
    dict(code="deals_count", name_ru="Сделки", name_en="Deals", unit="count", source="auto",
         aggregation="sum", daily_max=500),
    dict(code="deals_sum", name_ru="Сумма сделок", name_en="Deal sum", unit="money",
         source="auto", aggregation="sum"),
    dict(code="avg_check", name_ru="Средний чек", name_en="Average check", unit="money",
         source="derived", aggregation="ratio", formula="deals_sum / deals_count"),
    # What real sales templates also track, ready to add to a role
    dict(code="meetings", name_ru="Встречи проведены", name_en="Meetings held", unit="count",
         source="manual", aggregation="sum", daily_max=50),
    dict(code="offers_sent", name_ru="КП отправлены", name_en="Commercial offers sent",
         unit="count", source="manual", aggregation="sum", daily_max=500),
    dict(code="invoices", name_ru="Счета выставлены", name_en="Invoices issued", unit="count",
         source="manual", aggregation="sum", daily_max=500),
    dict(code="lead_conversion", name_ru="Конверсия разговоров в лиды",
         name_en="Conversation to lead conversion", unit="percent", source="derived",
         aggregation="ratio", formula="leads / conversations * 100"),
]  # fmt: skip

ROLES: list[dict[str, Any]] = [
    dict(code="cold_caller", name_ru="Холодные звонки", name_en="Cold caller",
         kpis=["calls", "conversations", "talk_time", "avg_talk_time", "leads"]),
    dict(code="account_manager", name_ru="Аккаунт-менеджер", name_en="Account manager",
         kpis=["clients_in_work", "repeat_buyers_pct", "repeat_sum", "retention_pct",
               "avg_repeat_check"]),
    dict(code="salesperson", name_ru="Продажник", name_en="Salesperson",
         kpis=["deals_count", "deals_sum", "avg_check"]),
]  # fmt: skip


def install(kpi_model: Any, role_model: Any, role_kpi_model: Any) -> None:
    """Create the missing built-in KPIs and roles; never touch what an admin has edited."""
    for spec in KPIS:
        kpi_model.objects.get_or_create(code=spec["code"], defaults={**spec, "builtin": True})
    for spec in ROLES:
        spec = dict(spec)
        codes = spec.pop("kpis")
        role, created = role_model.objects.get_or_create(
            code=spec["code"], defaults={**spec, "builtin": True}
        )
        if created:
            for order, code in enumerate(codes):
                role_kpi_model.objects.create(
                    role=role, kpi=kpi_model.objects.get(code=code), order=order
                )
