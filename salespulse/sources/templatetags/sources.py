"""Source health where people look: `{% source_alerts %}` on the board,
`{% calls_updated employee %}` on My day."""

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from salespulse.sources import health

register = template.Library()


@register.simple_tag
def source_alerts() -> SafeString:
    lines = health.alerts()
    if not lines:
        return SafeString("")
    items = format_html_join("", "<li>{}</li>", ((line,) for line in lines))
    return format_html('<ul class="notice source-alerts" role="status">{}</ul>', items)


@register.simple_tag
def calls_updated(employee) -> str:
    moment = health.calls_updated(employee)
    if moment is None:
        return ""
    local = timezone.localtime(moment, timezone.get_current_timezone())
    return _("Call figures updated %(time)s") % {"time": f"{local:%d.%m.%Y %H:%M}"}
