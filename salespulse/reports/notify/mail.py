"""E-mails as three templates (subject, text, HTML) under templates/emails/.

Rendered in the site's language (Russian by default), whatever the worker's locale.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language


def lang() -> str:
    """The active language as salespulse.lib.fmt spells it."""
    return "en" if (get_language() or "ru").startswith("en") else "ru"


def absolute_url(name: str, **kwargs: Any) -> str:
    base = getattr(settings, "SALESPULSE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    return base + reverse(name, kwargs=kwargs or None)


def render(template: str, context_factory: Any, to: str) -> EmailMultiAlternatives:
    """Build the message; the context is made inside the language switch so that KPI names
    and number formats come out in the e-mail's language, not the worker's."""
    with translation.override(settings.LANGUAGE_CODE):
        context = context_factory()
        # Subjects are one line whatever the template's line breaks.
        subject = " ".join(render_to_string(f"emails/{template}-subject.txt", context).split())
        text = render_to_string(f"emails/{template}-body.txt", context)
        html = render_to_string(f"emails/{template}-body.html", context)
    message = EmailMultiAlternatives(subject, text, to=[to])
    message.attach_alternative(html, "text/html")
    return message
