"""docker/Dockerfile, checked as far as a machine without a docker daemon allows: every instruction is
a Dockerfile instruction, the base image is NVIDIA's Triton image at a pinned release, nothing is
installed when the container starts, the files it copies exist (and are not dockerignored), and the
model repository it writes at build time comes from the command and function the tests use."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "docker" / "Dockerfile"
INSTRUCTIONS = {
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
}
# Triton release -> the CUDA of its image (NVIDIA's release notes); torch's wheel index must match it
TRITON_CUDA = {"25.10": "130"}


def parse(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction: comments dropped, backslash continuations joined."""
    out, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = pending + stripped
        pending = ""
        keyword, _, rest = full.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    assert not pending, "the Dockerfile ends inside a continued line"
    return out


@pytest.fixture(scope="module")
def instructions() -> list[tuple[str, str]]:
    assert DOCKERFILE.is_file(), "docker/Dockerfile is missing"
    return parse(DOCKERFILE.read_text())


def _args(instructions) -> dict[str, str]:
    found = {}
    for keyword, rest in instructions:
        if keyword == "ARG" and "=" in rest:
            name, _, value = rest.partition("=")
            found[name.strip()] = value.strip().strip('"')
    return found


def _expand(text: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), text)


def test_every_line_is_an_instruction(instructions):
    unknown = [k for k, _ in instructions if k not in INSTRUCTIONS]
    assert not unknown, f"not Dockerfile instructions: {unknown}"
    assert all(rest for _, rest in instructions), "an instruction without arguments"
    first = next(k for k, _ in instructions if k != "ARG")
    assert first == "FROM" and sum(k == "FROM" for k, _ in instructions) == 1


def test_base_is_a_pinned_triton_release_and_torch_matches_its_cuda(instructions):
    args = _args(instructions)
    image = _expand(next(rest for k, rest in instructions if k == "FROM"), args)
    match = re.fullmatch(r"nvcr\.io/nvidia/tritonserver:(\d{2}\.\d{2})-py3", image)
    assert match, f"FROM {image}: NVIDIA's Triton image at a yy.mm-py3 release (not latest)"
    assert match.group(1) in TRITON_CUDA, f"add Triton {match.group(1)}'s CUDA to TRITON_CUDA"
    runs = [_expand(rest, args) for k, rest in instructions if k == "RUN"]
    torch_runs = [r for r in runs if re.search(r"pip install [^&]*\"?torch==", r)]
    assert len(torch_runs) == 1, "torch is installed once, pinned, at build time"
    assert f"/whl/cu{TRITON_CUDA[match.group(1)]}" in torch_runs[0], (
        "torch's CUDA build must match the image's"
    )
    assert re.search(r"torch==\d+\.\d+\.\d+", torch_runs[0])


def test_nothing_is_installed_at_start(instructions):
    starts = [(k, rest) for k, rest in instructions if k in ("CMD", "ENTRYPOINT")]
    assert [k for k, _ in starts] == ["CMD"]
    cmd = json.loads(starts[0][1])  # exec form: no shell at start
    assert cmd[0] == "tritonserver" and not any(
        w in " ".join(cmd) for w in ("pip", "install", "conda", "apt")
    )


def test_copied_sources_exist_and_are_not_dockerignored(instructions):
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    copied = set()
    for keyword, rest in instructions:
        if keyword in ("COPY", "ADD"):
            assert not rest.startswith("--from"), "one stage: everything comes from the checkout"
            *sources, _dest = shlex.split(rest)
            for src in sources:
                assert (ROOT / src).exists(), f"COPY {src}: not in the checkout"
                assert src not in ignored and src.split("/")[0] not in ignored, f"COPY {src} is dockerignored"
                copied.add(src)
    # what `pip install .` needs: pyproject's package folders, its readme and licence files, setup.py
    needed = {
        "pyproject.toml",
        "setup.py",
        "README.md",
        "LICENSE",
        "NOTICE",
        "core",
        "server_triton",
        "plugin_napari",
        "gimp_plugin",
    }
    assert needed <= copied, f"not copied: {sorted(needed - copied)}"


def test_the_repository_is_written_by_the_tested_command(instructions, monkeypatch, tmp_path):
    """The build's `stylefuse export --triton-repo` parses with the real CLI and reaches the
    repository writer that tests/server/test_repository.py checks, with the GPU profile, in the
    folder tritonserver serves."""
    from importlib.metadata import entry_points

    import stylefuse_triton.repository as repository
    from stylefuse.cli import main

    runs = [rest for k, rest in instructions if k == "RUN" and "--triton-repo" in rest]
    assert len(runs) == 1
    argv = shlex.split(runs[0])
    assert argv[0] == "stylefuse"
    cmd = json.loads(next(rest for k, rest in instructions if k == "CMD"))
    served = next(a.split("=", 1)[1] for a in cmd if a.startswith("--model-repository="))
    assert argv[argv.index("--triton-repo") + 1] == served
    (ep,) = [e for e in entry_points(group="stylefuse.commands") if e.name == "export-triton-repo"]
    assert ep.value == "stylefuse_triton.commands:write_triton_repo"

    calls = []
    monkeypatch.setattr(repository, "write_repository", lambda *a, **kw: calls.append((a, kw)) or ["m"])
    assert main(argv[1:]) == 0
    ((args, kwargs),) = calls
    assert args == (served, None)  # every installed model, into the served folder
    assert kwargs == {"profile": "gpu", "fp16": False, "generator_format": "torchscript"}
