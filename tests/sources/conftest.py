import pytest

from tests.sources.cdrdb import Server
from tests.telephony.conftest import org  # noqa: F401


@pytest.fixture(params=["mysql", "postgres"])
def server(request):
    found = Server(request.param)
    yield found
    found.drop()


@pytest.fixture
def mariadb():
    found = Server("mysql")
    yield found
    found.drop()
