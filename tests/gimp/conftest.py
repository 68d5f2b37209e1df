import os

import pytest
from gimprun import GimpSession, gimp_root, skip_reason


@pytest.fixture(scope="session")
def server_url():
    """URL of a real stylefuse Triton server (KServe v2 HTTP)."""
    url = os.environ.get("STYLEFUSE_TEST_SERVER_URL")
    if url:
        return url.rstrip("/")
    pytest.skip("no stylefuse Triton server: set STYLEFUSE_TEST_SERVER_URL")


@pytest.fixture(scope="session")
def gimp_session():
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    session = GimpSession(gimp_root())
    yield session
    session.close()
