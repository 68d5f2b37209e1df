"""GPU profile: the pipeline model calls the generator, its own `pytorch_libtorch` model, through BLS.

`bls_model(loaded, name, pb_utils)` returns a LoadedModel-like object whose module sends every tile
batch to the generator model; the style encoder (one small call per request) stays in the python
model. The pipeline duck-types its model (see stylefuse.pipeline.loading), so this is the only
difference between the CPU and GPU profiles: the pipeline itself is the same code.
"""

from dataclasses import dataclass

import torch

GENERATOR_INPUTS = {"style": ("SOURCE__0", "CODE__1"), "fuse": ("SOURCE__0", "REFERENCE__1")}
GENERATOR_OUTPUT = "OUTPUT__0"


class BlsGenerator:
    def __init__(self, local, generator_model: str, task: str, pb_utils):
        self.local, self.name, self.task, self.pb = local, generator_model, task, pb_utils

    def _infer(self, *tensors: torch.Tensor) -> torch.Tensor:
        pb = self.pb
        names = GENERATOR_INPUTS[self.task]
        inputs = [
            pb.Tensor(n, t.detach().float().contiguous().cpu().numpy())
            for n, t in zip(names, tensors, strict=True)
        ]
        response = pb.InferenceRequest(
            model_name=self.name, inputs=inputs, requested_output_names=[GENERATOR_OUTPUT]
        ).exec()
        if response.has_error():
            raise RuntimeError(f"generator model {self.name!r}: {response.error().message()}")
        out = pb.get_output_tensor_by_name(response, GENERATOR_OUTPUT)
        if out.is_cpu():
            return torch.from_numpy(out.as_numpy())
        return torch.from_dlpack(out.to_dlpack()).cpu()

    # the calls stylefuse.pipeline makes on a model's module
    def forward_code(self, source: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        return self._infer(source, code.expand(source.shape[0], -1))

    def __call__(self, source: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        return self._infer(source, reference)

    def encode_style(self, reference: torch.Tensor) -> torch.Tensor:
        return self.local.encode_style(reference)

    def default_style(self, batch: int) -> torch.Tensor:
        return self.local.default_style(batch)


@dataclass
class BlsModel:
    name: str
    card: dict
    module: BlsGenerator

    task = property(lambda self: self.card["task"])
    channels = property(lambda self: int(self.card["channels"]))
    spatial_multiple = property(lambda self: int(self.card.get("spatial_multiple", 4)))
    receptive_radius = property(lambda self: int(self.card.get("receptive_radius", 64)))

    @property
    def needs_reference(self) -> bool:
        return self.task == "fuse" or not self.card.get("has_default_style", False)


def bls_model(loaded, generator_model: str, pb_utils) -> BlsModel:
    return BlsModel(
        loaded.name, loaded.card, BlsGenerator(loaded.module, generator_model, loaded.task, pb_utils)
    )
