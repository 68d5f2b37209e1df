"""A video's parts through a real tritonserver (`--server` with a clip): TritonRunner.stylize_parts and
fuse_parts give LocalRunner's frames; synthesis of a clip is refused there (it runs in-process)."""

import numpy as np
import pytest

from stylefuse.errors import UserError


@pytest.fixture(scope="module")
def runners(triton_server):
    pytest.importorskip("tritonclient.grpc")
    from stylefuse.runner import LocalRunner, make_runner

    remote = make_runner(triton_server.grpc_url)
    yield remote, LocalRunner("cpu")
    remote.close()


def clip(n=6, h=24, w=32, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.random((h, w, 3)) * 200
    return np.clip(np.rint([base + rng.normal(0, 3, base.shape) + 4 * k for k in range(n)]), 0, 255).astype(
        np.uint8
    )


def parts(frames: np.ndarray) -> list[np.ndarray]:
    return [frames[:4], frames[4:]]


def test_stylize_parts_match_in_process(runners):
    remote, local = runners
    frames = clip()
    want = np.concatenate(list(local.stylize_parts(parts(frames), model="udnie", steady=True)))
    got = np.concatenate(list(remote.stylize_parts(parts(frames), model="udnie", steady=True, batch_size=2)))
    np.testing.assert_array_equal(got, want)


def test_fuse_parts_match_in_process(runners):
    remote, local = runners
    a, b = clip(seed=1), clip(seed=2)
    pairs = lambda: zip(parts(a), parts(b), strict=True)  # noqa: E731
    want = np.concatenate(list(local.fuse_parts(pairs(), model="fuse-general")))
    got = np.concatenate(list(remote.fuse_parts(pairs(), model="fuse-general", batch_size=3)))
    np.testing.assert_array_equal(got, want)


def test_synthesis_of_a_clip_is_refused_by_a_server(runners):
    remote, _ = runners
    painting = np.round(np.random.default_rng(5).random((40, 40, 3)) * 255).astype(np.uint8)
    with pytest.raises(UserError, match="in-process"):
        next(remote.stylize_parts(parts(clip()), reference=painting, method="synthesis", synthesis_size=64))
