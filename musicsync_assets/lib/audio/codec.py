"""Probe, decode and encode audio with ffmpeg.

ffmpeg comes from PATH when it is there, else from the imageio-ffmpeg wheel, so a fresh machine
with only Python needs no system package. That wheel ships no ffprobe: probing parses ffmpeg's
own description of its input.
"""

import functools
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from musicsync_assets.lib.errors import CorruptAudio, NotAudio, ToolMissing

# Output formats: extension, ffmpeg muxer, codec arguments. The M4A bitrate is filled in per call.
FORMATS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "m4a": ("m4a", "ipod", ("-c:a", "aac")),
    "wav": ("wav", "wav", ("-c:a", "pcm_s16le")),
    "aiff": ("aiff", "aiff", ("-c:a", "pcm_s16be")),
    "mp3": ("mp3", "mp3", ("-c:a", "libmp3lame", "-b:a", "320k")),
    "flac": ("flac", "flac", ("-c:a", "flac")),
}
EXPECTED_CODEC = {"m4a": "aac", "wav": "pcm_s16le", "aiff": "pcm_s16be", "mp3": "mp3", "flac": "flac"}

# ffmpeg runs in a session of its own, so a Ctrl-C in the terminal reaches musicsync, which stops
# it in order, instead of killing it mid-file and looking like a broken encode.
OWN_SESSION = True


@functools.cache
def ffmpeg_exe() -> str:
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError as error:
        raise ToolMissing("no ffmpeg on PATH and imageio-ffmpeg is not installed") from error
    try:
        bundled = imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as error:
        raise ToolMissing(f"no ffmpeg on PATH, and imageio-ffmpeg has none: {error}") from error
    # IMAGEIO_FFMPEG_EXE is returned unchecked: a path naming nothing would fail at the first
    # decode with a traceback.
    if not Path(bundled).is_file():
        raise ToolMissing(f"no ffmpeg on PATH, and {bundled} (IMAGEIO_FFMPEG_EXE?) is not a file")
    return bundled


@dataclass(frozen=True)
class AudioProbe:
    container: str
    codec: str
    sample_rate: int
    channels: int
    duration_s: float | None
    has_cover: bool


_INPUT = re.compile(r"^Input #0, ([^,]+)", re.MULTILINE)
_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_AUDIO = re.compile(r"Stream #0:\d+[^:]*: Audio: (\w+)[^,]*, (\d+) Hz, ([^,]+)")
_COVER = re.compile(r"Stream #0:\d+[^:]*: Video: .*\(attached pic\)")
_LAYOUT_CHANNELS = {"mono": 1, "stereo": 2, "2.1": 3, "quad": 4, "5.0": 5, "5.1": 6, "7.1": 8}


def probe(path: Path) -> AudioProbe:
    """Describes the first audio stream, or raises NotAudio when the file has none."""
    result = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(path)],
        check=False, capture_output=True, text=True, errors="replace", start_new_session=OWN_SESSION,
    )
    text = result.stderr
    audio = _AUDIO.search(text)
    if audio is None:
        if _looks_like_audio(Path(path)):
            complaint = text.strip().splitlines()[-1].replace(str(path), "").lstrip(": ") if text.strip() else ""
            raise CorruptAudio(f"{Path(path).name} is an audio file but cannot be read ({complaint or 'no stream'})")
        raise NotAudio(f"{Path(path).name} is not an audio file")
    layout = audio.group(3).strip().split("(")[0]
    channels = _LAYOUT_CHANNELS.get(layout)
    if channels is None:
        digits = re.match(r"(\d+) channels", layout)
        channels = int(digits.group(1)) if digits else 2
    duration = _DURATION.search(text)
    container = _INPUT.search(text)
    return AudioProbe(
        container=container.group(1) if container else "unknown",
        codec=audio.group(1),
        sample_rate=int(audio.group(2)),
        channels=channels,
        duration_s=declared_length(Path(path)) or (
            int(duration.group(1)) * 3600 + int(duration.group(2)) * 60 + float(duration.group(3))
            if duration else None),
        has_cover=bool(_COVER.search(text)),
    )


def declared_length(path: Path) -> float | None:
    """The length the file's header promises (WAV data size, FLAC sample count, MP4 duration).

    ffmpeg estimates some lengths from the bytes actually present, which hides truncation; the
    header's promise, compared with what decodes, reveals it.
    """
    from mutagen import File as MutagenFile
    from mutagen import MutagenError

    try:
        described = MutagenFile(path)
    except (MutagenError, OSError, ValueError):
        return None
    length = getattr(getattr(described, "info", None), "length", None)
    return float(length) if length else None


def _looks_like_audio(path: Path) -> bool:
    """Recognises the common audio containers by their first bytes."""
    with open(path, "rb") as handle:
        head = handle.read(12)
    return (head.startswith((b"ID3", b"fLaC", b"RIFF", b"FORM", b"OggS", b"\x1aE\xdf\xa3"))
            or head[4:8] == b"ftyp" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0))


def decode(path: Path, sample_rate: int, channels: int, declared_duration_s: float | None = None) -> np.ndarray:
    """The whole first audio stream as int16 PCM, shape (frames, channels).

    Decoding errors and a stream much shorter than its container declares both mean a damaged
    file, and are raised rather than silently producing a short track.
    """
    result = subprocess.run(_decode_command(path, sample_rate, channels), check=False, capture_output=True,
                            start_new_session=OWN_SESSION)
    pcm = np.frombuffer(result.stdout, dtype="<i2").reshape(-1, channels)
    _raise_if_damaged(path, result.returncode, result.stderr, len(pcm) / sample_rate, declared_duration_s)
    return pcm


def stream(path: Path, sample_rate: int, channels: int, block_s: float = 30.0,
           declared_duration_s: float | None = None) -> Iterator[np.ndarray]:
    """Like `decode`, in blocks of `block_s` seconds, so an hours-long mix never sits in memory whole.
    The damage checks run once the stream has ended."""
    block_bytes = int(block_s * sample_rate) * channels * 2
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: ffmpeg never blocks on a full stderr
        process = subprocess.Popen(_decode_command(path, sample_rate, channels), start_new_session=OWN_SESSION,
                                   stdout=subprocess.PIPE,
                                   stderr=errors)
        frames = 0
        try:
            while block := process.stdout.read(block_bytes):
                pcm = np.frombuffer(block[: len(block) - len(block) % (2 * channels)], dtype="<i2")
                frames += len(pcm) // channels
                yield pcm.reshape(-1, channels)
        finally:
            process.stdout.close()
            returncode = process.wait()
        errors.seek(0)
        _raise_if_damaged(path, returncode, errors.read(), frames / sample_rate, declared_duration_s)


def _decode_command(path: Path, sample_rate: int, channels: int) -> list[str]:
    return [ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-i", str(path), "-map", "0:a:0",
            "-f", "s16le", "-c:a", "pcm_s16le", "-ac", str(channels), "-ar", str(sample_rate), "pipe:1"]


def _raise_if_damaged(path: Path, returncode: int, stderr: bytes, decoded_s: float,
                      declared_duration_s: float | None) -> None:
    errors = stderr.decode(errors="replace").strip()
    if returncode != 0 or not decoded_s:
        raise CorruptAudio(f"{Path(path).name} could not be decoded: {_first_line(errors) or 'no audio'}")
    # Before the decoder's complaint: a file cut short ends in a broken packet, which says less.
    if declared_duration_s and decoded_s < 0.97 * declared_duration_s:
        raise CorruptAudio(
            f"{Path(path).name} is truncated: {decoded_s:.1f} s decoded of {declared_duration_s:.1f} s declared"
        )
    if errors and ("invalid" in errors.lower() or "error" in errors.lower()):
        raise CorruptAudio(f"{Path(path).name} is damaged: {_first_line(errors)}")


def decoded_duration(path: Path) -> float:
    """Decodes a file to nowhere and returns how long it played; raises CorruptAudio on errors."""
    result = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-nostats", "-progress", "pipe:1",
         "-i", str(path), "-map", "0:a:0", "-f", "null", "-"],
        check=False, capture_output=True, text=True, errors="replace", start_new_session=OWN_SESSION,
    )
    times = re.findall(r"out_time_us=(\d+)", result.stdout)
    if result.returncode != 0 or result.stderr.strip() or not times:
        raise CorruptAudio(f"{Path(path).name} does not decode cleanly: {_first_line(result.stderr)}")
    return int(times[-1]) / 1e6


class Encoder:
    """One ffmpeg process that turns decoded PCM into several files at once.

    PCM is fed from a thread, so the caller can analyse the same samples while ffmpeg encodes on
    the other core. Call `finish()` to wait; it raises with ffmpeg's message if any output failed.
    """

    def __init__(self, pcm: np.ndarray, sample_rate: int, outputs: dict[str, Path], aac_kbps: int):
        if not outputs:
            self._process = None
            return
        command = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error",
                   "-f", "s16le", "-ar", str(sample_rate), "-ac", str(pcm.shape[1]), "-i", "pipe:0"]
        for fmt, path in outputs.items():
            _, muxer, codec_args = FORMATS[fmt]
            bitrate = ("-b:a", f"{aac_kbps}k") if fmt == "m4a" else ()
            command += ["-map", "0:a", *codec_args, *bitrate, "-fflags", "+bitexact", "-f", muxer, "-y",
                        str(path)]
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                                         start_new_session=OWN_SESSION)
        self._feeder = threading.Thread(target=self._feed, args=(np.ascontiguousarray(pcm),), daemon=True)
        self._feeder.start()

    def _feed(self, pcm: np.ndarray) -> None:
        try:
            self._process.stdin.write(memoryview(pcm).cast("B"))
            self._process.stdin.close()
        except BrokenPipeError:
            pass  # ffmpeg stopped early; finish() reports its message

    def stop(self) -> None:
        """Ends ffmpeg if it is still running (after an error elsewhere); harmless after finish()."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def finish(self) -> None:
        if self._process is None:
            return
        self._feeder.join()
        errors = self._process.stderr.read().decode(errors="replace")
        if self._process.wait() != 0:
            raise OSError(f"ffmpeg could not write the files: {_first_line(errors)}")


def copy_audio_stream(source: Path, destination: Path, muxer: str = "ipod") -> None:
    """Rewraps the source's audio stream without re-encoding it (no second lossy generation)."""
    result = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-i", str(source), "-map", "0:a:0",
         "-c:a", "copy", "-fflags", "+bitexact", "-f", muxer, "-y", str(destination)],
        check=False, capture_output=True, text=True, errors="replace", start_new_session=OWN_SESSION,
    )
    if result.returncode != 0:
        raise OSError(f"ffmpeg could not copy the audio stream: {_first_line(result.stderr)}")


_COMPONENT = re.compile(r"^\[[^\]]* @ 0x[0-9a-f]+\] ")  # "[mp3float @ 0x55c41dd84e80] ": where in ffmpeg


def _first_line(text: str) -> str:
    return _COMPONENT.sub("", text.strip().splitlines()[0]) if text.strip() else ""
