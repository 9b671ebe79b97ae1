#!/bin/sh
# What benchmarks/analysis.py needs beyond the package: FluidSynth and four General MIDI soundfonts
# (Debian packages) to render the labelled sets, and the benchmark extra (mido to write MIDI,
# mir_eval for the MIREX key score, music21 for the Bach chorales, Essentia for its column).
set -e
cd "$(dirname "$0")/.."
if ! command -v fluidsynth >/dev/null || [ ! -e /usr/share/sounds/sf2/FluidR3_GM.sf2 ] \
        || [ ! -e /usr/share/sounds/sf2/TimGM6mb.sf2 ] || [ ! -e /usr/share/sounds/sf2/OPL-3_FM_128M.sf2 ] \
        || [ ! -e /usr/share/sounds/sf3/MuseScore_General.sf3 ]; then
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get install -y --no-install-recommends fluidsynth fluid-soundfont-gm timgm6mb-soundfont \
        opl3-soundfont musescore-general-soundfont-small
fi
python3 run.py setup
.venv/bin/pip install -q -e '.[bench]'
