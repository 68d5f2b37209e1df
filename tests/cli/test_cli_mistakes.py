"""The `stylefuse` console script, run for real, on user mistakes: one line on stderr naming the problem,
exit code 2, no traceback, inputs untouched, no output written."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import SHIPPED_STYLE, run, sha256

# ---------------------------------------------------------------------------------- user mistakes

# (id, argv template, words the one-line message must contain, input keys whose hashes must not change)
# {out} is a fresh output path in a temporary folder; {key} is an input file.
MISTAKES = [
    ("missing-input", ["stylize", "{tmp}/nope.png", "-o", "{out}"], ["nope.png", "not found"], []),
    ("input-is-folder", ["stylize", "{tmp}", "-o", "{out}"], ["folder"], []),
    ("corrupt-input", ["stylize", "{corrupt}", "-o", "{out}"], ["corrupt.png"], ["corrupt"]),
    (
        "corrupt-style-image",
        ["stylize", "{rgb8}", "--style", "{corrupt}", "-o", "{out}"],
        ["corrupt.png"],
        ["rgb8", "corrupt"],
    ),
    (
        "corrupt-mask",
        ["stylize", "{rgb8}", "--mask", "{corrupt}", "-o", "{out}"],
        ["corrupt.png"],
        ["rgb8", "corrupt"],
    ),
    (
        "unknown-model",
        ["stylize", "{rgb8}", "--style", "no-such-model", "-o", "{out}"],
        ["unknown model", "no-such-model"],
        ["rgb8"],
    ),
    (
        "model-name-is-a-path",
        ["fuse", "{grey_a}", "{grey_b}", "--model", "../../etc", "-o", "{out}"],
        ["invalid model name"],
        ["grey_a", "grey_b"],
    ),
    (
        "wrong-task-model",
        ["fuse", "{grey_a}", "{grey_b}", "--model", SHIPPED_STYLE, "-o", "{out}"],
        [SHIPPED_STYLE, "fuse"],
        ["grey_a", "grey_b"],
    ),
    (
        "missing-style-image",
        ["stylize", "{rgb8}", "--style", "{tmp}/painting.jpg", "-o", "{out}"],
        ["style image", "painting.jpg", "not found"],
        ["rgb8"],
    ),
    ("output-is-input", ["stylize", "{rgb8}", "-o", "{rgb8}"], ["is the input file", "rgb8.png"], ["rgb8"]),
    (
        "output-is-second-input",
        ["fuse", "{grey_a}", "{grey_b}", "-o", "{grey_b}"],
        ["is the input file"],
        ["grey_a", "grey_b"],
    ),
    (
        "output-folder-missing",
        ["stylize", "{rgb8}", "-o", "{tmp}/no/such/dir/out.png"],
        ["output folder", "does not exist"],
        ["rgb8"],
    ),
    (
        "unsupported-extension",
        ["stylize", "{rgb8}", "-o", "{tmp}/out.bmp"],
        ["unsupported output file type", ".bmp"],
        ["rgb8"],
    ),
    (
        "strength-out-of-range",
        ["stylize", "{rgb8}", "--strength", "1.5", "-o", "{out}"],
        ["strength", "1.5"],
        ["rgb8"],
    ),
    (
        "strength-not-a-number",
        ["stylize", "{rgb8}", "--strength", "lots", "-o", "{out}"],
        ["strength", "lots"],
        ["rgb8"],
    ),
    (
        "mask-shape-mismatch",
        ["stylize", "{rgb8}", "--mask", "{mask_small}", "-o", "{out}"],
        ["mask", "20×20", "40×56"],
        ["rgb8", "mask_small"],
    ),
    (
        "fusion-shape-mismatch",
        ["fuse", "{grey_a}", "{grey_small}", "-o", "{out}"],
        ["differ in size", "--resample"],
        ["grey_a", "grey_small"],
    ),
    (
        "jpeg-for-16-bit",
        ["stylize", "{rgb16}", "-o", "{tmp}/out.jpg"],
        ["JPEG", "8-bit", "uint16"],
        ["rgb16"],
    ),
    ("stack-to-png", ["stylize", "{stack}", "-o", "{out}"], ["stack", "3 slices"], ["stack"]),
    ("missing-output-option", ["stylize", "{rgb8}"], ["-o/--output"], ["rgb8"]),
    ("eval-not-triples", ["eval", "{grey_a}", "{grey_b}"], ["triples"], ["grey_a", "grey_b"]),
    (
        "eval-shape-mismatch",
        ["eval", "{grey_a}", "{grey_b}", "{grey_small}"],
        ["one size"],
        ["grey_a", "grey_b", "grey_small"],
    ),
    (
        "eval-image-too-small",
        ["eval", "{grey_a}", "{grey_a}", "{grey_b}"],
        ["grey_a.png", "41×41"],
        ["grey_a", "grey_b"],
    ),
    ("export-into-nonempty-folder", ["export", SHIPPED_STYLE, "-o", "{tmp}"], ["holds other files"], []),
    (
        "export-unknown-model",
        ["export", "nonexistent", "-o", "{tmp}/m"],
        ["unknown model", "nonexistent"],
        [],
    ),
    (
        "no-palette-over-server",
        ["stylize", "{rgb8}", "--server", "http://127.0.0.1:9", "--no-palette", "-o", "{out}"],
        ["--no-palette", "in-process"],
        ["rgb8"],
    ),
    (
        "unknown-option",
        ["fuse", "{grey_a}", "{grey_b}", "--fast", "-o", "{out}"],
        ["unrecognized", "--fast"],
        ["grey_a"],
    ),
]


@pytest.mark.parametrize("argv,words,keys", [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_user_mistake(argv, words, keys, inputs, env, tmp_path):
    out = tmp_path / "out.png"
    (tmp_path / "keep.txt").write_text("an unrelated file\n")
    fill = {k: str(v) for k, v in inputs.items() if isinstance(v, Path)}
    fill.update(out=str(out), tmp=str(tmp_path))
    hashes = {k: sha256(inputs[k]) for k in keys}
    before = sorted(p.name for p in tmp_path.iterdir())
    res = run([a.format(**fill) for a in argv], env)
    assert res.returncode == 2, f"exit {res.returncode}\nstdout: {res.stdout}\nstderr: {res.stderr}"
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("stylefuse: error: ")
    for word in words:
        assert word.format(**fill) in lines[0], f"{word!r} not in {lines[0]!r}"
    assert {k: sha256(inputs[k]) for k in keys} == hashes
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written, no temporary left


def test_at_least_ten_mistakes_are_checked():
    assert len(MISTAKES) >= 10
