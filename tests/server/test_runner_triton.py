"""TritonRunner against the session's real tritonserver: the same calls give LocalRunner's result."""

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


def stack(z=4, h=20, w=24, seed=0):
    rng = np.random.default_rng(seed)
    return np.round(rng.random((z, h, w)) * 4095).astype(np.uint16)


def test_defaults_and_model_checks(runners):
    remote, local = runners
    assert remote.default_model("style") == local.default_model("style")
    assert remote.default_model("fuse") == local.default_model("fuse")
    with pytest.raises(UserError, match="not served"):
        remote.stylize(stack(), model="no-such-model")
    with pytest.raises(UserError, match="is a 'fuse' model"):
        remote.stylize(stack(), model="fuse-medical")
    with pytest.raises(UserError, match="unknown method"):
        remote.stylize(stack(), method="magic")
    with pytest.raises(UserError, match="in-process"):
        remote.stylize(stack(), palette=False)


def test_one_mask_and_one_style_image_for_a_stack(runners):
    """A 2-D mask and a style image with a stack sent 2 slices a request (Triton refused these before)."""
    remote, local = runners
    data = stack()
    mask = np.zeros(data.shape[1:], np.float32)
    mask[4:16, 6:20] = 1
    reference = np.round(np.random.default_rng(3).random((32, 32, 3)) * 255).astype(np.uint8)
    for options in ({"mask": mask, "strength": 0.8}, {"reference": reference}):
        want = local.stylize(data, is_stack=True, **options)
        got = remote.stylize(data, is_stack=True, batch_size=2, **options)
        np.testing.assert_array_equal(got, want)


def test_fuse_with_a_value_range(runners):
    remote, local = runners
    a, b = stack(seed=1), stack(seed=2)
    want = local.fuse(a, b, is_stack=True, value_range=(0, 5000))
    np.testing.assert_array_equal(remote.fuse(a, b, is_stack=True, value_range=(0, 5000), batch_size=3), want)


def test_synthesis_through_the_server(runners):
    remote, local = runners
    image = np.round(np.random.default_rng(4).random((24, 28, 3)) * 255).astype(np.uint8)
    painting = np.round(np.random.default_rng(5).random((40, 40, 3)) * 255).astype(np.uint8)
    want = local.stylize(image, reference=painting, method="synthesis", synthesis_size=64)
    got = remote.stylize(image, reference=painting, method="synthesis", synthesis_size=64)
    assert np.abs(got.astype(int) - want).max() <= 1
