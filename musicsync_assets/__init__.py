"""musicsync: liked tracks from SoundCloud and Spotify into a DJ's library, as a Dagster pipeline."""

import os

# The analysis multiplies small matrices block by block: a BLAS spreading each product over every
# core only spins between them, doubling the CPU for the same wall time (33 against 16 CPU-seconds
# for 106 files) and taking a core from ffmpeg while a sync encodes. Set before numpy loads; a
# thread count the user set (any of these, or OMP_NUM_THREADS, which OpenBLAS also reads) wins.
_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
if not any(name in os.environ for name in (*_THREAD_VARIABLES, "OMP_NUM_THREADS")):
    os.environ.update(dict.fromkeys(_THREAD_VARIABLES, "1"))
