"""The GPU profile with the ONNX generator (`--generator-format onnx`): the configs parse as Triton's
ModelConfig, the ONNX file takes the tensors the config names (BLS sends the same names) and gives the
TorchScript generator's output."""

import numpy as np
import pytest

pytest.importorskip("tritonclient.grpc", reason="install the serve extra: pip install 'stylefuse[serve]'")
ort = pytest.importorskip("onnxruntime", reason="install the export extra: pip install 'stylefuse[export]'")
pytest.importorskip("onnxscript", reason="install the export extra: pip install 'stylefuse[export]'")

MODELS = ["fuse-medical", "udnie"]  # one per task (the ONNX export of each takes a while)


def _config(path):
    from google.protobuf import text_format
    from tritonclient.grpc import model_config_pb2

    return text_format.Parse(path.read_text(), model_config_pb2.ModelConfig())


@pytest.fixture(scope="module")
def onnx_repo(tmp_path_factory):
    from stylefuse_triton.repository import write_repository

    root = tmp_path_factory.mktemp("repo")
    written = write_repository(root, MODELS, profile="gpu", generator_format="onnx")
    assert sorted(written) == sorted(MODELS + [f"{m}-generator" for m in MODELS])
    return root


@pytest.mark.slow
def test_gpu_profile_onnx_generator_matches_torchscript(onnx_repo, torch_threads):
    import torch
    from tritonclient.grpc import model_config_pb2

    from stylefuse.export import TILE_INPUTS, TILE_OUTPUT
    from stylefuse.registry import load_model
    from stylefuse_triton.bls import GENERATOR_INPUTS, GENERATOR_OUTPUT

    tmp_path = onnx_repo
    assert (GENERATOR_INPUTS, GENERATOR_OUTPUT) == (TILE_INPUTS, TILE_OUTPUT)  # one set of names
    type_names = {v: k for k, v in model_config_pb2.DataType.items()}
    for name in MODELS:
        pipeline = _config(tmp_path / name / "config.pbtxt")
        assert pipeline.parameters["generator_model"].string_value == f"{name}-generator"
        folder = tmp_path / f"{name}-generator"
        cfg = _config(folder / "config.pbtxt")
        assert cfg.platform == "onnxruntime_onnx" and cfg.default_model_filename == "model.onnx"
        assert [g.kind for g in cfg.instance_group] == [model_config_pb2.ModelInstanceGroup.KIND_GPU]
        assert cfg.HasField("dynamic_batching") and cfg.max_batch_size >= 2
        assert sorted(p.name for p in (folder / "1").iterdir()) == ["model.onnx"]
        session = ort.InferenceSession(str(folder / "1" / "model.onnx"), providers=["CPUExecutionProvider"])
        assert [i.name for i in cfg.input] == [i.name for i in session.get_inputs()]
        assert [o.name for o in cfg.output] == [o.name for o in session.get_outputs()]
        feeds = {}
        for i in cfg.input:
            assert type_names[i.data_type] == "TYPE_FP32"
            feeds[i.name] = np.random.default_rng(0).random(
                (2, *[45 if d == -1 else d for d in i.dims]), np.float32
            )
        (out,) = session.run(None, feeds)
        (output,) = cfg.output
        assert list(out.shape) == [2] + [45 if d == -1 else d for d in output.dims]
        loaded = load_model(name)
        a, b = (torch.from_numpy(feeds[i.name]) for i in cfg.input)
        with torch.inference_mode():
            want = loaded.module.forward_code(a, b) if loaded.task == "style" else loaded.module(a, b)
        assert np.abs(out - want.numpy()).max() <= 1e-4


class _OnnxTriton:
    """A stand-in for pb_utils' BLS calls that runs the repository's ONNX generator with onnxruntime."""

    def __init__(self, path):
        self.session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        self.calls = []
        outer = self

        class Tensor:
            def __init__(self, name, array):
                self.name, self.array = name, array

            def as_numpy(self):
                return self.array

            def is_cpu(self):
                return True

        class Response:
            def __init__(self, out=None, error=None):
                self.out, self.err = out, error

            def has_error(self):
                return self.err is not None

            def error(self):
                return type("E", (), {"message": lambda _: self.err})()

        class InferenceRequest:
            def __init__(self, model_name, inputs, requested_output_names):
                self.inputs = inputs

            def exec(self):
                feeds = {t.name: t.array for t in self.inputs}
                outer.calls.append(feeds["SOURCE__0"].shape)
                try:
                    return Response(outer.session.run(None, feeds)[0])
                except Exception as exc:  # onnxruntime's errors, as Triton would report them
                    return Response(error=str(exc).splitlines()[0])

        self.Tensor, self.InferenceRequest = Tensor, InferenceRequest

    @staticmethod
    def get_output_tensor_by_name(response, name):
        return type("T", (), {"as_numpy": lambda _: response.out, "is_cpu": lambda _: True})()


@pytest.mark.slow
def test_pipeline_through_the_onnx_generator_matches_local(onnx_repo, torch_threads):
    """What the pipeline model does on a GPU host with --generator-format onnx: its tiles (several, with
    --tile-size 128) and the style code go to the ONNX model by BLS; the result is the local one
    (<= 1e-3, the GPU check's tolerance); an image under min_side gets a clear error."""
    from stylefuse.errors import UserError
    from stylefuse.pipeline import fuse, stylize
    from stylefuse.registry import load_model
    from stylefuse_triton.bls import bls_model

    rng = np.random.default_rng(0)
    style = load_model("udnie")
    triton = _OnnxTriton(onnx_repo / "udnie-generator" / "1" / "model.onnx")
    image = rng.random((300, 451, 3), np.float32)
    got = stylize(image, bls_model(style, "udnie-generator", triton), tile_size=128)
    assert len(set(triton.calls)) > 1  # tiled
    assert np.abs(got - stylize(image, style, tile_size=128)).max() <= 1e-3
    with pytest.raises(UserError, match="failed on this input"):
        stylize(rng.random((16, 16, 3), np.float32), bls_model(style, "udnie-generator", triton))

    fusion = load_model("fuse-medical")
    triton = _OnnxTriton(onnx_repo / "fuse-medical-generator" / "1" / "model.onnx")
    a, b = rng.random((2, 97, 130), np.float32)
    got = fuse(a, b, bls_model(fusion, "fuse-medical-generator", triton))
    assert np.abs(got - fuse(a, b, fusion)).max() <= 1e-3


def test_onnx_generator_uses_the_model_folders_file(tmp_path):
    from stylefuse_triton.repository import onnx_generator

    (tmp_path / "model.onnx").write_bytes(b"onnx bytes")
    card = {"task": "fuse", "channels": 1, "formats": {"torchscript": {}, "onnx": {"file": "model.onnx"}}}
    assert onnx_generator(tmp_path, card) == tmp_path / "model.onnx"


def test_onnx_generator_refuses_fp16_cpu_and_unknown_formats(tmp_path):
    from stylefuse.errors import UserError
    from stylefuse_triton.repository import write_repository

    with pytest.raises(UserError, match="fp16"):
        write_repository(
            tmp_path / "repo", ["fuse-medical"], profile="gpu", fp16=True, generator_format="onnx"
        )
    with pytest.raises(UserError, match="gpu profile"):
        write_repository(tmp_path / "repo", ["fuse-medical"], profile="cpu", generator_format="onnx")
    with pytest.raises(UserError, match="unknown generator format"):
        write_repository(tmp_path / "repo", ["fuse-medical"], profile="gpu", generator_format="tflite")
    assert not (tmp_path / "repo").exists()
