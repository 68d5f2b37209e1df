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


@pytest.mark.slow
def test_gpu_profile_onnx_generator_matches_torchscript(tmp_path, torch_threads):
    import torch
    from tritonclient.grpc import model_config_pb2

    from stylefuse.export import TILE_INPUTS, TILE_OUTPUT
    from stylefuse.registry import load_model
    from stylefuse_triton.bls import GENERATOR_INPUTS, GENERATOR_OUTPUT
    from stylefuse_triton.repository import write_repository

    assert (GENERATOR_INPUTS, GENERATOR_OUTPUT) == (TILE_INPUTS, TILE_OUTPUT)  # one set of names
    written = write_repository(tmp_path, MODELS, profile="gpu", generator_format="onnx")
    assert sorted(written) == sorted(MODELS + [f"{m}-generator" for m in MODELS])
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
