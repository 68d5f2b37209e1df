"""The napari tier: real viewers (make_napari_viewer) on a virtual display (pytest-xvfb starts Xvfb).

Images are small and models are the shipped defaults, so the whole tier takes a few minutes on 2 cores.
"""

import numpy as np
import pytest

pytest.importorskip("napari", reason="the napari tier needs: pip install -e '.[napari,test]'")
pytest.importorskip("pytestqt", reason="the napari tier needs pytest-qt")

JOB_TIMEOUT_MS = 120_000


@pytest.fixture(autouse=True)
def user_models(tmp_path, monkeypatch):
    """Trained models go to a fresh user model folder (the shipped ones stay visible)."""
    folder = tmp_path / "models"
    monkeypatch.setenv("STYLEFUSE_MODELS", str(folder))
    return folder


@pytest.fixture
def notifications():
    """Messages shown as napari notifications during the test (newest last)."""
    from napari.utils.notifications import notification_manager

    seen: list[str] = []

    def record(event):
        seen.append(str(event.message if hasattr(event, "message") else event))

    notification_manager.notification_ready.connect(record)
    yield seen
    notification_manager.notification_ready.disconnect(record)


@pytest.fixture
def wait_jobs(qtbot):
    """wait_jobs(): block (processing Qt events) until every stylefuse job has ended."""
    from stylefuse_napari import jobs

    def wait(timeout: int = JOB_TIMEOUT_MS):
        qtbot.waitUntil(lambda: not jobs.active(), timeout=timeout)

    yield wait
    for job in jobs.active():  # a failing test must not leave a worker running into the next one
        job.cancel()
    qtbot.waitUntil(lambda: not jobs.active(), timeout=JOB_TIMEOUT_MS)


@pytest.fixture
def viewer(make_napari_viewer, torch_threads):
    return make_napari_viewer()


def scene_u8(h: int, w: int, seed: int = 0) -> np.ndarray:
    """An RGB uint8 picture with gradients, a disc and some noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    y, x = y / max(h - 1, 1), x / max(w - 1, 1)
    disc = ((y - 0.45) ** 2 + (x - 0.55) ** 2 < 0.09).astype(np.float32)
    rgb = np.stack([0.15 + 0.7 * x, 0.2 + 0.5 * y * (1 - disc) + 0.6 * disc, 0.8 - 0.6 * x * y], axis=-1)
    rgb += rng.normal(0.0, 0.04, rgb.shape).astype(np.float32)
    return np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def grey_u16(h: int, w: int, seed: int = 0) -> np.ndarray:
    """12-bit data in uint16 (as scanners store it)."""
    return np.round(scene_u8(h, w, seed).mean(axis=-1) / 255 * 4095).astype(np.uint16)


def ct_stack(z: int, h: int, w: int) -> np.ndarray:
    """int16 Hounsfield units: air -1000 around soft tissue ~40 and a bone ring ~1200."""
    y, x = np.mgrid[0:h, 0:w]
    r = np.hypot(y - h / 2, x - w / 2) / (min(h, w) / 2)
    stack = np.full((z, h, w), -1000, np.int16)
    for k in range(z):
        body = r < 0.8 - 0.02 * k
        stack[k][body] = 40 + 5 * k
        stack[k][(r > 0.6) & body] = 1200
    rng = np.random.default_rng(0)
    return (stack + rng.integers(-20, 20, stack.shape)).astype(np.int16)
