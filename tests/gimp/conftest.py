import importlib.util
import os
from pathlib import Path

import pytest
from gimprun import GimpSession, gimp_root, skip_reason

# The real tritonserver fixtures of the server tier (tests/server/conftest.py), shared rather than copied.
_spec = importlib.util.spec_from_file_location("stylefuse_server_fixtures",
                                               Path(__file__).resolve().parents[1] / "server" / "conftest.py")
_server_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_server_fixtures)
triton_repo = _server_fixtures.triton_repo
triton_server = _server_fixtures.triton_server


@pytest.fixture(scope="session")
def server_url(request):
    """URL of a real stylefuse Triton server (KServe v2 HTTP): $STYLEFUSE_TEST_SERVER_URL, else one started here."""
    url = os.environ.get("STYLEFUSE_TEST_SERVER_URL")
    if url:
        return url.rstrip("/")
    return request.getfixturevalue("triton_server").http_url.rstrip("/")


@pytest.fixture(scope="session")
def gimp_session():
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    session = GimpSession(gimp_root())
    yield session
    session.close()
