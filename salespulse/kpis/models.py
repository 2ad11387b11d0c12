"""The KPI catalogue, sales roles, plans and the daily fact table every screen reads."""

import functools
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from salespulse.lib import formula as formula_lib

# A role holds 2-5 KPIs; 6-8 still saves but focus drops; more is refused.
ROLE_KPIS_COMFORTABLE = 5
ROLE_KPIS_MAX = 8


# Every page that shows figures reads the KPI catalogue; a formula (immutable once parsed)
# is parsed once per text, not once per page.
_parse = functools.lru_cache(maxsize=1024)(formula_lib.parse)


class Kpi(models.Model):
    class Unit(models.TextChoices):
        COUNT = "count", _("count")
        MONEY = "money", _("money")
        DURATION = "duration", _("duration")
        PERCENT = "percent", _("percent")
        NUMBER = "number", _("number")

    class Direction(models.TextChoices):
        HIGHER = "higher", _("higher is better")
        LOWER = "lower", _("lower is better")

    class Source(models.TextChoices):
        MANUAL = "manual", _("typed in the daily report")
        AUTO = "auto", _("computed from imported events")
        DERIVED = "derived", _("formula over other KPIs")

    class Aggregation(models.TextChoices):
        SUM = "sum", _("sum of days")
        RATIO = "ratio", _("ratio of sums")
        LAST = "last", _("last value (snapshot)")
        DISTINCT = "distinct", _("distinct over the period")
        OPENING = "opening", _("value at the period start (snapshot)")
        COHORT = "cohort", _("distinct over the period, of those there at its start")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices, default=Unit.COUNT)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.HIGHER
    )
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.MANUAL
    )
    aggregation = models.CharField(
        _("aggregation over time"),
        max_length=10,
        choices=Aggregation.choices,
        default=Aggregation.SUM,
    )
    formula = models.CharField(
        _("formula"),
        max_length=200,
        blank=True,
        help_text=_(
            "For ratio and derived KPIs, over other KPI codes: leads / conversations * 100"
        ),
    )
    # Values above this in one seller-day are refused as typos (2,000 calls a day is absurd).
    daily_max = models.DecimalField(
        _("largest plausible daily value"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
    )
    builtin = models.BooleanField(_("built in"), default=False, editable=False)

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if (get_language() or "ru").startswith("en") and self.name_en:
            return self.name_en
        return self.name_ru

    @property
    def is_additive(self) -> bool:
        return self.aggregation == self.Aggregation.SUM

    def parsed_formula(self) -> formula_lib.Formula | None:
        return _parse(self.formula) if self.formula else None

    def formula_dependents(self, code: str | None = None) -> list["Kpi"]:
        """KPIs whose formula uses this one (by `code`, the saved one by default)."""
        code = code or self.code
        return [
            k
            for k in Kpi.objects.exclude(formula="").exclude(pk=self.pk)
            if code in k.parsed_formula().names
        ]

    def clean(self) -> None:
        if self.pk:
            # Formulas name KPIs by code: a renamed code would leave them pointing at nothing.
            saved = Kpi.objects.filter(pk=self.pk).values_list("code", flat=True).first()
            if saved and saved != self.code and (users := self.formula_dependents(saved)):
                raise ValidationError(
                    {
                        "code": _("The formula of %(kpis)s uses this code; change it there first.")
                        % {"kpis": ", ".join(k.code for k in users)}
                    }
                )
        needs_formula = (
            self.source == self.Source.DERIVED or self.aggregation == self.Aggregation.RATIO
        )
        if needs_formula and not self.formula:
            raise ValidationError({"formula": _("A ratio or derived KPI needs a formula.")})
        if self.formula and not needs_formula:
            raise ValidationError({"formula": _("Only ratio and derived KPIs have a formula.")})
        counted = (self.Aggregation.DISTINCT, self.Aggregation.COHORT)
        if self.aggregation in counted and self.source != self.Source.AUTO:
            raise ValidationError(
                {"aggregation": _("Distinct KPIs are counted from imported events only.")}
            )
        if self.formula:
            known = set(Kpi.objects.exclude(pk=self.pk).values_list("code", flat=True))
            try:
                parsed = formula_lib.parse(self.formula, known=known)
            except formula_lib.FormulaError as e:
                raise ValidationError({"formula": str(e)}) from None
            formulas = {
                k.code: k.parsed_formula()
                for k in Kpi.objects.exclude(pk=self.pk).exclude(formula="")
            }
            formulas[self.code] = parsed
            try:
                formula_lib.dependency_order(formulas)
            except formula_lib.FormulaError as e:
                raise ValidationError({"formula": str(e)}) from None
            if self.aggregation == self.Aggregation.OPENING:
                # On the day before the period only a snapshot still means something.
                snapshots = set(
                    Kpi.objects.filter(
                        code__in=parsed.names, aggregation=self.Aggregation.LAST
                    ).values_list("code", flat=True)
                )
                if others := sorted(parsed.names - snapshots):
                    raise ValidationError(
                        {
                            "formula": _(
                                "A value at the period start is taken from snapshot (last "
                                "value) KPIs only; %(kpis)s are not."
                            )
                            % {"kpis": ", ".join(others)}
                        }
                    )


class Role(models.Model):
    """A sales role (cold caller, account manager, salesperson) and the KPIs it is judged by."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kpis = models.ManyToManyField(Kpi, through="RoleKpi", verbose_name=_("KPIs"))
    builtin = models.BooleanField(_("built in"), default=False, editable=False)

    class Meta:
        verbose_name = _("sales role")
        verbose_name_plural = _("sales roles")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if (get_language() or "ru").startswith("en") and self.name_en:
            return self.name_en
        return self.name_ru

    def ordered_kpis(self) -> list[Kpi]:
        return [rk.kpi for rk in self.role_kpis.select_related("kpi").order_by("order", "id")]


def check_role_kpi_count(count: int) -> str | None:
    """The warning to show for a role of `count` KPIs; ValidationError when there are too many."""
    if count > ROLE_KPIS_MAX:
        raise ValidationError(
            _("A role can have at most %(max)d KPIs (this one has %(n)d): nobody focuses on more."),
            params={"max": ROLE_KPIS_MAX, "n": count},
        )
    if count > ROLE_KPIS_COMFORTABLE:
        return str(
            _("This role has %(n)d KPIs. 2-5 work best: with 6-8 sellers lose focus.")
            % {"n": count}
        )
    return None


class RoleKpi(models.Model):
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="role_kpis")
    kpi = models.ForeignKey(Kpi, verbose_name=_("KPI"), on_delete=models.PROTECT)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    default_plan = models.DecimalField(
        _("default monthly plan"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Used for a seller with no plan of their own for the month."),
    )

    class Meta:
        verbose_name = _("role KPI")
        verbose_name_plural = _("role KPIs")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["role", "kpi"], name="rolekpi_unique")]

    def __str__(self) -> str:
        return f"{self.role}: {self.kpi}"


class Plan(models.Model):
    """A seller's plan for one KPI over a month, an ISO week or a day (finest set wins)."""

    class Kind(models.TextChoices):
        MONTH = "month", _("month")
        WEEK = "week", _("week")
        DAY = "day", _("day")

    employee = models.ForeignKey(
        "org.Employee", verbose_name=_("seller"), on_delete=models.CASCADE, related_name="plans"
    )
    kpi = models.ForeignKey(Kpi, verbose_name=_("KPI"), on_delete=models.PROTECT)
    kind = models.CharField(_("period"), max_length=10, choices=Kind.choices, default=Kind.MONTH)
    start = models.DateField(
        _("period start"),
        help_text=_("First day of the month, the Monday of the week, or the day."),
    )
    value = models.DecimalField(
        _("plan"), max_digits=18, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "kpi", "kind", "start"], name="plan_unique"
            ),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="plan_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.employee} · {self.kpi.code} · {self.start:%d.%m.%Y}: {self.value}"

    def clean(self) -> None:
        if self.start is None:
            return
        if self.kind == self.Kind.MONTH and self.start.day != 1:
            raise ValidationError({"start": _("A monthly plan starts on the first of the month.")})
        if self.kind == self.Kind.WEEK and self.start.weekday() != 0:
            raise ValidationError({"start": _("A weekly plan starts on a Monday.")})


class PlanChange(models.Model):
    """One change of a seller's monthly plan from the plans page: who, when, from what to what.

    Never changed once written; an empty old value is the role default, an empty new value
    a plan taken back to the role default.
    """

    employee = models.ForeignKey(
        "org.Employee", on_delete=models.CASCADE, related_name="plan_changes"
    )
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    old_value = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    new_value = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("plan change")
        verbose_name_plural = _("plan changes")
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["month", "employee"], name="planchange_month_employee")]

    def __str__(self) -> str:
        return f"{self.employee_id} · {self.kpi_id} · {self.month:%m.%Y}"


class DepartmentPlan(models.Model):
    """A department's monthly plan set explicitly; otherwise it is the sum of its sellers'."""

    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="plans",
    )
    kpi = models.ForeignKey(Kpi, verbose_name=_("KPI"), on_delete=models.PROTECT)
    month = models.DateField(_("month"), help_text=_("First day of the month."))
    value = models.DecimalField(
        _("plan"), max_digits=18, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        verbose_name = _("department plan")
        verbose_name_plural = _("department plans")
        constraints = [
            models.UniqueConstraint(fields=["department", "kpi", "month"], name="deptplan_unique"),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="deptplan_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.kpi.code} · {self.month:%m.%Y}"


class DailyFact(models.Model):
    """One seller's figure for one additive or snapshot KPI on one local day.

    Maintained as reports and events arrive so that screens read days, never raw calls.
    """

    class Source(models.TextChoices):
        REPORT = "report", _("daily report")
        AUTO = "auto", _("imported events")
        SEED = "seed", _("demo data")

    employee = models.ForeignKey(
        "org.Employee", on_delete=models.CASCADE, related_name="daily_facts"
    )
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="daily_facts")
    day = models.DateField()
    # The figure every screen shows: what the seller reported, else what events say.
    value = models.DecimalField(max_digits=18, decimal_places=2)
    # What imported events (telephony, CRM) say, kept beside a seller's correction so the
    # head sees the gap between the two.
    auto_value = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.REPORT)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("daily fact")
        verbose_name_plural = _("daily facts")
        constraints = [
            models.UniqueConstraint(fields=["employee", "kpi", "day"], name="dailyfact_unique"),
        ]
        indexes = [models.Index(fields=["day", "employee"], name="dailyfact_day_employee")]

    def __str__(self) -> str:
        return f"{self.employee_id} · {self.kpi_id} · {self.day:%d.%m.%Y}: {self.value}"


class Recount(models.Model):
    """Figures a changed setting affects, to be counted again by `salespulse worker`.

    A threshold, a source's counted directions, an agent mapping or a CRM stage's meaning
    changes figures already in the daily fact table; recounting them can take minutes, so
    the admin only asks for it here and a worker claims the row (kpis.recount).
    """

    class Kind(models.TextChoices):
        CALLS = "calls", _("call figures from the stored calls")
        AGENTS = "agents", _("calls to sellers by the agent mappings")
        STAGES = "stages", _("deals by their stage")

    kind = models.CharField(_("what"), max_length=10, choices=Kind.choices)
    # What to recount, e.g. {"departments": [3]}, {"source": 2}, {"crm_source": "bitrix24"}.
    scope = models.JSONField(default=dict, blank=True)
    # Department ids whose figures change (their boards say a recount is running); null: all.
    departments = models.JSONField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("recount")
        verbose_name_plural = _("recounts")
        ordering = ["requested_at", "pk"]
        indexes = [models.Index(fields=["finished_at"], name="recount_finished")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reason}"
