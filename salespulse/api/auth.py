"""Token authentication for the machine API: `Authorization: Bearer sp_…`."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from salespulse.api.models import ApiToken, hash_token


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
