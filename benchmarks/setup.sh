#!/bin/sh
# What benchmarks/analysis.py needs beyond the package: FluidSynth and a General MIDI soundfont
# (Debian packages) to render the realistic half of the labelled set, and the benchmark extra
# (mido to write MIDI, mir_eval for the MIREX key score, Essentia for its comparison column).
set -e
cd "$(dirname "$0")/.."
if ! command -v fluidsynth >/dev/null || [ ! -e /usr/share/sounds/sf2/FluidR3_GM.sf2 ]; then
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get install -y --no-install-recommends fluidsynth fluid-soundfont-gm
fi
python3 run.py setup
.venv/bin/pip install -q -e '.[bench]'
