"""stylefuse: a GAN-based hybrid model for image style transfer and image fusion."""

import os

__version__ = "0.1.0"

# OpenMP threads that wait for work sleep instead of spinning (read by torch's OpenMP runtime when it
# loads, so set before torch is imported; an OMP_WAIT_POLICY of the user's own wins). On a machine
# whose cores are busy with other work, spinning threads steal the time of the one they wait for:
# measured on a shared 2-core machine, a 9 MP `stylefuse stylize` took 5.7 s of CPU instead of 8.1
# (wall 13-18 s instead of 21-26 s), a 40-slice stack ran 3x faster; with idle cores the difference is
# the wake-up latency between parallel regions, small next to convolutions of this size.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
