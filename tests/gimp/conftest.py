import os

import pytest
from gimprun import GimpSession, gimp_root, skip_reason


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
