"""Fixtures of the golden tier; the Triton server is the session one of tests/conftest.py."""

import pytest


@pytest.fixture
def wait_jobs(qtbot):
    """wait_jobs(): block (processing Qt events) until every stylefuse napari job has ended."""
    from stylefuse_napari import jobs

    def wait(timeout: int = 300_000):
        qtbot.waitUntil(lambda: not jobs.active(), timeout=timeout)

    yield wait
    for job in jobs.active():
        job.cancel()
    qtbot.waitUntil(lambda: not jobs.active(), timeout=300_000)
