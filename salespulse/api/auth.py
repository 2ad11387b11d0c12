"""Token authentication for the machine API: `Authorization: Bearer sp_…`."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from salespulse.api.models import ApiToken, hash_token
from salespulse.lib.tabular import storable


def error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def token_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sets request.user from a valid token; 401 otherwise. Views still check what it may do."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return error(401, "Missing token: send 'Authorization: Bearer <token>'")
        try:
            found = ApiToken.objects.select_related("user").get(
                token_hash=hash_token(token.strip())
            )
        except ApiToken.DoesNotExist:
            return error(401, "Invalid token")
        if not found.user.is_active:
            return error(401, "Invalid token")
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.user
        return view(request, *args, **kwargs)

    return wrapper


class BodyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message

    def response(self) -> JsonResponse:
        return error(self.status, self.message)


def json_body(request: HttpRequest, **loads: object) -> object:
    """The request's JSON, read up to settings.SALESPULSE_API_MAX_BODY bytes.

    Not `request.body`: Django's 2.5 MiB form limit would refuse the documented
    10 000-call batch with an HTML page. Too big, not JSON, or nested deeper than the
    parser goes: a BodyError with the JSON answer to give.
    """
    import json

    from django.conf import settings

    limit = settings.SALESPULSE_API_MAX_BODY
    data = request.read(limit + 1)
    if len(data) > limit:
        raise BodyError(413, f"The body is over {limit // 2**20} MiB: send smaller batches")
    try:
        return _storable(json.loads(data or b"null", **loads))
    except (ValueError, UnicodeDecodeError):
        raise BodyError(400, "The body is not JSON") from None
    except RecursionError:
        raise BodyError(400, "The JSON is nested too deeply") from None


def _storable(value: Any) -> Any:
    """Strings as a file's cells are read: "\\u0000" and a lone "\\ud800" are valid JSON
    but no database column holds them (a 500 on PostgreSQL), so they become U+FFFD."""
    if isinstance(value, str):
        return storable(value)[0]
    if isinstance(value, list):
        return [_storable(v) for v in value]
    if isinstance(value, dict):
        return {storable(k)[0]: _storable(v) for k, v in value.items()}
    return value
