"""System shared memory for a transport whose server runs on the same host: regions per thread, reused."""

from __future__ import annotations

import os
import uuid


class ShmPool:
    """System shared-memory regions of one thread, reused (and grown) across requests.

    `register(name, key, size)` / `unregister(name)` register a region with the server (the
    transport's client of this thread).
    """

    def __init__(self, client_of):
        self.client_of, self.regions = client_of, {}  # role -> (name, handle, size)

    def region(self, role: str, size: int):
        from tritonclient.utils import shared_memory as shm

        current = self.regions.get(role)
        if current is not None and current[2] >= size:
            return current
        if current is not None:
            self.release(role)
        name = f"stylefuse_{os.getpid()}_{uuid.uuid4().hex[:12]}_{role}"
        handle = shm.create_shared_memory_region(name, "/" + name, size)
        try:
            self.client_of().register_system_shared_memory(name, "/" + name, size)
        except Exception:
            shm.destroy_shared_memory_region(handle)
            raise
        self.regions[role] = (name, handle, size)
        return self.regions[role]

    def release(self, role: str) -> None:
        from tritonclient.utils import shared_memory as shm

        name, handle, _ = self.regions.pop(role)
        try:
            self.client_of().unregister_system_shared_memory(name)
        except Exception:  # the server may be gone; the region is ours to destroy anyway
            pass
        shm.destroy_shared_memory_region(handle)

    def close(self) -> None:
        for role in list(self.regions):
            self.release(role)


def write_region(pool: ShmPool, role: str, array, item) -> None:
    """Put `array` in the pool's region for `role` and point the infer input `item` at it."""
    from tritonclient.utils import shared_memory as shm

    region, handle, _ = pool.region(role, array.nbytes)
    shm.set_shared_memory_region(handle, [array])
    item.set_shared_memory(region, array.nbytes)


def read_region(handle, dtype, shape):
    """A copy of an output region's contents (the region is reused by the next request)."""
    import numpy as np
    from tritonclient.utils import shared_memory as shm

    return np.array(shm.get_contents_as_numpy(handle, np.dtype(dtype), shape), copy=True)
