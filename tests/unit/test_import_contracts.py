"""The import-linter contracts in pyproject.toml cover the whole core.

import-linter cannot say "any module below a top-level one" (`stylefuse.*.**` is refused), so the
public-API contracts list each sub-package; this test fails when a new sub-package is missing there.
(`lint-imports` itself runs in scripts/test.)
"""

from __future__ import annotations

from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core" / "stylefuse"


def contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {c["name"]: c for c in config["contracts"]}


def test_public_api_contracts_forbid_every_core_subpackage():
    packages = sorted(p.name for p in CORE.iterdir() if (p / "__init__.py").is_file())
    assert "pipeline" in packages
    public_api = [c for name, c in contracts().items() if "public API" in name]
    assert len(public_api) >= 2  # the napari plug-in and the server
    for contract in public_api:
        forbidden = set(contract["forbidden_modules"])
        missing = [p for p in packages if f"stylefuse.{p}.**" not in forbidden]
        assert not missing, f"{contract['name']!r}: add stylefuse.<pkg>.** for {missing}"


def test_cli_layer_contract_names_every_other_top_level_module():
    (layer,) = [c for name, c in contracts().items() if "CLI is the core's top layer" in name]
    modules = {p.stem for p in CORE.glob("*.py") if p.stem != "__init__"}
    modules |= {p.name for p in CORE.iterdir() if (p / "__init__.py").is_file()}
    missing = sorted(m for m in modules - {"cli"} if f"stylefuse.{m}" not in layer["source_modules"])
    assert not missing, f"add to the CLI layer contract's source_modules: {missing}"


def test_core_never_imports_the_plugins_or_the_server():
    (core,) = [c for name, c in contracts().items() if c["source_modules"] == ["stylefuse"]]
    assert {"stylefuse_triton", "stylefuse_napari", "stylefuse_gimp_plugin"} <= set(core["forbidden_modules"])
