"""A broader labelled set, split once into a part to tune on and a part only to measure on.

`benchmarks/labelled_set.py` renders one arrangement per mode (I V vi IV, and i VI iv V with the
harmonic minor's raised seventh): the analyser was tuned on it, so it measures the tuning. This set
is made differently, from a musical *plan* (notes in seconds, with roles) rendered two ways:

- through General MIDI soundfonts with FluidSynth (FluidR3, TimGM6mb, the OPL-3 FM bank and,
  in the held-out part only, MuseScore General: a timbre nothing was tuned on), or
- by pure additive synthesis (its own tones and noise drums, not `lib/audio/demo.py`'s).

Groups (each track's `group`):
- dance-style tracks in several grooves, each with one of ten *arrangements* that make keys hard:
  minor progressions leaning on the relative major (i-VI-III-VII), one-chord minimal grooves,
  dorian and mixolydian vamps, major songs that sit on vi (vi-IV-I-V), bass lines moving against a
  held chord, and the plain I-V-vi-IV / i-VI-iv-V;
- `offbeat hat`: house grooves whose loud open hi-hat plays between the kicks (the beat grid);
- `drumless`: the same arrangements without drums (pads, bass, melody);
- `chorale`: J. S. Bach chorales from the music21 corpus (real composed music; the key is the
  final bass note read against the key signature, modal endings left out), at a chosen tempo;
- about a third detuned by up to +-40 cents, some mastered loud (soft-clipped) or with noise.

Labels: tempo (the quarter note; for chorales "or its double/half inside the DJ range" counts),
key, and for the drummed tracks the time of the first kick on the beat grid.

The split is fixed: a track's part is decided by a hash of its name alone
(`part(name)`), so adding tracks never moves one from one part to the other.

A third batch, *held-out 2* (`--part heldout2`, names starting "v" and "w"), was added after the
held-out part had been looked at while tuning, so that one part stays unseen: new seeds, chorales
of the corpus the first two batches never drew on, four more progressions (NEW_ARRANGEMENTS) and
other voicings of the chords and bass (VOICINGS). Nothing is chosen on it; it is measured once.

A fourth batch (names starting "b") joins the *tune* part: hip-hop grooves (HIPHOP_GROOVES, 80-95
BPM: swung or straight sixteenth hats, sparse kicks), added because held-out 2 showed boom-bap read
at double tempo and the tune part's one boom-bap pattern (straight eighths) did not.

Held-out 3 (`--part heldout3`, names starting "x" and "y"), added once both held-out parts had been
looked at: new seeds, every groove including the hip-hop ones, both progression tables and all
voicings, chorales none of the earlier batches drew on, and two new ways to render and master: a
soundfont's instruments over the synthesised kit ("mix-" renderings) and a muffled master (a
low-pass, as a lossy rip of a record) or a loud one with noise. Measured once, at the end.

Held-out 5 (`--part heldout5`, names starting "f" and "g"), added once held-out 4 had been read: new
seeds and chorales, three more progressions (LATEST_ARRANGEMENTS, one opening on IV), and a third
of the tracks cut in late: a loop starting on another bar than its first, a chorale after its
opening bars. Measured once, at the end.

Held-out 4 (`--part heldout4`, names starting "p" and "q"), added when the key model was fitted on
every earlier part (all of them seen by then): new seeds, chorales no earlier batch drew on, five
progressions nothing was fitted on (FRESH_ARRANGEMENTS, two of them starting away from the tonic),
and half the leads an arpeggio of each chord rather than a line resolving onto the tonic. Measured
once, at the end.

Held-out 6 (`--part heldout6`, names starting "h" and "j"), added when the key model was refitted
with held-out 5 (every earlier part seen by then): new seeds, the last 33 chorales of the pool no
batch had drawn on, each rendered whole to its final chord and that chord's release (the earlier
batches cut them at 40 s), and a reverberant master ("room") beside the others. Measured once, at
the end.

A batch of random progressions (names starting "r") joins the *tune* part: 192 random progressions
(_random_progression), so that the key model (benchmarks/key_model.py) is fitted on more than the
fixed arrangements, which a first fit had learned rather than keys.

A batch of bass rhythms (names starting "s") joins the *tune* part: 96 dance-style tracks whose bass
plays off the beat, syncopated, rolling or on the beat (BASS_RHYTHMS), half of them as loud as the
kick. Every earlier batch played the bass on the beats, so a grid pulled onto the off-beat by a house
bass, or a tempo read from a bass line on every third sixteenth, could not show; an independent set
showed both.

Held-out 7 (`--part heldout7`, names starting "o"), added with the bass rhythm batch: new seeds, the
same bass rhythms, and a third of the tracks swinging their off-beat sixteenths. Dance-style tracks
only: held-out 6 used the last chorales. Measured once, at the end.

Held-out 8 (`--part heldout8`, names starting "n"), added when held-out 7 had been read: the same
recipe as held-out 7 with new seeds. Measured once, at the end of the round that fixed hip-hop
read at double time over an off-beat or rolling bass.

A groove batch (names starting "t") joins the *tune* part: 70 dance-style tracks in styles no earlier
batch had (MORE_GROOVES: drum & bass with the second kick on the "and" of 1, a ride on the beat or
no hats, a jungle break, trap, dembow, disco), with the bass rhythms and swing of held-out 7. A second
independent set had read drum & bass at half tempo and put trap grids off the beat.

Held-out 9 (`--part heldout9`, names starting "u"), added with the groove batch: 112 dance-style
tracks in every groove, old and new, with new seeds. Measured once, at the end.

Held-out 10 (`--part heldout10`, names starting "m"), added when held-out 9 had been read: its
recipe with new seeds. Measured once, at the end of the round that followed.

Held-out 11 (`--part heldout11`, names starting "a" and "i"), added when every earlier part had been
read and the key model was fitted on all of them: 112 tracks in every groove and drumless, with new
seeds, and in place of chorales (the pool was used up) the openings of 28 **string quartet
movements** by Haydn, Mozart and Beethoven (group `classical`, _classical_pool): composed music by
other hands than the Bach chorales the key model learned from, played by soundfont strings.
Measured once, at the end.

Held-out 12 (`--part heldout12`, names starting "l" and "z"), added when held-out 11 had shown
string quartets read with no tempo and the drumless tempo had been changed on it: 24 drumless
dance-style tracks with new seeds and the openings of 18 five-voice **madrigals** by Monteverdi
(group `madrigal`), sung by soundfont voices, organ or recorders: drumless music nothing was
tuned on. Measured once, at the end.

Held-out 13 (`--part heldout13`, names starting "H"), added when every earlier part had been read
and the beat grid's near-tie rule was changed on them: held-out 10's recipe (112 dance-style
tracks in every groove) with new seeds. Measured once, at the end.

Held-out 14 (`--part heldout14`, names starting "J"), added when the near tie was settled by the
music's first attack, chosen on every earlier part and on the independent set's first batch: the
same recipe with new seeds. Measured once, at the end.

Held-out 15 (`--part heldout15`, names starting "K"), added when held-out 14 and the independent
set's second batch had been read and kicks on every beat were made to settle the near tie alone:
the same recipe with new seeds. Measured once, at the end.

Held-out 16 (`--part heldout16`, names starting "M"), added when held-out 15 and the independent
set's third batch had been read and the first kick after a kickless intro was made to settle the
near tie: the same recipe with new seeds. Measured once, at the end.

Held-out 17 (`--part heldout17`, names starting "P"), added when the key model was refitted on every
earlier part and on the independent set's first four batches (benchmarks/key_model.py): held-out
11's recipe (every groove, and drumless tracks) without composed pieces, whose pools are used up,
and with new seeds. Measured once, at the end.

Held-out 18 (`--part heldout18`, names starting "Q"), added when held-out 17 and the independent
set's fifth batch had been read, the key was read from E2 up and the key model refitted on every
earlier part: held-out 17's recipe with new seeds. Measured once, at the end.

Held-out 19 (`--part heldout19`, names starting "R"), added after held-out 18 had been read, with no
change to the estimates since (analyser 2.22): held-out 17's recipe with new seeds, a third part to
measure 2.22 on. Measured once.

Held-out 20 (`--part heldout20`, names starting "S"), added when held-out 19 had shown a breakbeat
read at the period between its kicks and analyser 2.23 changed that: the same recipe with new
seeds. Measured once, at the end.

Held-out 21 (`--part heldout21`, names starting "T"), added after held-out 20 and the independent
set's batch 8 had been read: the same recipe with new seeds, read once for analyser 2.24.

Held-out 22 (`--part heldout22`, names starting "U"), added after held-out 21 and batch 9 had been
read, for analyser 2.25 (trap's sixteenth hats): the same recipe with new seeds. Measured once.

Held-out 23 (`--part heldout23`, names starting "V") and 24 ("W"), added after held-out 22 and batch
10 had been read: the same recipe with new seeds. Held-out 23 was read once by a first version of
analyser 2.26's half-time backbeat, which the tests then showed wanting; held-out 24 by 2.26.

Held-out 25 (`--part heldout25`, names starting "X"), added after held-out 24 and batch 12 had been
read: the same recipe with new seeds, read once for analyser 2.27.

    python -m benchmarks.broad_set [--folder /tmp/musicsync-broad]   (renders and lists the set)
"""

import copy
import functools
import hashlib
import json
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from musicsync_assets.lib.audio.musickeys import ALL_KEYS, MusicalKey, parse_key

SR = 44100
SOUNDFONTS = {  # name: path, the split it may appear in
    "fluidr3": ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "both"),
    "timgm6mb": ("/usr/share/sounds/sf2/TimGM6mb.sf2", "both"),
    "opl3": ("/usr/share/sounds/sf2/OPL-3_FM_128M.sf2", "both"),
    "musescore": ("/usr/share/sounds/sf3/MuseScore_General.sf3", "heldout"),
}
MAJ, MIN = (0, 4, 7), (0, 3, 7)
# name: (mode, one chord per bar as (root above the tonic, triad)), bass pattern per bar (None: the root
# on every beat), the scale the melody walks.
ARRANGEMENTS = {
    "pop major I-V-vi-IV": ("major", ((0, MAJ), (7, MAJ), (9, MIN), (5, MAJ)), None),
    "major on vi (vi-IV-I-V)": ("major", ((9, MIN), (5, MAJ), (0, MAJ), (7, MAJ)), None),
    "mixolydian vamp I-bVII": ("major", ((0, MAJ), (0, MAJ), (10, MAJ), (10, MAJ)), None),
    "one-chord major": ("major", ((0, MAJ),), (0, 0, 7, 9)),
    "major, bass against a held I": ("major", ((0, MAJ), (0, MAJ)), (0, 4, 5, 7, 9, 7, 5, 2)),
    "minor leaning on relative (i-VI-III-VII)": ("minor", ((0, MIN), (8, MAJ), (3, MAJ), (10, MAJ)), None),
    "harmonic minor i-VI-iv-V": ("minor", ((0, MIN), (8, MAJ), (5, MIN), (7, MAJ)), None),
    "dorian vamp i-IV": ("minor", ((0, MIN), (0, MIN), (5, MAJ), (5, MAJ)), None),
    "one-chord minor": ("minor", ((0, MIN),), (0, 0, 10, 7)),
    "minor, bass against a held i": ("minor", ((0, MIN), (0, MIN)), (0, 3, 5, 7, 10, 7, 5, 3)),
}
# Only in held-out 2: progressions nothing was tuned on (the minor ones again share their chords
# with the relative major).
NEW_ARRANGEMENTS = {
    "major I-vi-IV-V": ("major", ((0, MAJ), (9, MIN), (5, MAJ), (7, MAJ)), None),
    "major I-IV vamp": ("major", ((0, MAJ), (0, MAJ), (5, MAJ), (5, MAJ)), None),
    "aeolian i-VII-VI-VII": ("minor", ((0, MIN), (10, MAJ), (8, MAJ), (10, MAJ)), None),
    "minor i-iv-v-i": ("minor", ((0, MIN), (5, MIN), (7, MIN), (0, MIN)), None),
}
# First in held-out 4 (and in held-out 5): progressions no analyser choice had been made on, two of
# them starting on a chord other than the tonic.
FRESH_ARRANGEMENTS = {
    "andalusian i-VII-VI-V": ("minor", ((0, MIN), (10, MAJ), (8, MAJ), (7, MAJ)), None),
    "minor i-iv-VII-III": ("minor", ((0, MIN), (5, MIN), (10, MAJ), (3, MAJ)), None),
    "major I-IV-V-IV": ("major", ((0, MAJ), (5, MAJ), (7, MAJ), (5, MAJ)), None),
    "major I-iii-vi-IV": ("major", ((0, MAJ), (4, MIN), (9, MIN), (5, MAJ)), None),
    "major ii-V-I-I": ("major", ((2, MIN), (7, MAJ), (0, MAJ), (0, MAJ)), None),
}
# Only in held-out 5: three more progressions, one of them opening on IV.
LATEST_ARRANGEMENTS = {
    "major I-V-IV-V": ("major", ((0, MAJ), (7, MAJ), (5, MAJ), (7, MAJ)), None),
    "minor i-III-iv-VI": ("minor", ((0, MIN), (3, MAJ), (5, MIN), (8, MAJ)), None),
    "major IV-I-V-vi": ("major", ((5, MAJ), (0, MAJ), (7, MAJ), (9, MIN)), None),
}
# Diatonic triads (root above the tonic, triad) that random progressions (the sixth batch) draw on; the
# minor one has both the natural v and the harmonic minor's V.
DIATONIC = {"major": ((2, MIN), (4, MIN), (5, MAJ), (7, MAJ), (9, MIN)),
            "minor": ((3, MAJ), (5, MIN), (7, MIN), (7, MAJ), (8, MAJ), (10, MAJ))}
CADENCES = {"major": ((7, MAJ), (5, MAJ)), "minor": ((7, MAJ), (7, MIN), (10, MAJ), (5, MIN))}
# How the pads and bass voice the chords: "close" (root position, as the first two batches), "inverted"
# (each chord tone moved next to middle E, so chords sit in inversions as with smooth voice leading),
# "open" (root low, third an octave up) and "octave bass" (the bass jumping root, octave, fifth).
VOICINGS = ("close", "inverted", "open", "octave bass")
# Where the bass plays in a bar (beats from its start), from the bass rhythm batch on; the earlier
# batches play the root, or the arrangement's pattern, on every beat. A house bass sits between the
# kicks and, as loud as they are, pulls a beat grid phased on the low end half a beat off; garage's
# skips around them; a rolling bass fills the three sixteenths each kick leaves.
BASS_RHYTHMS = {
    "on the beat": (0, 1, 2, 3),
    "off-beat": (0.5, 1.5, 2.5, 3.5),
    "syncopated": (0, 0.75, 1.5, 2.5, 3.25),
    "rolling": tuple(beat + step for beat in range(4) for step in (0.25, 0.5, 0.75)),
}
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
GROOVES = {  # beats per bar, kicks, snares/claps, closed hats, open hats (beats from the bar start)
    "house": (4, (0, 1, 2, 3), (1, 3), (), (0.5, 1.5, 2.5, 3.5)),
    "techno": (4, (0, 1, 2, 3), (), tuple(i / 4 for i in range(16)), (0.5, 1.5, 2.5, 3.5)),
    "breakbeat": (4, (0, 2.5), (1, 3), tuple(i / 2 for i in range(8)), ()),
    "boom_bap": (4, (0, 1.75, 2.5), (1, 3), tuple(i / 2 for i in range(8)), ()),
    "half_time": (4, (0, 2.75), (2,), tuple(i / 2 for i in range(8)), ()),
    "garage": (4, (0, 2.5), (1, 3), tuple(i / 4 for i in range(16) if i % 4), ()),
    "offbeat hat": (4, (0, 1, 2, 3), (), (), (0.5, 1.5, 2.5, 3.5)),
}
TEMPI = {"house": (118, 128), "techno": (126, 140), "breakbeat": (170, 176), "boom_bap": (82, 98),
         "half_time": (140, 150), "garage": (128, 134), "offbeat hat": (120, 126), "drumless": (72, 130)}
# Hip-hop grooves, only in the fourth batch (tune) and held-out 3, so the first batches' recipes stay as
# they were: sixteenth hats swung (the second of each pair late, 62% of the eighth) or straight, and
# sparse kicks, one landing on a sixteenth before the backbeat.
_SWUNG_16THS = tuple(t for i in range(8) for t in (i / 2, i / 2 + 0.31))
HIPHOP_GROOVES = {
    "boom_bap swung 16ths": (4, (0, 1.75, 2.5), (1, 3), _SWUNG_16THS, ()),
    "boom_bap sparse": (4, (0, 2.75), (1, 3), tuple(t for i in range(4) for t in (i, i + 0.62)), ()),
    "hip_hop straight 16ths": (4, (0, 0.75, 2.5), (1, 3), tuple(i / 4 for i in range(16)), ()),
    "hip_hop ghost kicks": (4, (0, 0.5, 2.25, 3.75), (1, 3), tuple(i / 2 for i in range(8)), (3.5,)),
}
TEMPI.update({name: (80, 95) for name in HIPHOP_GROOVES})
_ALL_GROOVES = GROOVES | HIPHOP_GROOVES
# Styles no batch before the groove batch had, each labelled at the tempo a DJ counts: drum & bass
# whose second kick comes on the "and" of 1 (so the snare is the only thing on beats 2 and 4), with
# eighth hats, a ride on the beat or no hats at all; a jungle break with ghost snares; trap at 140
# with the snare on 3 and sixteenth hats; reggaeton's dembow (a kick on every beat, the snare on
# the third sixteenth and the "and" of 2); disco's open hat on every off-beat over a steady snare.
MORE_GROOVES = {
    "dnb kick and-of-1": (4, (0, 0.5, 2.5), (1, 3), tuple(i / 2 for i in range(8)), ()),
    "dnb ride": (4, (0, 2.5), (1, 3), (0, 1, 2, 3), ()),
    "dnb no hats": (4, (0, 0.5, 2.5), (1, 3), (), ()),
    "jungle": (4, (0, 0.5, 2.5, 2.75), (1, 1.75, 3, 3.25), tuple(i / 2 for i in range(8)), ()),
    "trap": (4, (0, 0.75, 2.5), (2,), tuple(i / 4 for i in range(16)), ()),
    "dembow": (4, (0, 1, 2, 3), (0.75, 1.5, 2.75, 3.5), tuple(i / 2 for i in range(8)), ()),
    "disco": (4, (0, 1, 2, 3), (1, 3), (0, 1, 2, 3), (0.5, 1.5, 2.5, 3.5)),
}
TEMPI.update({"dnb kick and-of-1": (168, 178), "dnb ride": (168, 178), "dnb no hats": (168, 178),
              "jungle": (158, 172), "trap": (136, 150), "dembow": (88, 100), "disco": (110, 124)})
_EVERY_GROOVE = _ALL_GROOVES | MORE_GROOVES
_PADS, _BASSES, _LEADS = (0, 4, 16, 19, 48, 50, 52, 89, 90, 95), (32, 33, 38, 39, 35), (11, 56, 65, 73, 80, 81, 24)
_CHORALE_PROGRAMS = (19, 48, 52, 0, 68, 20)
_STRINGS = (40, 41, 42, 48, 49)  # violin, viola, cello, two string ensembles
_VOICES = (52, 53, 54, 19, 74)  # choir aahs, voice oohs, synth voice, church organ, recorder
_DRUM_NOTES = {"kick": 36, "snare": 38, "hat": 42, "open": 46}


@dataclass(frozen=True)
class Track:
    name: str
    group: str  # the groove, "drumless", or the composed pieces' ("chorale", "classical", "madrigal")
    arrangement: str
    rendering: str  # a soundfont name or "synth"
    bpm: float
    key: str
    first_beat_s: float | None  # the first kick on the beat grid; None without drums
    seconds: float
    tuning_cents: float
    master: str  # "", "loud" or "noise"
    path: str
    bass_rhythm: str = ""  # a BASS_RHYTHMS name, from the bass rhythm batch on

    @property
    def musical_key(self) -> MusicalKey:
        return parse_key(self.key)

    @property
    def drummed(self) -> bool:
        return self.first_beat_s is not None


# Each later batch is a whole part, named by its tracks' first letters (lower case ran out at held-out 13).
# A row added here is planned with held-out 17's recipe and the seed 2030 + its number.
_HELDOUT_PREFIXES = {
    "heldout2": ("v", "w"), "heldout3": ("x", "y"), "heldout4": ("p", "q"), "heldout5": ("f", "g"),
    "heldout6": ("h", "j"), "heldout7": ("o",), "heldout8": ("n",), "heldout9": ("u",), "heldout10": ("m",),
    "heldout11": ("a", "i"), "heldout12": ("l", "z"), "heldout13": ("H",), "heldout14": ("J",),
    "heldout15": ("K",), "heldout16": ("M",), "heldout17": ("P",), "heldout18": ("Q",), "heldout19": ("R",),
    "heldout20": ("S",), "heldout21": ("T",), "heldout22": ("U",),
    "heldout23": ("V",), "heldout24": ("W",), "heldout25": ("X",),
}
_HIPHOP_PREFIX = "b"
_RANDOM_PREFIX = "r"
_BASS_RHYTHM_PREFIX = "s"
_MORE_GROOVES_PREFIX = "t"
HELDOUT_PARTS = tuple(_HELDOUT_PREFIXES)


def _prefix(heldout: str) -> str:
    """The one first letter of a part whose tracks are all dance-style."""
    (prefix,) = _HELDOUT_PREFIXES[heldout]
    return prefix


def part(name: str) -> str:
    """The part a track belongs to, fixed by its name: decided once, never by what scores well. The
    first two batches split by the name's hash into 'tune' and 'heldout'; the later ones are whole
    parts, by their names' first letter: 'heldout2' to 'heldout25', and the hip-hop, random
    progression, bass rhythm and groove batches 'tune'."""
    for heldout, prefixes in _HELDOUT_PREFIXES.items():
        if name.startswith(prefixes):
            return heldout
    if name.startswith((_HIPHOP_PREFIX, _RANDOM_PREFIX, _BASS_RHYTHM_PREFIX, _MORE_GROOVES_PREFIX)):
        return "tune"
    return "heldout" if hashlib.sha1(name.encode()).digest()[0] % 2 else "tune"


def plan() -> list[dict]:
    """Every track's recipe (without audio), a copy the caller may change. Deterministic."""
    return copy.deepcopy(_plan())


@functools.cache
def _plan() -> list[dict]:
    """Planned once per process: reading the scores takes a minute. The second batch (names starting
    "e" and "k") was added later to give the tune part more tracks to choose among profiles with; it
    never reuses a chorale of the first batch, so no piece sits in both parts."""
    first = _batch(2026, "d", "c", 84, 36, exclude=())
    used = {recipe["source"] for recipe in first if recipe["kind"] == "chorale"}
    second = _batch(2027, "e", "k", 56, 40, exclude=used)
    used |= {recipe["source"] for recipe in second if recipe["kind"] == "chorale"}
    third = _batch(2028, *_HELDOUT_PREFIXES["heldout2"], 72, 40, exclude=used, varied=True)
    used |= {recipe["source"] for recipe in third if recipe["kind"] == "chorale"}
    hiphop = _batch(2029, _HIPHOP_PREFIX, "", 24, 0, exclude=used, grooves=list(HIPHOP_GROOVES))
    heldout3 = _batch(2030, *_HELDOUT_PREFIXES["heldout3"], 96, 48, exclude=used, varied=True,
                      grooves=list(_ALL_GROOVES) + ["drumless"], new_renderings=True)
    used |= {recipe["source"] for recipe in heldout3 if recipe["kind"] == "chorale"}
    heldout4 = _batch(2031, *_HELDOUT_PREFIXES["heldout4"], 96, 48, exclude=used, varied=True,
                      grooves=list(_ALL_GROOVES) + ["drumless"], new_renderings=True, fresh=True)
    used |= {recipe["source"] for recipe in heldout4 if recipe["kind"] == "chorale"}
    random_progressions = _batch(2032, _RANDOM_PREFIX, "", 192, 0, exclude=used, varied=True,
                                 grooves=list(_ALL_GROOVES) + ["drumless"], new_renderings=True,
                                 random_progressions=True)
    heldout5 = _batch(2033, *_HELDOUT_PREFIXES["heldout5"], 96, 48, exclude=used, varied=True,
                      grooves=list(_ALL_GROOVES) + ["drumless"], new_renderings=True, fresh=True, cut_in=True)
    used |= {recipe["source"] for recipe in heldout5 if recipe["kind"] == "chorale"}
    heldout6 = _batch(2034, *_HELDOUT_PREFIXES["heldout6"], 96, 48, exclude=used, varied=True,
                      grooves=list(_ALL_GROOVES) + ["drumless"], new_renderings=True, fresh=True, cut_in=True,
                      whole_chorales=True, rooms=True)
    drummed = list(_ALL_GROOVES)
    bass_rhythms = _batch(2035, _BASS_RHYTHM_PREFIX, "", 96, 0, exclude=used, varied=True, grooves=drummed,
                          new_renderings=True, fresh=True, cut_in=True, rooms=True, bass_rhythms=True)
    heldout7 = _batch(2036, _prefix("heldout7"), "", 96, 0, exclude=used, varied=True, grooves=drummed,
                      new_renderings=True, fresh=True, cut_in=True, rooms=True, bass_rhythms=True, swing=True)
    heldout8 = _batch(2037, _prefix("heldout8"), "", 96, 0, exclude=used, varied=True, grooves=drummed,
                      new_renderings=True, fresh=True, cut_in=True, rooms=True, bass_rhythms=True, swing=True)
    more_grooves = _batch(2038, _MORE_GROOVES_PREFIX, "", 70, 0, exclude=used, varied=True, grooves=list(MORE_GROOVES),
                          new_renderings=True, fresh=True, cut_in=True, rooms=True, bass_rhythms=True, swing=True)

    def every_groove(seed: int, heldout: str, drumless: bool = False) -> list[dict]:
        """Held-out 9's recipe, for it and later parts; with `drumless`, held-out 17's."""
        return _batch(seed, _prefix(heldout), "", 112, 0, exclude=used, varied=True,
                      grooves=drummed + list(MORE_GROOVES) + (["drumless"] if drumless else []),
                      new_renderings=True, fresh=True, cut_in=True, rooms=True, bass_rhythms=True, swing=True)

    heldout9, heldout10 = every_groove(2039, "heldout9"), every_groove(2040, "heldout10")
    heldout11 = _batch(2041, *_HELDOUT_PREFIXES["heldout11"], 112, 40, exclude=used, varied=True,
                       grooves=drummed + list(MORE_GROOVES) + ["drumless"], new_renderings=True, fresh=True,
                       cut_in=True, rooms=True, bass_rhythms=True, swing=True, pieces="classical")
    heldout12 = _batch(2042, *_HELDOUT_PREFIXES["heldout12"], 24, 40, exclude=used, varied=True,
                       grooves=["drumless"], new_renderings=True, fresh=True, cut_in=True, rooms=True,
                       pieces="madrigal")
    drummed_only = [every_groove(2030 + number, f"heldout{number}") for number in range(13, 17)]
    with_drumless = [every_groove(2030 + int(name.removeprefix("heldout")), name, drumless=True)
                     for name in HELDOUT_PARTS[HELDOUT_PARTS.index("heldout17"):]]
    return (first + second + third + hiphop + heldout3 + heldout4 + random_progressions + heldout5 + heldout6
            + bass_rhythms + heldout7 + heldout8 + more_grooves + heldout9 + heldout10 + heldout11
            + heldout12 + sum(drummed_only, []) + sum(with_drumless, []))


def _batch(seed: int, dance_prefix: str, chorale_prefix: str, count_dance: int, count_chorales: int,
           exclude: tuple | set, varied: bool = False, grooves: list[str] | None = None,
           new_renderings: bool = False, fresh: bool = False, random_progressions: bool = False,
           cut_in: bool = False, whole_chorales: bool = False, rooms: bool = False,
           bass_rhythms: bool = False, swing: bool = False, pieces: str = "chorale") -> list[dict]:
    """`varied` (held-out 2 on): arrangements from both tables, a voicing drawn for each dance
    track, chorales from the whole corpus; `grooves` (default: the first batches' and drumless);
    `new_renderings` (held-out 3 on): "mix-" renderings and the muffled and loud-with-noise masters;
    `fresh` (held-out 4 and 5): FRESH_ARRANGEMENTS too, and half the leads arpeggiate the chord
    instead of walking the scale to the tonic; `random_progressions` (the sixth batch): each track its own
    progression (_random_progression) and a walking, arpeggiated or no lead; `cut_in` (held-out 5):
    LATEST_ARRANGEMENTS too, and a third of the tracks start part-way in (a dance loop on another
    bar than its first, a chorale after its opening bars), as a preview or a rip cut in late does;
    `whole_chorales` (held-out 6): each chorale to its last chord and that chord's release, not cut
    at 40 s; `rooms` (held-out 6): a reverberant master too; `bass_rhythms` (the bass rhythm batch and
    held-out 7): each track's bass in one of BASS_RHYTHMS, half of them as loud as the kick; `swing`
    (held-out 7): a third of the tracks swing their off-beat sixteenths; `pieces`: the composed
    music (`chorale_prefix`, `count_chorales`), Bach chorales ("chorale") or, from _composed_pool,
    the openings of string quartet movements ("classical", held-out 11) or of madrigals
    ("madrigal", held-out 12), played by strings or voices. The earlier batches' recipes stay
    exactly as they were."""
    rng = np.random.default_rng(seed)
    recipes = []
    grooves = grooves or list(GROOVES) + ["drumless"]
    renderings = ("synth", "fluidr3", "timgm6mb", "opl3", "musescore")
    masters = ["", "", "loud", "noise"] + (["muffled", "loud+noise"] if new_renderings else []) + \
        (["room"] if rooms else [])
    arrangements = list(ARRANGEMENTS) + (list(NEW_ARRANGEMENTS) if varied else []) + \
        (list(FRESH_ARRANGEMENTS) if fresh else []) + (list(LATEST_ARRANGEMENTS) if cut_in else [])
    for n in range(count_dance):
        group = grooves[n % len(grooves)]
        arrangement = arrangements[(n * 3 + n // len(grooves)) % len(arrangements)]
        tonic = int(rng.integers(12))
        if random_progressions:
            mode = ("major", "minor")[int(rng.integers(2))]
            arrangement = f"random {mode} progression"
            progression = _random_progression(rng, mode)
        else:
            mode = _arrangement(arrangement)[0]
        bpm = round(float(rng.uniform(*TEMPI[group])), 2)
        rendering = renderings[int(rng.integers(5))]
        if new_renderings and rendering != "synth" and rng.random() < 0.3:
            rendering = f"mix-{rendering}"
        name = (f"{dance_prefix}{n:03d}-{group.replace(' ', '_')}-{rendering}-{bpm}-"
                f"{ALL_KEYS[tonic + 12 * (mode == 'minor')].short}")
        if rendering.endswith("musescore") and part(name) == "tune":
            rendering = rendering.replace("musescore", "fluidr3")
            name = name.replace("musescore", "fluidr3")
        recipe = dict(kind="dance", name=name, group=group, arrangement=arrangement, rendering=rendering,
                      bpm=bpm, key=ALL_KEYS[tonic + 12 * (mode == "minor")].name,
                      seconds=30.0, tuning_cents=float(rng.uniform(-40, 40)) if rng.random() < 0.35 else 0.0,
                      master=str(rng.choice(masters)), intro=bool(rng.random() < 0.2),
                      seed=int(rng.integers(1 << 30)))
        if varied:
            recipe["voicing"] = VOICINGS[int(rng.integers(len(VOICINGS)))]
        if fresh:
            recipe["lead"] = ("walk", "arpeggio")[int(rng.integers(2))]
        if random_progressions:
            recipe["progression"] = progression
            recipe["lead"] = ("walk", "arpeggio", "none")[int(rng.integers(3))]
        if cut_in and rng.random() < 1 / 3:
            recipe["first_bar"] = 1 + int(rng.integers(3))
        if bass_rhythms:
            recipe["bass_rhythm"] = list(BASS_RHYTHMS)[int(rng.integers(len(BASS_RHYTHMS)))]
            recipe["loud_bass"] = bool(rng.random() < 0.5)
        if swing and rng.random() < 1 / 3:
            recipe["swing"] = round(float(rng.uniform(0.04, 0.09)), 3)
        recipes.append(recipe)
    pool = (_composed_pool(pieces) if pieces in COMPOSERS
            else _chorale_pool() + (_chorale_pool(160, None) if varied else []))
    chorales = [c for c in pool if c[0] not in exclude]
    picks = rng.choice(len(chorales), size=min(count_chorales, len(chorales)), replace=False)
    for n, index in enumerate(sorted(picks)):
        path, key = chorales[index]
        bpm = round(float(rng.uniform(60, 100)), 1)
        rendering = ("fluidr3", "timgm6mb", "opl3", "musescore", "synth")[int(rng.integers(5))]
        piece = f"{Path(path).parent.name}-{Path(path).stem}" if pieces in COMPOSERS else Path(path).stem
        name = f"{chorale_prefix}{n:03d}-{piece}-{rendering}-{bpm}-{parse_key(key).short}"
        if rendering == "musescore" and part(name) == "tune":
            rendering = "fluidr3"
            name = name.replace("musescore", "fluidr3")
        recipes.append(dict(kind="chorale", name=name, group=pieces, arrangement=piece,
                            rendering=rendering, bpm=bpm, key=key, seconds=40.0,
                            tuning_cents=float(rng.uniform(-40, 40)) if rng.random() < 0.35 else 0.0,
                            master=str(rng.choice(["", "", "", "noise"] + (["muffled"] if new_renderings else [])
                                                  + (["room"] if rooms else []))),
                            intro=False, seed=int(rng.integers(1 << 30)),
                            source=path))
        if cut_in and rng.random() < 1 / 3:
            recipes[-1]["skip_quarters"] = 4 * (1 + int(rng.integers(3)))
        if whole_chorales:
            recipes[-1]["whole"] = True
    return recipes


def _random_progression(rng: np.random.Generator, mode: str) -> tuple:
    """(mode, chords, None) like an ARRANGEMENTS entry: four or eight bars of the key's diatonic
    triads in which the tonic chord holds more bars than any other and stands where a listener
    hears home, on the first bar, or on the last after a cadence chord (V, IV; in minor also v,
    VII, iv), or both."""
    tonic = (0, MAJ if mode == "major" else MIN)
    bars = int(rng.choice([4, 8]))
    chords = [DIATONIC[mode][int(rng.integers(len(DIATONIC[mode])))] for _ in range(bars)]
    placement = ("first", "last", "both")[int(rng.integers(3))]
    if placement in ("first", "both"):
        chords[0] = tonic
    if placement in ("last", "both"):
        chords[-1] = tonic
        chords[-2] = CADENCES[mode][int(rng.integers(len(CADENCES[mode])))]
    while max(chords.count(c) for c in set(chords) - {tonic}) >= chords.count(tonic):
        free = [i for i, chord in enumerate(chords) if chord != tonic and not (placement != "first" and i == bars - 2)]
        chords[free[int(rng.integers(len(free)))]] = tonic
    return mode, tuple(chords), None


def _arrangement(name: str) -> tuple:
    return (ARRANGEMENTS | NEW_ARRANGEMENTS | FRESH_ARRANGEMENTS | LATEST_ARRANGEMENTS)[name]


def _chorale_pool(first: int = 0, stop: int | None = 160) -> list[tuple[str, str]]:
    """Four-part Bach chorales (of the corpus's Bach files, sorted, from `first` to `stop`) whose
    final bass note is the tonic of their key signature's major or minor key, with that key. Cached
    in /tmp, as parsing takes a while."""
    cache = Path("/tmp/musicsync-chorale-pool.json" if (first, stop) == (0, 160)
                 else f"/tmp/musicsync-chorale-pool-{first}-{stop}.json")
    if cache.exists():
        return [tuple(item) for item in json.loads(cache.read_text())]
    from music21 import corpus

    pool = []
    for path in sorted(corpus.getComposer("bach"), key=str)[first:stop]:
        try:
            score = corpus.parse(path)
        except Exception:  # noqa: BLE001 - a file music21 cannot read is simply not in the pool
            continue
        if len(score.parts) != 4 or score.highestTime > 120:
            continue
        signatures = score.flatten().getElementsByClass("KeySignature")
        bass = score.parts[-1].flatten().notes
        if not signatures or not len(bass) or not hasattr(bass[-1], "pitch"):
            continue
        key = _key_ending_on(signatures[0], bass[-1].pitch.pitchClass)
        if key:
            pool.append((str(path), key))
    cache.write_text(json.dumps(pool))
    return pool


def _key_ending_on(signature, final: int) -> str | None:
    """The major or minor key of a music21 key signature whose tonic is pitch class `final` (the
    piece's last bass note), or None: a modal ending is left out."""
    for mode in ("major", "minor"):
        if signature.asKey(mode).tonic.pitchClass == final:
            return f"{ALL_KEYS[final].name.split()[0]} {mode}"
    return None


COMPOSERS = {"classical": ("haydn", "mozart", "beethoven"), "madrigal": ("monteverdi",)}
COMPOSED = ("chorale", *COMPOSERS)  # the groups of composed pieces, whose arrangement is the piece's name


def _composed_pool(pieces: str) -> list[tuple[str, str]]:
    """Scores of the corpus by COMPOSERS[pieces] (not Bach: other hands than the chorales the key
    model was fitted on), in four or more parts with a half- or quarter-note beat, whose final bass
    note (the lowest of a closing chord) is the tonic of their key signature's major or minor key,
    with that key: string quartet movements ("classical") and madrigals ("madrigal"). Only their first 40 s are played, which a movement
    spends in its home key. Cached in /tmp."""
    cache = Path(f"/tmp/musicsync-{pieces}-pool.json")
    if cache.exists():
        return [tuple(item) for item in json.loads(cache.read_text())]
    from music21 import corpus

    pool = []
    for composer in COMPOSERS[pieces]:
        for path in sorted((p for p in corpus.getComposer(composer) if p.suffix == ".mxl"), key=str):
            try:
                score = corpus.parse(path)
            except Exception:  # noqa: BLE001 - a file music21 cannot read is simply not in the pool
                continue
            metres = score.flatten().getElementsByClass("TimeSignature")
            signatures = score.flatten().getElementsByClass("KeySignature")
            bass = score.parts[-1].flatten().notes if len(score.parts) >= 4 else []
            if not metres or metres[0].denominator not in (2, 4) or not signatures or not len(bass):
                continue
            key = _key_ending_on(signatures[0], min(bass[-1].pitches).pitchClass)
            if key:
                pool.append((str(path), key))
    cache.write_text(json.dumps(pool))
    return pool


def score_keys() -> dict[str, str]:
    """Each chorale's key as music21 reads its score (Krumhansl-Schmuckler over every note), by the
    chorale's name (a track's `arrangement`): a second opinion beside the final-bass label. Where
    the two differ, the piece could be heard either way. Cached in /tmp, as parsing takes a while."""
    cache = Path("/tmp/musicsync-chorale-score-keys.json")
    keys = json.loads(cache.read_text()) if cache.exists() else {}
    missing = {r["arrangement"]: r["source"] for r in plan() if r["kind"] == "chorale" and r["arrangement"] not in keys}
    if missing:
        from music21 import corpus

        for name, source in missing.items():
            found = corpus.parse(source).analyze("key")
            keys[name] = f"{found.tonic.name.replace('-', 'b')} {found.mode}"
        cache.write_text(json.dumps(keys))
    return keys


# --- notes -------------------------------------------------------------------------------------

Note = tuple[float, float, int, int, str]  # start s, length s, MIDI pitch (or drum note), velocity, role


def _dance_notes(recipe: dict) -> tuple[list[Note], float | None]:
    rng = np.random.default_rng(recipe["seed"])
    mode, chords, bass_pattern = recipe.get("progression") or _arrangement(recipe["arrangement"])
    voicing = recipe.get("voicing", "close")
    tonic = parse_key(recipe["key"]).tonic
    beat = 60.0 / recipe["bpm"]
    group = recipe["group"]
    per_bar = 4
    bar = per_bar * beat
    intro_bars = int(np.ceil(8.0 / bar)) if recipe["intro"] and group != "drumless" else 0
    bars = int(np.ceil(recipe["seconds"] / bar))
    notes: list[Note] = []
    scale = SCALES[mode]
    degree = 7
    for b in range(bars):
        start = b * bar
        root, triad = chords[(b + recipe.get("first_bar", 0)) % len(chords)]
        # Pads: the triad in a middle register, sometimes with the octave.
        for interval in triad + ((12,) if rng.random() < 0.5 else ()):
            notes.append((start, bar - 0.02, _pad_pitch(voicing, tonic + root, triad, interval, b),
                          int(rng.integers(55, 75)), "pad"))
        pattern = bass_pattern or (root,) * per_bar
        if "bass_rhythm" in recipe:
            positions = BASS_RHYTHMS[recipe["bass_rhythm"]]
            onsets = [_swung(position, recipe.get("swing", 0.0)) * beat for position in positions]
            lengths = [0.6 * (following - onset) for onset, following in zip(onsets, onsets[1:] + [bar])]
        else:
            steps = len(pattern) if len(pattern) > per_bar else per_bar
            onsets, lengths = [i * bar / steps for i in range(steps)], [bar / steps * 0.6] * steps
        loudness = (110, 128) if recipe.get("loud_bass") else (85, 105)
        for i, (onset, length) in enumerate(zip(onsets, lengths)):
            pitch = pattern[i % len(pattern)] if bass_pattern else root
            leap = 0
            if voicing == "octave bass":  # root, octave, fifth, octave; a written line jumps every other note
                leap = (0, 12, 7, 12)[i % 4] if not bass_pattern else 12 * (i % 2)
            notes.append((start + onset, length, 36 + (tonic + pitch) % 12 + leap,
                          int(rng.integers(*loudness)), "bass"))
        # A melody walking the scale, every fourth bar resolving onto the tonic; or (held-out 4 and 5,
        # the random progressions) an arpeggio of the bar's chord in eighths, which says nothing about
        # which chord is home, or no lead at all.
        lead = recipe.get("lead", "walk")
        if lead == "arpeggio":
            for i in range(2 * per_bar):
                notes.append((start + i * beat / 2, beat * 0.4, 72 + (tonic + root + triad[i % 3]) % 12,
                              int(rng.integers(60, 85)), "lead"))
        elif lead == "walk":
            for i in range(per_bar):
                if b % 4 == 3 and i == per_bar - 1:
                    notes.append((start + i * beat, beat * 0.9, 72 + tonic, 80, "lead"))
                    degree = 7
                elif rng.random() < 0.55:
                    degree = int(np.clip(degree + rng.integers(-2, 3), 3, 12))
                    notes.append((start + i * beat, beat * 0.8,
                                  60 + tonic + scale[degree % 7] + 12 * (degree // 7),
                                  int(rng.integers(60, 85)), "lead"))
        if group == "drumless" or b < intro_bars:
            continue
        _, kicks, snares, hats, opens = _EVERY_GROOVE[group]
        for sound, positions, velocity in (("kick", kicks, (100, 120)), ("snare", snares, (85, 105)),
                                           ("hat", hats, (45, 70)),
                                           ("open", opens, (95, 120) if group == "offbeat hat" else (60, 80))):
            for position in positions:
                notes.append((start + _swung(position, recipe.get("swing", 0.0)) * beat, beat / 4,
                              _DRUM_NOTES[sound], int(rng.integers(*velocity)), "drums"))
    return notes, (None if group == "drumless" else intro_bars * bar)


def _swung(position: float, swing: float) -> float:
    """A position in beats with its off-beat sixteenths (x.25, x.75) `swing` of a beat late. A hip-hop
    groove's hat already swung to x.31 rounds to x.25 and moves again: held-out 7 was rendered so."""
    return position + swing * (round(position * 4) % 2)


def _pad_pitch(voicing: str, root: int, triad: tuple, interval: int, bar: int) -> int:
    """The MIDI pitch of a chord tone `interval` above `root` (a pitch class) in this voicing."""
    pitch_class = (root + interval) % 12
    if voicing == "inverted":  # the third lowest, or the fifth every other bar, from E3 up
        lowest = (root + triad[1 + bar % 2]) % 12
        return 52 + (lowest - 4) % 12 + (pitch_class - lowest) % 12 + (interval >= 12) * 12
    if voicing == "open":  # the root from A2 up, the fifth above it, the third and octave an octave higher
        return 45 + (root - 9) % 12 + interval + (interval in (3, 4)) * 12 + (interval >= 12) * 12
    return 57 + (pitch_class - 9) % 12 + (interval >= 12) * 12


def _chorale_notes(recipe: dict) -> list[Note]:
    from music21 import corpus

    score = corpus.parse(recipe["source"])
    quarter = 60.0 / recipe["bpm"]
    skip = recipe.get("skip_quarters", 0)
    until = float("inf") if recipe.get("whole") else recipe["seconds"]
    notes = []
    last = len(score.parts) - 1  # the bass: a chorale's fourth voice, a madrigal's fifth
    for voice, part_ in enumerate(score.parts):
        for element in part_.flatten().notes:
            for pitch in getattr(element, "pitches", ()):
                start = (float(element.offset) - skip) * quarter
                if 0 <= start < until:
                    notes.append((start, float(element.duration.quarterLength) * quarter * 0.95, pitch.midi,
                                  70 + 8 * (voice in (0, last)), "pad" if voice < last else "bass"))
    return notes


# --- rendering ---------------------------------------------------------------------------------

def _render_soundfont(notes: list[Note], font: str, recipe: dict, seconds: float) -> np.ndarray:
    import mido

    rng = np.random.default_rng(recipe["seed"] + 1)
    composed = {"chorale": _CHORALE_PROGRAMS, "classical": _STRINGS, "madrigal": _VOICES}.get(recipe["group"])
    programs = {"pad": int(rng.choice(composed or _PADS)),
                "bass": int(rng.choice(composed or _BASSES)),
                "lead": int(rng.choice(_LEADS))}
    channels = {"pad": 0, "bass": 1, "lead": 2, "drums": 9}
    tempo = 500000  # 120 BPM: 960 ticks a second
    ticks_per_s = 960
    song = mido.MidiFile(ticks_per_beat=480)
    events = [(0, mido.MetaMessage("set_tempo", tempo=tempo))]
    bend = int(np.clip(recipe["tuning_cents"] / 200 * 8192, -8191, 8191))
    for role, channel in channels.items():
        if role != "drums":
            events.append((0, mido.Message("program_change", channel=channel, program=programs[role])))
            events.append((0, mido.Message("pitchwheel", channel=channel, pitch=bend)))
    for start, length, pitch, velocity, role in notes:
        on, off = int(round(start * ticks_per_s)), int(round((start + length) * ticks_per_s))
        if off <= on:  # a grace note or a madrigal's tied stub: its note-off would sort first, and the
            continue   # note sound for ever (an organ) or until its sample died away (held-out 3's y012)
        events.append((on, mido.Message("note_on", channel=channels[role], note=pitch, velocity=velocity)))
        events.append((off, mido.Message("note_off", channel=channels[role], note=pitch, velocity=0)))
    track = mido.MidiTrack()
    now = 0
    for time, message in sorted(events, key=lambda event: (event[0], event[1].type == "note_on")):
        track.append(message.copy(time=time - now))
        now = time
    song.tracks.append(track)
    folder = Path(recipe["path"]).parent
    midi, wav = folder / f"{recipe['name']}.mid", folder / f"{recipe['name']}.wav"
    song.save(midi)
    subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.6", "-r", str(SR), "-F", str(wav), font, str(midi)],
                   check=True, capture_output=True, timeout=300)
    import soundfile

    audio, _ = soundfile.read(wav, dtype="float32", always_2d=True)
    midi.unlink()
    wav.unlink()
    audio = audio[: int(seconds * SR)]
    return np.pad(audio, ((0, max(0, int(seconds * SR) - len(audio))), (0, 0)))


def _render_synth(notes: list[Note], recipe: dict, seconds: float) -> np.ndarray:
    rng = np.random.default_rng(recipe["seed"] + 2)
    out = np.zeros(int(seconds * SR))
    ratio = 2 ** (recipe["tuning_cents"] / 1200)
    timbre = {role: (int(rng.integers(1, 9)), float(rng.uniform(0.5, 1.5))) for role in ("pad", "bass", "lead")}
    for start, length, pitch, velocity, role in notes:
        begin = int(start * SR)
        if begin >= len(out):
            continue
        gain = velocity / 127
        if role == "drums":
            sound = _drum(pitch, rng)
        else:
            n = int(min(length, seconds - start) * SR)
            t = np.arange(n) / SR
            freq = 440.0 * 2 ** ((pitch - 69) / 12) * ratio
            harmonics, tilt = timbre[role]
            sound = sum(np.sin(2 * np.pi * freq * h * t) / h ** tilt for h in range(1, harmonics + 1))
            attack = np.minimum(1, t / (0.04 if role == "pad" else 0.005))
            decay = np.exp(-t * (0.5 if role == "pad" else 4.0))
            sound = sound * attack * decay * np.minimum(1, (n - np.arange(n)) / (0.01 * SR))
            gain *= {"pad": 0.12, "bass": 0.7 if recipe.get("loud_bass") else 0.35, "lead": 0.15}[role]
        end = min(len(out), begin + len(sound))
        out[begin:end] += gain * sound[: end - begin]
    return np.stack([out, out * 0.95], axis=1)


def _drum(note: int, rng: np.random.Generator) -> np.ndarray:
    if note == _DRUM_NOTES["kick"]:
        t = np.arange(int(0.2 * SR)) / SR
        return np.sin(2 * np.pi * (45 * t + 120 * (1 - np.exp(-t * 40)) / 40)) * np.exp(-t * 18) * 1.2
    if note == _DRUM_NOTES["snare"]:
        t = np.arange(int(0.15 * SR)) / SR
        return (rng.standard_normal(len(t)) * 0.5 + np.sin(2 * np.pi * 200 * t)) * np.exp(-t * 25) * 0.6
    length = 0.25 if note == _DRUM_NOTES["open"] else 0.04
    t = np.arange(int(length * SR)) / SR
    noise = np.diff(rng.standard_normal(len(t)), prepend=0.0)
    return noise * np.exp(-t / (length / 4)) * (0.6 if note == _DRUM_NOTES["open"] else 0.3)


def _master(audio: np.ndarray, master: str, seed: int) -> np.ndarray:
    audio = audio / max(1e-9, np.abs(audio).max()) * 0.7
    if master == "loud":  # a limiter pushed hard: -8 LUFS-ish, flattened transients
        drive = 4.0
        audio = np.tanh(audio * drive) / np.tanh(drive * 0.7) * 0.7
    elif master == "noise":  # vinyl hiss / a room: pink-ish noise 25 dB below the music
        rng = np.random.default_rng(seed)
        noise = np.cumsum(rng.standard_normal(audio.shape), axis=0)
        noise -= np.convolve(noise[:, 0], np.ones(64) / 64, mode="same")[:, None]
        noise *= np.sqrt(np.mean(audio ** 2)) / max(np.sqrt(np.mean(noise ** 2)), 1e-9) * 10 ** (-25 / 20)
        audio = audio + noise
    elif master == "muffled":  # a dull rip: a 2.5 kHz low-pass, 12 dB an octave
        from scipy.signal import butter, sosfilt

        audio = sosfilt(butter(2, 2500, fs=SR, output="sos"), audio, axis=0)
        audio = audio / max(1e-9, np.abs(audio).max()) * 0.7
    elif master == "room":  # a reverberant room: the mix convolved with a noise tail dying 60 dB in 1.2 s
        from scipy.signal import fftconvolve

        rng = np.random.default_rng(seed)
        t = np.arange(int(1.2 * SR)) / SR
        tail = rng.standard_normal(len(t)) * np.exp(-t * np.log(1000) / 1.2)
        wet = fftconvolve(audio, tail[:, None], axes=0)[: len(audio)]
        audio = audio + wet * np.sqrt(np.mean(audio ** 2) / max(np.mean(wet ** 2), 1e-20))
        audio = audio / max(1e-9, np.abs(audio).max()) * 0.7
    elif master == "loud+noise":
        return _master(_master(audio, "loud", seed), "noise", seed)
    return np.clip(audio, -1, 1)


def build(folder: Path, which: str = "heldout") -> list[Track]:
    """Renders (or reuses, when `folder` already holds it) the part `which` ('tune', 'heldout',
    'heldout2' ... 'heldout25' or 'all') and returns its tracks."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.json"
    known = {t["name"]: Track(**t) for t in json.loads(manifest.read_text())} if manifest.exists() else {}
    tracks = []
    for recipe in plan():
        if which != "all" and part(recipe["name"]) != which:
            continue
        recipe["path"] = str(folder / f"{recipe['name']}.flac")
        if recipe["name"] in known and Path(recipe["path"]).exists():
            tracks.append(known[recipe["name"]])
            continue
        if recipe["kind"] == "dance":
            notes, first_beat = _dance_notes(recipe)
        else:
            notes, first_beat = _chorale_notes(recipe), None
            if recipe.get("whole"):  # to the last chord, and two seconds for its release
                recipe["seconds"] = round(max(start + length for start, length, *_ in notes) + 2.0, 2)
        if recipe["rendering"] == "synth":
            audio = _render_synth(notes, recipe, recipe["seconds"])
        elif recipe["rendering"].startswith("mix-"):  # the soundfont's instruments over the synthesised kit
            drums = [note for note in notes if note[4] == "drums"]
            audio = _render_soundfont([note for note in notes if note[4] != "drums"],
                                      SOUNDFONTS[recipe["rendering"][4:]][0], recipe, recipe["seconds"])
            kit = _render_synth(drums, recipe, recipe["seconds"])
            audio = audio / max(1e-9, np.abs(audio).max()) + 0.8 * kit / max(1e-9, np.abs(kit).max())
        else:
            audio = _render_soundfont(notes, SOUNDFONTS[recipe["rendering"]][0], recipe, recipe["seconds"])
        from musicsync_assets.lib.audio import demo

        demo.write_audio(_master(audio, recipe["master"], recipe["seed"]).astype(np.float32), Path(recipe["path"]),
                         "flac")
        track = Track(recipe["name"], recipe["group"], recipe["arrangement"], recipe["rendering"], recipe["bpm"],
                      recipe["key"], first_beat, recipe["seconds"], round(recipe["tuning_cents"], 1),
                      recipe["master"], recipe["path"], recipe.get("bass_rhythm", ""))
        known[track.name] = track
        tracks.append(track)
        manifest.write_text(json.dumps([asdict(t) for t in known.values()], indent=1))
    return tracks


def available() -> bool:
    return bool(shutil.which("fluidsynth")) and all(Path(p).exists() for p, _ in SOUNDFONTS.values())


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--folder", default="/tmp/musicsync-broad")
    parser.add_argument("--part", default="all")
    args = parser.parse_args()
    for t in build(Path(args.folder), args.part):
        print(part(t.name), t.name, t.group, t.arrangement, t.key, t.bpm, t.master, t.tuning_cents)
