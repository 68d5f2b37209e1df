"""`stylefuse models --server URL`: the served models, listed through the real console entry point."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize("url", ["grpc_url", "http_url"])
def test_models_server_lists_the_served_models(triton_server, capsys, url):
    from stylefuse.cli import main

    address = getattr(triton_server, url)
    assert main(["models", "--server", address]) == 0
    table = capsys.readouterr().out
    for word in ("name", "task", "channels", "udnie", "fuse-medical", address):
        assert word in table
    assert main(["models", "--server", address, "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    by_name = {m["name"]: m for m in listing}
    assert by_name["udnie"]["task"] == "style" and by_name["fuse-medical"]["task"] == "fuse"
