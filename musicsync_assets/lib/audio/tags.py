"""Writing and reading tags, each format in its own standard fields.

- MP3, WAV, AIFF: ID3v2.3 (what DJ software reads most reliably): TIT2, TPE1, TALB, TYER, TSRC,
  WOAS (source URL; a URL frame holds Latin-1 only, so other characters are percent-encoded), TBPM, TKEY ("Am", "F#"), COMM and TIT1 (grouping) with the Camelot code, APIC.
- M4A: ©nam, ©ART, ©alb, ©day, tmpo, freeform iTunes atoms initialkey / ISRC / URL, ©cmt, ©grp, covr.
- FLAC: Vorbis comments of the same names, and a PICTURE block.
Several artists are written as one display string ("A, B") plus an ARTISTS list, as Picard does,
because "/"-joined ID3 values break on names such as "AC/DC".
"""

import hashlib
from dataclasses import asdict, astuple, dataclass, field, replace
from pathlib import Path
from urllib.parse import quote

from mutagen import File as MutagenFile
from mutagen import MutagenError
from mutagen.aiff import AIFF
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, COMM, ID3, TALB, TBPM, TIT1, TIT2, TKEY, TPE1, TSRC, TXXX, TYER, WOAS
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm
from mutagen.wave import WAVE

_FREEFORM = "----:com.apple.iTunes:"
_ID3_SUFFIXES = (".mp3", ".wav", ".aif", ".aiff")


@dataclass
class TagSet:
    title: str | None = None
    artists: list[str] = field(default_factory=list)
    album: str | None = None
    year: int | None = None
    isrc: str | None = None
    source_url: str | None = None
    bpm: int | None = None
    key: str | None = None
    camelot: str | None = None
    comment: str | None = None
    artwork: bytes | None = None

    def digest(self) -> str:
        """Identifies what would be written, so unchanged tags are not rewritten."""
        values = [hashlib.sha256(v).hexdigest() if isinstance(v, bytes) else v for v in astuple(self)]
        return hashlib.sha256(repr(values).encode()).hexdigest()[:16]


def _mime(image: bytes) -> str:
    return "image/png" if image.startswith(b"\x89PNG") else "image/jpeg"


def as_stored(tags: TagSet, path: Path) -> TagSet:
    """`tags` as a file of this kind holds them, so as `read_tags` gives them back: a URL pasted
    from a browser's address bar may hold any character, an ID3 URL frame only Latin-1."""
    if Path(path).suffix.lower() in _ID3_SUFFIXES and tags.source_url:
        return replace(tags, source_url=quote(tags.source_url, safe="".join(map(chr, range(33, 127)))))
    return tags


def tag_differences(path: Path, tags: TagSet) -> list[str]:
    """How the file's tags differ from `tags` (a field `tags` leaves empty is anyone's): what is
    missing, what another program or a person changed."""
    stored = read_tags(path)
    if stored == TagSet():
        return ["no tags at all"]  # not every field one by one: the file was replaced, cut, or never tagged
    want, have = asdict(as_stored(tags, path)), asdict(stored)
    differences = []
    for name, expected in want.items():
        # Empty in the catalog ("", [""], the year 0 of a tag reading 0000) is written as nothing.
        if expected in (None, [], "", [""], 0) or name == "comment":
            continue
        if have[name] in (None, []):
            differences.append(f"{name} missing")
        elif name == "artwork" and have[name] != expected:
            differences.append("artwork differs")
        elif have[name] != expected:
            differences.append(f"{name} {have[name]!r}, catalog {expected!r}")
    if want["camelot"] and want["camelot"] not in (have["comment"] or ""):
        differences.append("Camelot code missing from the comment")
    return differences


# What musicsync writes, per kind of tag: a retag replaces these and leaves every other field as it
# is (DJ software keeps cue points, beat grids and its own analysis in tags of its own).
_ID3_OWN = ("TIT2", "TPE1", "TALB", "TYER", "TDRC", "TSRC", "TBPM", "TKEY", "TIT1", "TXXX:ARTISTS", "WOAS",
            "COMM", "APIC")
_MP4_OWN = ("\xa9nam", "\xa9ART", "\xa9alb", "\xa9day", "\xa9cmt", "\xa9grp", "tmpo", "covr")
_MP4_FREEFORM_OWN = ("initialkey", "ISRC", "URL", "ARTISTS")
_VORBIS_OWN = ("TITLE", "ARTIST", "ALBUM", "DATE", "ISRC", "WEBSITE", "BPM", "INITIALKEY", "COMMENT", "GROUPING",
               "ARTISTS")


def write_tags(path: Path, tags: TagSet) -> None:
    """Replaces musicsync's fields with `tags` (fields left None are not written); other tags stay."""
    suffix = Path(path).suffix.lower()
    if suffix in _ID3_SUFFIXES:
        _write_id3(path, suffix, tags)
    elif suffix in (".m4a", ".mp4", ".aac"):
        _write_mp4(path, tags)
    elif suffix == ".flac":
        _write_vorbis(path, tags)
    else:
        raise ValueError(f"musicsync does not tag {suffix} files")


def _write_id3(path: Path, suffix: str, tags: TagSet) -> None:
    container = {".mp3": MP3, ".wav": WAVE, ".aif": AIFF, ".aiff": AIFF}[suffix](path)
    if container.tags is None:
        container.add_tags()
    id3: ID3 = container.tags
    for key in _ID3_OWN:
        id3.delall(key)
    text_frames = [(TIT2, tags.title), (TPE1, ", ".join(tags.artists) or None), (TALB, tags.album),
                   (TYER, str(tags.year) if tags.year else None), (TSRC, tags.isrc),
                   (TBPM, str(tags.bpm) if tags.bpm else None), (TKEY, tags.key), (TIT1, tags.camelot)]
    for frame, value in text_frames:
        if value:
            id3.add(frame(encoding=3, text=[value]))
    if len(tags.artists) > 1:
        id3.add(TXXX(encoding=3, desc="ARTISTS", text=tags.artists))
    if tags.source_url:
        id3.add(WOAS(url=as_stored(tags, path).source_url))
    if tags.comment:
        id3.add(COMM(encoding=3, lang="eng", desc="", text=[tags.comment]))
    if tags.artwork:
        id3.add(APIC(encoding=3, mime=_mime(tags.artwork), type=3, desc="Cover", data=tags.artwork))
    # Null-separated multi-values (only ARTISTS has several) survive names such as "AC/DC".
    container.save(v2_version=3, v23_sep=None)


def _write_mp4(path: Path, tags: TagSet) -> None:
    container = MP4(path)
    if container.tags is None:
        container.add_tags()
    atoms = container.tags
    for atom in (*_MP4_OWN, *(_FREEFORM + name for name in _MP4_FREEFORM_OWN)):
        if atom in atoms:
            del atoms[atom]
    simple = {"\xa9nam": tags.title, "\xa9ART": ", ".join(tags.artists) or None, "\xa9alb": tags.album,
              "\xa9day": str(tags.year) if tags.year else None, "\xa9cmt": tags.comment,
              "\xa9grp": tags.camelot}
    for atom, value in simple.items():
        if value:
            atoms[atom] = [value]
    if tags.bpm:
        atoms["tmpo"] = [int(tags.bpm)]
    freeform = {"initialkey": tags.key, "ISRC": tags.isrc, "URL": tags.source_url}
    for name, value in freeform.items():
        if value:
            atoms[_FREEFORM + name] = [MP4FreeForm(value.encode())]
    if len(tags.artists) > 1:
        atoms[_FREEFORM + "ARTISTS"] = [MP4FreeForm(a.encode()) for a in tags.artists]
    if tags.artwork:
        image_format = MP4Cover.FORMAT_PNG if _mime(tags.artwork) == "image/png" else MP4Cover.FORMAT_JPEG
        atoms["covr"] = [MP4Cover(tags.artwork, imageformat=image_format)]
    container.save()


def _write_vorbis(path: Path, tags: TagSet) -> None:
    container = FLAC(path)
    if container.tags is None:
        container.add_tags()
    for name in _VORBIS_OWN:
        if name in container.tags:
            del container.tags[name]
    container.clear_pictures()
    fields = {"TITLE": tags.title, "ARTIST": ", ".join(tags.artists) or None, "ALBUM": tags.album,
              "DATE": str(tags.year) if tags.year else None, "ISRC": tags.isrc, "WEBSITE": tags.source_url,
              "BPM": str(tags.bpm) if tags.bpm else None, "INITIALKEY": tags.key, "COMMENT": tags.comment,
              "GROUPING": tags.camelot}
    for name, value in fields.items():
        if value:
            container[name] = value
    if len(tags.artists) > 1:
        container["ARTISTS"] = tags.artists
    if tags.artwork:
        picture = Picture()
        picture.type, picture.mime, picture.data = 3, _mime(tags.artwork), tags.artwork
        container.add_picture(picture)
    container.save()


def read_tags(path: Path) -> TagSet:
    """Reads back what `write_tags` writes, and the common fields of files from elsewhere."""
    try:
        container = MutagenFile(path)
    except MutagenError:
        return TagSet()  # unreadable tags; whether the audio itself is usable is probed separately
    if container is None or container.tags is None:
        return TagSet()
    if isinstance(container.tags, ID3):
        return _read_id3(container.tags)
    if isinstance(container, MP4):
        return _read_mp4(container.tags)
    if hasattr(container.tags, "as_dict") or isinstance(container, FLAC):
        return _read_vorbis(container)
    return TagSet()


def _first(values) -> str | None:
    return str(values[0]) if values else None


def _year(text: str | None) -> int | None:
    return int(text[:4]) if text and text[:4].isdigit() else None


def _bpm(text: str | None) -> int | None:
    try:
        return round(float(text)) if text else None
    except ValueError:
        return None


def _read_id3(id3: ID3) -> TagSet:
    def text(frame_id: str) -> str | None:
        frame = id3.get(frame_id)
        return str(frame.text[0]) if frame and frame.text else None

    artists_frame = id3.get("TXXX:ARTISTS")
    display = text("TPE1")
    comments = id3.getall("COMM")
    pictures = id3.getall("APIC")
    woas = id3.get("WOAS")
    return TagSet(
        title=text("TIT2"),
        artists=list(artists_frame.text) if artists_frame else ([display] if display else []),
        album=text("TALB"),
        year=_year(text("TYER") or text("TDRC")),
        isrc=text("TSRC"),
        source_url=woas.url if woas else None,
        bpm=_bpm(text("TBPM")),
        key=text("TKEY"),
        camelot=text("TIT1"),
        comment=str(comments[0].text[0]) if comments and comments[0].text else None,
        artwork=pictures[0].data if pictures else None,
    )


def _read_mp4(atoms) -> TagSet:
    def freeform(name: str) -> str | None:
        values = atoms.get(_FREEFORM + name)
        return bytes(values[0]).decode() if values else None

    artists = [bytes(a).decode() for a in atoms.get(_FREEFORM + "ARTISTS", [])]
    display = _first(atoms.get("\xa9ART"))
    covers = atoms.get("covr")
    tempo = atoms.get("tmpo")
    return TagSet(
        title=_first(atoms.get("\xa9nam")),
        artists=artists or ([display] if display else []),
        album=_first(atoms.get("\xa9alb")),
        year=_year(_first(atoms.get("\xa9day"))),
        isrc=freeform("ISRC"),
        source_url=freeform("URL"),
        bpm=int(tempo[0]) if tempo else None,
        key=freeform("initialkey"),
        camelot=_first(atoms.get("\xa9grp")),
        comment=_first(atoms.get("\xa9cmt")),
        artwork=bytes(covers[0]) if covers else None,
    )


def _read_vorbis(container) -> TagSet:
    def value(name: str) -> str | None:
        return _first(container.tags.get(name)) if container.tags else None

    display = value("ARTIST")
    pictures = getattr(container, "pictures", [])
    return TagSet(
        title=value("TITLE"),
        artists=list(container.tags.get("ARTISTS", [])) or ([display] if display else []),
        album=value("ALBUM"),
        year=_year(value("DATE")),
        isrc=value("ISRC"),
        source_url=value("WEBSITE"),
        bpm=_bpm(value("BPM")),
        key=value("INITIALKEY"),
        camelot=value("GROUPING"),
        comment=value("COMMENT"),
        artwork=pictures[0].data if pictures else None,
    )
