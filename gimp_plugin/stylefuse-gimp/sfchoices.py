"""The models the plug-in offers in its Model choice (standard library only).

GIMP keeps a procedure's arguments as they were when it registered the plug-in (at the first start
after an install or update), and validates every call against them: a model missing from the choice
then cannot be passed at all. So the list is the union of what is known at registration and kept in
a cache, and every later run offers at least the same names:
  - the models `stylefuse gimp-install` recorded (installed.json),
  - at registration, `stylefuse models --json` of the recorded core (models added since the install),
  - the models of a server answering at the default URL,
  - the cache those were written to at registration.
New models appear after GIMP registers the plug-in again: run `stylefuse gimp-install` again.
"""

import json
import os

import sfclient
import sflocal

CACHE_NAME = "stylefuse-gimp-models.json"
DEFAULT = "default"  # the choice's first entry: the server's (or the installation's) default model


def server_models(url=sfclient.DEFAULT_URL, timeout=0.5):
    """[(name, task, has_default_style, default)] of a server answering quickly at url, else []."""
    try:
        client = sfclient.Client(url, connect_timeout=timeout)
        if not client.is_ready():  # quick: whatever listens there must answer within the timeout
            return []
        return [(m.name, m.task, m.has_default_style, m.default) for m in client.models()]
    except (sfclient.ClientError, ValueError, OSError):
        return []


def _read_cache(path):
    try:
        with open(path, encoding="utf-8") as f:
            rows = json.load(f)
        return [(str(n), str(t), bool(s), bool(d)) for n, t, s, d in rows if t in ("style", "fuse")]
    except (OSError, ValueError, TypeError):
        return []


def known_models(gimp_dir, registering):
    """The models to offer (in order: recorded, local core, server, cache), each name once."""
    record = sflocal.load_record()
    cache = os.path.join(gimp_dir, CACHE_NAME) if gimp_dir else None
    sources = [sflocal.recorded_models(record)]
    if registering:
        sources.append(sflocal.list_models(record))
    sources.append(server_models())
    if cache and not registering:
        sources.append(_read_cache(cache))
    seen, models = set(), []
    for source in sources:
        for m in source:
            if m[0] not in seen and m[0] != DEFAULT:
                seen.add(m[0])
                models.append(m)
    if cache and registering:
        try:
            with open(cache, "w", encoding="utf-8") as f:
                json.dump(models, f)
        except OSError:
            pass
    return models


def entries(models, task):
    """(nick, label) pairs of the Model choice for task: the default first, then each model."""
    # fusion: the core's automatic rule (the model whose card lists the pair's kind), as the CLI and napari
    label = {"style": "Default style model", "fuse": "auto (by image kind)"}[task]
    rows = [(DEFAULT, label)]
    for name, model_task, has_style, _ in models:
        if model_task == task:
            rows.append((name, name + ("" if task == "fuse" or has_style else " (needs a reference layer)")))
    return rows
