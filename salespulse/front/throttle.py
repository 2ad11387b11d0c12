"""Login throttling around django-axes: whose address an attempt comes from, and the page a
locked-out login gets."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind SALESPULSE_PROXY_COUNT proxies it is the address the
    outermost of ours saw, from X-Forwarded-For (the part a client cannot forge); without a
    proxy, REMOTE_ADDR. Taken naively behind nginx, every attempt would come from
    127.0.0.1, and ten wrong passwords would lock everybody out."""
    proxies = settings.SALESPULSE_PROXY_COUNT
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def locked_out(request: HttpRequest, credentials: dict | None = None, *args, **kwargs):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response: HttpResponse = render(
        request, "front/locked.html", {"cooloff_minutes": minutes}, status=429
    )
    return response
