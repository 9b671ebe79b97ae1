"""File names that every filesystem and DJ program accepts, without losing the title's unicode."""

import re
import unicodedata

DEFAULT_TEMPLATE = "{artist} - {title}"
# Path separators become a lookalike dash; the rest of Windows' reserved set is dropped to "_".
_SEPARATORS = re.compile(r"[/\\]")
_RESERVED = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                    *(f"LPT{i}" for i in range(1, 10))}
MAX_NAME_BYTES = 180  # leaves room for " (12).aiff" and for folders within common 255-byte limits


def safe_filename(text: str) -> str:
    """A single path component: NFC unicode kept, separators and reserved characters replaced."""
    name = unicodedata.normalize("NFC", text)
    name = _SEPARATORS.sub("-", name)
    name = _RESERVED.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip().rstrip(". ")
    while len(name.encode()) > MAX_NAME_BYTES:
        name = name[:-1]
    name = name.rstrip(". ") or "untitled"
    if name.split(".")[0].upper() in _WINDOWS_DEVICES or name.startswith("."):
        name = f"_{name}"
    return name


def render_name(template: str, *, artist: str, title: str, album: str = "", year: str = "",
                track_key: str = "") -> str:
    """Fills a template such as "{artist} - {title}" and makes the result safe."""
    try:
        text = template.format(artist=artist, title=title, album=album, year=year, track_key=track_key)
    except (KeyError, IndexError) as error:
        raise ValueError(
            f"file name template {template!r} uses an unknown field {error}; "
            "use {artist}, {title}, {album}, {year} or {track_key}"
        ) from error
    return safe_filename(text)


def numbered(stem: str, attempt: int) -> str:
    """The name to try when `stem` belongs to another track: "Name (2)", "Name (3)", ..."""
    return stem if attempt == 1 else f"{stem} ({attempt})"
