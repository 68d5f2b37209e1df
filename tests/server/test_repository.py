"""The repository writer: config.pbtxt parses as Triton's ModelConfig; the GPU profile matches the TorchScript."""

import pytest

pytest.importorskip("tritonclient.grpc", reason="install the serve extra: pip install 'stylefuse[serve]'")


def _config(path):
    from google.protobuf import text_format
    from tritonclient.grpc import model_config_pb2

    return text_format.Parse(path.read_text(), model_config_pb2.ModelConfig())


@pytest.mark.parametrize("profile", ["cpu", "gpu"])
def test_pipeline_model_config(tmp_path, profile):
    from stylefuse.protocol import DTYPES, MAX_BATCH_SIZE
    from stylefuse.registry import list_models
    from stylefuse_triton.repository import write_repository

    written = write_repository(tmp_path, profile=profile)
    for entry in list_models():
        assert entry.name in written
        cfg = _config(tmp_path / entry.name / "config.pbtxt")
        assert cfg.name == entry.name and cfg.backend == "python" and cfg.max_batch_size == MAX_BATCH_SIZE
        assert cfg.HasField("dynamic_batching")
        inputs = {i.name: i for i in cfg.input}
        for dt in DTYPES:
            assert list(inputs[f"SOURCE_{dt}"].dims) == [-1, -1, -1] and inputs[f"SOURCE_{dt}"].optional
            assert list(inputs[f"REFERENCE_{dt}"].dims) == [-1, -1, -1]
        assert list(inputs["MASK"].dims) == [-1, -1] and list(inputs["VALUE_RANGE"].dims) == [2]
        assert {o.name for o in cfg.output} == {f"OUTPUT_{dt}" for dt in DTYPES}
        params = {k: v.string_value for k, v in cfg.parameters.items()}
        assert params["task"] == entry.task and params["stylefuse_model"] == entry.name
        assert params["channels"] == str(entry.card["channels"])
        assert (tmp_path / entry.name / "1" / "model.pt").is_file()
        assert (tmp_path / entry.name / "1" / "model.py").read_text().count("stylefuse_triton.backend")
        if profile == "cpu":
            assert len(cfg.model_warmup) == 1
        else:
            assert params["generator_model"] == f"{entry.name}-generator"


@pytest.mark.parametrize("fp16", [False, True])
def test_gpu_generator_matches_torchscript(tmp_path, fp16, torch_threads):
    import torch
    from tritonclient.grpc import model_config_pb2

    from stylefuse.registry import list_models, load_model
    from stylefuse_triton.repository import write_repository

    write_repository(tmp_path, profile="gpu", fp16=fp16)
    type_names = {v: k for k, v in model_config_pb2.DataType.items()}
    for entry in list_models():
        cfg = _config(tmp_path / f"{entry.name}-generator" / "config.pbtxt")
        assert cfg.platform == "pytorch_libtorch"
        assert [g.kind for g in cfg.instance_group] == [model_config_pb2.ModelInstanceGroup.KIND_GPU]
        scripted = torch.jit.load(str(tmp_path / f"{entry.name}-generator" / "1" / "model.pt"))
        args = [a.name for a in scripted.forward.schema.arguments][1:]  # drop self
        assert len(args) == len(cfg.input) == 2
        assert [i.name.split("__")[0].lower() for i in cfg.input] == args  # SOURCE__0 <-> source, ...
        assert [int(i.name.split("__")[1]) for i in cfg.input] == [0, 1]
        if fp16:
            continue  # half-precision convolutions need the GPU; the config is checked above
        tensors = []
        for i in cfg.input:
            assert type_names[i.data_type] == "TYPE_FP32"
            tensors.append(torch.rand(2, *[32 if d == -1 else d for d in i.dims]))
        out = scripted(*tensors)
        (output,) = cfg.output
        assert list(out.shape) == [2] + [32 if d == -1 else d for d in output.dims]
        loaded = load_model(entry.name)
        if entry.task == "style":
            want = loaded.module.forward_code(tensors[0], tensors[1])
        else:
            want = loaded.module(tensors[0], tensors[1])
        assert torch.allclose(out, want, atol=1e-6)


@pytest.mark.parametrize(
    "profile, instances, preferred, delay",
    [("cpu", 1, [], 1000), ("cpu", 2, [4], 0), ("cpu", 3, [3], 0), ("gpu", 2, [], 1000)],
)
def test_instances_share_a_burst(tmp_path, profile, instances, preferred, delay):
    """CPU instances take at most their share of a full burst (max_batch_size / instances), with no
    queue delay (Triton honours preferred sizes only while the oldest request waited less than it)."""
    from stylefuse_triton.repository import write_repository

    write_repository(tmp_path, ["udnie"], profile=profile, instances=instances)
    batching = _config(tmp_path / "udnie" / "config.pbtxt").dynamic_batching
    assert list(batching.preferred_batch_size) == preferred
    assert batching.max_queue_delay_microseconds == delay


def test_torch_threads_share_the_cores(monkeypatch):
    import os

    from stylefuse_triton.repository import torch_threads_per_instance

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert torch_threads_per_instance(1) == 0  # torch's own default: every core
    assert [torch_threads_per_instance(n) for n in (2, 3, 4, 8)] == [2, 1, 1, 1]
