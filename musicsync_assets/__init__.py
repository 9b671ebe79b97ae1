"""musicsync: liked tracks from SoundCloud and Spotify into a DJ's library, as a Dagster pipeline."""

import os

# The analysis multiplies small matrices block by block: OpenBLAS spreading each product over every
# core only spins between them, doubling the CPU for the same wall time (33 against 16 CPU-seconds
# for 106 files) and taking a core from ffmpeg while a sync encodes. Set before numpy loads; a
# value the user set wins.
for _variable in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
