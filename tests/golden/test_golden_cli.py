"""Golden outputs of the `stylefuse` command (in-process): stylize (own style, a style image), fuse,
and 16-bit stacks through TIFF files."""

import numpy as np
import pytest
from golden import check, examples, int16_stacks, uint16_stack

from stylefuse.io import read_image, write_image


def run_cli(*argv: str) -> None:
    from stylefuse.cli import main

    assert main(["-q", *argv]) == 0


@pytest.fixture(scope="module")
def stacks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("golden-stacks")
    ct, other = int16_stacks()
    write_image(folder / "u16.tif", uint16_stack(), is_stack=True)
    write_image(folder / "ct.tif", ct, is_stack=True)
    write_image(folder / "other.tif", other, is_stack=True)
    return folder


def test_cli_stylize_default_model(tmp_path, torch_threads):
    out = tmp_path / "out.png"
    run_cli("stylize", str(examples() / "chelsea.png"), "-o", str(out))
    check("cli_stylize_default", read_image(out).array)


def test_cli_stylize_style_image(tmp_path, torch_threads):
    out = tmp_path / "out.png"
    run_cli(
        "stylize", str(examples() / "chelsea.png"), "--style", str(examples() / "udnie.jpg"), "-o", str(out)
    )
    check("cli_stylize_udnie_jpg", read_image(out).array)


def test_cli_fuse(tmp_path, torch_threads):
    out = tmp_path / "out.png"
    run_cli("fuse", str(examples() / "brain_t1.png"), str(examples() / "brain_pd.png"), "-o", str(out))
    check("cli_fuse_brain", read_image(out).array)


def test_cli_stylize_uint16_stack(tmp_path, stacks, torch_threads):
    out = tmp_path / "out.tif"
    run_cli("stylize", str(stacks / "u16.tif"), "--batch-size", "2", "-o", str(out))
    result = read_image(out).array
    assert result.dtype == np.uint16 and result.shape == uint16_stack().shape
    check("cli_stylize_uint16_stack", result)


def test_cli_fuse_int16_stacks(tmp_path, stacks, torch_threads):
    out = tmp_path / "out.tif"
    run_cli("fuse", str(stacks / "ct.tif"), str(stacks / "other.tif"), "-o", str(out))
    result = read_image(out).array
    assert result.dtype == np.int16 and result.shape == int16_stacks()[0].shape
    check("cli_fuse_int16_stacks", result)
