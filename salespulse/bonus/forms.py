"""A bonus scheme as a form a head fills in: a few fields per line, no JSON.

The form turns into the scheme language's data (`lib.bonus_spec`), so it is checked by
the same rules as a file, and a stored scheme turns back into the form.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from salespulse.kpis.models import Kpi

KINDS = [
    ("", "—"),
    ("per_unit", _("₽ for each unit (a lead, a deal)")),
    ("percent", _("% of a sum (deal sum, repeat sales)")),
    ("completion", _("for the plan's completion (a ladder or a line)")),
    ("weighted", _("a share of the KPI bonus (weighted)")),
    ("team", _("team multiplier from the department's completion")),
]
_PAIR = re.compile(r"^\s*([\d\s.,]+?)\s*(?:→|->|:|=)\s*([\d\s.,]+?)\s*$")


def _decimal_field(label: Any, help_text: Any = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label, help_text=help_text, required=False, min_value=0, localize=True
    )


class SchemeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    base = forms.DecimalField(label=_("Base salary, ₽"), min_value=0, localize=True)
    valid_from = forms.ChoiceField(label=_("Valid from"))
    weighted_target = _decimal_field(
        _("KPI bonus at 100 %, ₽"), _("Split over the lines «a share of the KPI bonus».")
    )
    gate_zeroes_all = forms.BooleanField(
        label=_("One KPI below its gate zeroes the whole KPI bonus"), required=False
    )

    def __init__(self, *args: Any, months: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["valid_from"].choices = months


class ComponentForm(forms.Form):
    kind = forms.ChoiceField(label=_("What is paid"), choices=KINDS, required=False)
    name = forms.CharField(label=_("Name on the payslip"), max_length=100, required=False)
    kpi = forms.ChoiceField(label=_("KPI"), required=False)
    rate = _decimal_field(
        _("Rate"), _("₽ a unit; % of the sum; for a team: the multiplier below the first step")
    )
    target = _decimal_field(_("Bonus at 100 % of plan, ₽"))
    weight = _decimal_field(_("Weight, %"))
    threshold = _decimal_field(_("Paid only above (units)"))
    gate = _decimal_field(_("Gate, % of plan"), _("Below it nothing is paid."))
    steps = forms.CharField(
        label=_("Steps"),
        required=False,
        help_text=_(
            "«% of plan → % of the bonus», separated by «;»: 70 → 50; 100 → 100. Empty: "
            "a line, the bonus in proportion to the plan. For a team: «% → multiplier»."
        ),
    )
    accelerator = _decimal_field(
        _("Above 100 %: each % of plan adds … % of the bonus"),
        _("Empty: 1 for a line, 0 for steps."),
    )
    cap = _decimal_field(_("At most"), _("% of the bonus; for ₽ a unit and % of a sum: ₽"))

    def __init__(self, *args: Any, kpis: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kpi"].choices = [("", "—"), *kpis]

    def clean_steps(self) -> list[list[str]]:
        text = self.cleaned_data.get("steps") or ""
        pairs = []
        for chunk in filter(None, (c.strip() for c in re.split(r"[;\n]", text))):
            match = _PAIR.match(chunk)
            if match is None:
                raise forms.ValidationError(
                    _("«%(chunk)s»: write a step as «70 → 50».") % {"chunk": chunk}
                )
            pairs.append([_plain(match.group(1)), _plain(match.group(2))])
        return pairs


def _plain(text: str) -> str:
    return text.replace(" ", "").replace("\u00a0", "").replace(",", ".")


ComponentFormSet = forms.formset_factory(ComponentForm, extra=2, max_num=12)


def kpi_choices() -> list[tuple[str, str]]:
    return [(k.code, k.name) for k in Kpi.objects.order_by("name_ru")]


def _n(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def to_data(scheme: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The cleaned forms as the scheme language's data (bonus_spec.parse checks it)."""
    components: list[dict[str, Any]] = []
    weighted: dict[str, Any] | None = None
    for line in lines:
        kind = line.get("kind")
        if not kind:
            continue
        curve = {
            k: v
            for k, v in (
                ("gate", _n(line.get("gate"))),
                ("accelerator", _n(line.get("accelerator"))),
                ("cap", _n(line.get("cap"))),
            )
            if v is not None
        }
        if line.get("steps"):
            curve["steps"] = line["steps"]
        base = {"name": line.get("name") or None, "kpi": line.get("kpi")}
        if kind in ("per_unit", "percent"):
            c = {
                "type": kind,
                **base,
                ("rate" if kind == "per_unit" else "percent"): _n(line.get("rate")),
            }
            if line.get("threshold") is not None:
                c["threshold"] = _n(line["threshold"])
            if line.get("cap") is not None:
                c["cap"] = _n(line["cap"])
            components.append(c)
        elif kind == "completion":
            components.append({"type": kind, **base, "target": _n(line.get("target")), **curve})
        elif kind == "weighted":
            if weighted is None:
                weighted = {
                    "type": "weighted",
                    "name": line.get("name") or None,
                    "target": _n(scheme.get("weighted_target")),
                    "gate_zeroes_all": bool(scheme.get("gate_zeroes_all")),
                    "parts": [],
                }
                components.append(weighted)
            weighted["parts"].append(
                {"kpi": line.get("kpi"), "weight": _n(line.get("weight")), **curve}
            )
        else:
            components.append(
                {
                    "type": "team",
                    **base,
                    "steps": line.get("steps") or [],
                    "below": _n(line.get("rate")),
                }
            )
    for c in components:
        for key in [k for k, v in c.items() if v is None]:
            del c[key]
    return {
        "name": scheme.get("name", ""),
        "base": _n(scheme.get("base")),
        "components": components,
    }


def initial(data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A stored scheme's data as the forms' initial values."""
    scheme: dict[str, Any] = {"name": data.get("name", ""), "base": data.get("base")}
    lines: list[dict[str, Any]] = []

    def steps(pairs: list[list[str]]) -> str:
        return "; ".join(f"{a} → {b}" for a, b in pairs)

    for c in data.get("components", []):
        kind = c["type"]
        if kind == "weighted":
            scheme["weighted_target"] = c.get("target")
            scheme["gate_zeroes_all"] = c.get("gate_zeroes_all", False)
            for p in c.get("parts", []):
                lines.append(
                    {
                        "kind": "weighted",
                        "name": c.get("name"),
                        "kpi": p["kpi"],
                        "weight": p.get("weight"),
                        "gate": p.get("gate"),
                        "steps": steps(p.get("steps", [])),
                        "accelerator": p.get("accelerator"),
                        "cap": p.get("cap"),
                    }
                )
            continue
        line = {"kind": kind, "name": c.get("name"), "kpi": c.get("kpi")}
        if kind in ("per_unit", "percent"):
            line["rate"] = c.get("rate" if kind == "per_unit" else "percent")
            line["threshold"] = c.get("threshold")
            line["cap"] = c.get("cap")
        elif kind == "completion":
            line |= {
                "target": c.get("target"),
                "gate": c.get("gate"),
                "steps": steps(c.get("steps", [])),
                "accelerator": c.get("accelerator"),
                "cap": c.get("cap"),
            }
        else:
            line |= {"steps": steps(c.get("steps", [])), "rate": c.get("below")}
        lines.append(line)
    return scheme, lines
