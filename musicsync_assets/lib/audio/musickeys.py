"""The 24 keys in every notation a DJ meets, all derived from one table.

A key is (tonic pitch class 0-11 with C = 0, mode "major" | "minor"). Camelot numbers walk the
circle of fifths: C major is 8B, A minor (its relative) 8A, G major 9B. Open Key is the same circle
shifted so that C major is 1d and A minor 1m.
"""

import re
from dataclasses import dataclass

PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_KEY_TEXT = re.compile(r"^([A-Ga-g][#b]?)\s*(m|min|minor|maj|major)?$", re.IGNORECASE)
_ALIASES = {"Db": 1, "D#": 3, "Gb": 6, "G#": 8, "A#": 10, "Cb": 11, "E#": 5, "Fb": 4, "B#": 0}


@dataclass(frozen=True)
class MusicalKey:
    tonic: int
    mode: str

    @property
    def name(self) -> str:
        """Standard notation, e.g. "A minor", "F# major"."""
        return f"{PITCH_NAMES[self.tonic]} {self.mode}"

    @property
    def short(self) -> str:
        """The ID3 TKEY form (at most three characters): "Am", "F#", "Ebm"."""
        return PITCH_NAMES[self.tonic] + ("m" if self.mode == "minor" else "")

    @property
    def relative(self) -> "MusicalKey":
        """The key of the same scale on the other mode's tonic: A minor for C major, and back."""
        if self.mode == "major":
            return MusicalKey((self.tonic + 9) % 12, "minor")
        return MusicalKey((self.tonic + 3) % 12, "major")

    @property
    def _circle_position(self) -> int:
        """0 for C major / A minor, +1 per fifth."""
        relative_major = self.tonic if self.mode == "major" else self.relative.tonic
        return (relative_major * 7) % 12

    @property
    def camelot(self) -> str:
        return f"{(self._circle_position + 7) % 12 + 1}{'B' if self.mode == 'major' else 'A'}"

    @property
    def open_key(self) -> str:
        return f"{self._circle_position + 1}{'d' if self.mode == 'major' else 'm'}"


ALL_KEYS = tuple(MusicalKey(tonic, mode) for mode in ("major", "minor") for tonic in range(12))


def parse_key(text: str) -> MusicalKey:
    """Reads "A minor", "Am", "F#", "Bbm", "8A" or "1m" into a key; raises ValueError otherwise."""
    cleaned = text.strip()
    for key in ALL_KEYS:
        if cleaned.upper() in (key.camelot.upper(), key.open_key.upper()):
            return key
    match = _KEY_TEXT.match(cleaned)
    if match is None:
        raise ValueError(f"not a key: {text!r} (write it like \"A minor\", \"F#m\", \"8A\" or \"1m\")")
    root = match.group(1)[0].upper() + match.group(1)[1:]
    mode = "minor" if (match.group(2) or "").lower() in ("m", "min", "minor") else "major"
    tonic = PITCH_NAMES.index(root) if root in PITCH_NAMES else _ALIASES[root]
    return MusicalKey(tonic, mode)
