"""docs/serving.md states the wire contract of `stylefuse.protocol`: every tensor and parameter name."""

from pathlib import Path

from stylefuse import protocol

DOC = Path(__file__).resolve().parents[2] / "docs" / "serving.md"


def test_serving_doc_lists_every_tensor_and_parameter():
    text = DOC.read_text()
    contract = text[text.index("## Wire contract") :]
    names = [*protocol.INPUT_NAMES, *protocol.OUTPUT_NAMES, *protocol.MODEL_PARAMETERS.values()]
    missing = [n for n in names if f"`{n}`" not in contract]
    assert not missing, f"docs/serving.md's wire contract does not name {missing}"
    for dtype, (triton, _dims) in protocol.SCALAR_INPUTS.items():  # each scalar's row gives its dtype
        row = next(line for line in contract.splitlines() if line.startswith(f"| `{dtype}`"))
        assert triton in row, f"{dtype}: {row}"
    assert f"max_batch_size: {protocol.MAX_BATCH_SIZE}" in contract
    assert "INVALID_ARGUMENT" in contract and "UNAVAILABLE" in contract
