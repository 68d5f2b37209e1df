"""The SSIM the fusion losses train with (kornia's) against scikit-image's, an independent implementation."""

import numpy as np
import pytest
import torch

from stylefuse.losses.image_ops import ssim, ssim_map


def test_ssim_map_matches_scikit_image_inside_the_borders():
    metrics = pytest.importorskip("skimage.metrics")
    rng = np.random.default_rng(0)
    x = rng.random((48, 40)).astype(np.float32)
    y = np.clip(0.7 * x + 0.3 * rng.random((48, 40)), 0, 1).astype(np.float32)
    _, reference = metrics.structural_similarity(
        x, y, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, full=True
    )
    ours = ssim_map(torch.from_numpy(x)[None, None], torch.from_numpy(y)[None, None])[0, 0].numpy()
    np.testing.assert_allclose(ours[5:-5, 5:-5], reference[5:-5, 5:-5], atol=1e-4)


def test_ssim_is_one_for_identical_images_and_differentiable():
    x = torch.rand(2, 3, 32, 32, requires_grad=True)
    assert float(ssim(x.detach(), x.detach())) == pytest.approx(1.0, abs=1e-5)
    (1 - ssim(x, torch.rand(2, 3, 32, 32))).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
