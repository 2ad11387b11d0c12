"""/api/v1/: the machine API. Each feature app adds its endpoints here."""

urlpatterns: list = []
