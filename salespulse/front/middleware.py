"""The interface's own middleware.

Russian unless the user switched: the browser's Accept-Language is not consulted. Our users'
browsers are often set to English while they work in Russian; the interface language is a
choice the user makes once (a cookie set by the switch in the header).
"""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils import translation


class LanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.known = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.known else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class ContentSecurityPolicyMiddleware:
    """Every page says where its scripts may come from (settings.CONTENT_SECURITY_POLICY):
    an injected <script> or an inline handler does not run even if escaping ever failed."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class SlidingSessionMiddleware:
    """A login lasts SESSION_COOKIE_AGE (30 days) from the last day it was used, so a seller
    who opens the app every working day is never asked for the password (an Argon2 check
    each) again. Renewed on the first request of each day: one write per user a day, where
    SESSION_SAVE_EVERY_REQUEST would make every page view a database write."""

    KEY = "renewed_day"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if SESSION_KEY in session and session.get(self.KEY) != today():
            # Saving the session sets its new expiry and sends the cookie again.
            session[self.KEY] = today()
        return self.get_response(request)


def today() -> int:
    return int(time.time() // 86400)


def stamp_login(sender, request, user, **kwargs) -> None:
    """A new login is fresh already: its next page need not renew it."""
    if request is not None and hasattr(request, "session"):
        request.session[SlidingSessionMiddleware.KEY] = today()
