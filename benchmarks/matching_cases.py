"""Spotify tracks with the candidates YouTube Music returns for them, and which upload is right.

Written by hand from what YouTube Music's search shows (songs with the label's credits and exact
lengths; videos under channel names, with "Official Video", lyric and fan uploads, longer music
videos; remixes, live takes, covers, sped-up and karaoke uploads), across scripts (Latin with
accents, Cyrillic, Hebrew, Japanese, Korean, Chinese, Arabic) and credit styles (feat., &, x, und,
with, 、, commas, self-titled). `right` names the uploads that are the recording; an empty `right`
means no candidate is, and the only right answer is to send the track to review.

The cases are split once, by a hash of their name, into a half to tune on and a held-out half that
is never tuned on (`part`).
"""

import hashlib
from dataclasses import dataclass

from musicsync_assets.lib.pipeline.matching import Candidate, Wanted


@dataclass(frozen=True)
class Case:
    name: str
    script: str  # of the Spotify title and artist
    credit: str  # how the artists are credited: single, feat., &, x, und, with, 、, comma, self-titled
    wanted: Wanted
    by_isrc: tuple[Candidate, ...]
    by_name: tuple[Candidate, ...]
    right: tuple[str, ...]  # video IDs that are this recording; () = none is, review is right

    @property
    def part(self) -> str:
        return "tune" if hashlib.sha256(self.name.encode()).digest()[0] % 2 == 0 else "held-out"

    def search(self, query: str) -> list[Candidate]:
        return list(self.by_isrc if query == self.wanted.isrc else self.by_name)


def song(vid: str, title: str, artists: str | tuple[str, ...], seconds: float) -> Candidate:
    artists = (artists,) if isinstance(artists, str) else artists
    return Candidate(f"https://music.youtube.com/watch?v={vid}", title, artists, seconds, "song")


def video(vid: str, title: str, channel: str, seconds: float) -> Candidate:
    return Candidate(f"https://music.youtube.com/watch?v={vid}", title, (channel,), seconds, "video")


def case(name, script, credit, title, artists, seconds, isrc=None, by_isrc=(), by_name=(), right=()) -> Case:
    return Case(name, script, credit, Wanted(title, tuple(artists), seconds, isrc), tuple(by_isrc), tuple(by_name),
                tuple(right))


CASES = [
    # --- Latin ------------------------------------------------------------------------------------
    case("strobe", "latin", "single", "Strobe", ["deadmau5"], 634.0, "CAN110900001",
         [song("s1", "Strobe", "deadmau5", 634)],
         [video("v1", "deadmau5 - Strobe (Live at Red Rocks)", "deadmau5", 640)], ["s1"]),
    case("opus", "latin", "single", "Opus", ["Eric Prydz"], 543.0, None, [],
         [video("v1", "Eric Prydz - Opus (Four Tet Remix)", "Pryda", 548), song("s1", "Opus", "Eric Prydz", 543),
          video("v2", "Eric Prydz - Opus (Official Video)", "Eric Prydz", 552)], ["s1"]),
    case("levels", "latin", "single", "Levels - Radio Edit", ["Avicii"], 199.0, None, [],
         [song("s1", "Levels (Radio Edit)", "Avicii", 199), video("v1", "Avicii - Levels (Skrillex Remix)", "Avicii", 204),
          video("v2", "Levels sped up", "nightcore land", 160)], ["s1"]),
    case("cola", "latin", "feat.", "Cola (feat. Elderbrook)", ["CamelPhat", "Elderbrook"], 244.0, None, [],
         [video("v1", "CamelPhat & Elderbrook - Cola (Official Video)", "Defected Records", 247),
          song("s1", "Cola", ("CamelPhat", "Elderbrook"), 244), video("v2", "Cola (Robin Schulz Remix)", "CamelPhat", 241)],
         ["s1", "v1"]),
    case("turn-on", "latin", "&", "Turn On The Lights again..", ["Fred again..", "Swedish House Mafia"], 244.0, None, [],
         [song("s1", "Turn On The Lights again.. (feat. Future)", ("Fred again..", "Swedish House Mafia", "Future"), 244),
          video("v1", "Fred again.. & Swedish House Mafia - Turn On The Lights again.. (Live)", "Fred again..", 251)],
         ["s1"]),
    case("rumble", "latin", "x", "Rumble", ["Skrillex", "Fred again..", "Flowdan"], 157.0, "GBAHS2200001",
         [song("s1", "Rumble", ("Skrillex", "Fred again..", "Flowdan"), 157)],
         [video("v1", "Skrillex x Fred again.. x Flowdan - Rumble", "Skrillex", 159)], ["s1", "v1"]),
    case("x-credit-video", "latin", "x", "Baby again..", ["Fred again..", "Skrillex", "Four Tet"], 183.0, None, [],
         [video("v1", "Baby again..", "Fred again.. x Skrillex x Four Tet", 184),
          video("v2", "Baby again.. (slowed + reverb)", "lofi vibes", 214)], ["v1"]),
    case("cafe", "latin-accents", "single", "Café Del Mar - Energy 52 Remix", ["Energy 52"], 463.0, None, [],
         [song("s1", "Café del Mar (Energy 52 Remix)", "Energy 52", 463),
          video("v1", "Energy 52 - Cafe Del Mar (Original Mix)", "Nova Tunes", 562)], ["s1"]),
    case("hoppipolla", "latin-accents", "single", "Hoppípolla", ["Sigur Rós"], 268.0, None, [],
         [song("s1", "Hoppipolla", "Sigur Ros", 268), video("v1", "Sigur Rós - Hoppípolla (Live at Ásbyrgi)", "Sigur Rós", 272)],
         ["s1"]),
    case("eple", "latin-accents", "single", "Eple", ["Röyksopp"], 221.0, None, [],
         [video("v1", "Röyksopp - Eple (Official Video)", "Röyksopp", 226), song("s1", "Eple", "Röyksopp", 221)],
         ["s1", "v1"]),
    case("und", "latin", "und", "Wunderbar", ["Ai Kamano", "Kazuki Sugawara"], 201.0, None, [],
         [video("v1", "Wunderbar", "Ai Kamano und Kazuki Sugawara", 203),
          video("v2", "Wunderbar (Cover)", "Lina Kovacs", 199)], ["v1"]),
    case("und-song", "latin", "und", "Zwei Herzen", ["Lea Brandt", "Jonas Reiter"], 188.0, None, [],
         [song("s1", "Zwei Herzen", "Lea Brandt und Jonas Reiter", 188), video("v1", "Zwei Herzen (Live)", "Lea Brandt", 196)],
         ["s1"]),
    case("with", "latin", "with", "Nights Like This", ["Kehlani", "Ty Dolla $ign"], 201.0, None, [],
         [song("s1", "Nights Like This (with Ty Dolla $ign)", "Kehlani", 201),
          video("v1", "Kehlani - Nights Like This (feat. Ty Dolla $ign) [Official Video]", "Kehlani", 240)], ["s1"]),
    case("comma", "latin", "comma", "Lose Control", ["MEDUZA", "Becky Hill", "Goodboys"], 169.0, None, [],
         [video("v1", "Lose Control", "MEDUZA, Becky Hill, Goodboys", 169),
          video("v2", "MEDUZA, Becky Hill, Goodboys - Lose Control (Karaoke)", "Sing King", 170)], ["v1"]),
    case("self-titled", "latin", "self-titled", "club2020", ["club2020"], 212.0, None, [],
         [video("v1", "club2020", "club2020", 213), video("v2", "club2020 - club2020 (sped up)", "speedy", 170)], ["v1"]),
    case("self-titled-song", "latin", "self-titled", "Bad Company", ["Bad Company"], 290.0, None, [],
         [song("s1", "Bad Company", "Bad Company", 290),
          video("v1", "Bad Company - Bad Company (Live 1977)", "Bad Company", 296)], ["s1"]),
    case("self-titled-mv", "latin", "self-titled", "Kraftwerk", ["Kraftwerk"], 240.0, None, [],
         [video("v1", "Kraftwerk - Kraftwerk (Official Audio)", "Kraftwerk", 241)], ["v1"]),
    case("remix-wanted", "latin", "single", "Strobe - Club Edit", ["deadmau5"], 400.0, None, [],
         [song("s1", "Strobe (Club Edit)", "deadmau5", 401), song("s2", "Strobe", "deadmau5", 634)], ["s1"]),
    case("no-right", "latin", "single", "Ghosts n Stuff", ["deadmau5", "Rob Swire"], 317.0, None, [],
         [video("v1", "deadmau5 - Ghosts n Stuff (Nero Remix)", "deadmau5", 320),
          video("v2", "Ghosts n Stuff sped up", "speed", 250)], []),
    case("stale", "latin", "single", "Innerbloom", ["RÜFÜS DU SOL"], 577.0, None, [],
         [video("v1", "RÜFÜS DU SOL - Innerbloom (Lyric Video)", "RÜFÜS DU SOL", 579),
          video("v2", "Rufus Du Sol - Innerbloom", "Chill Nation", 586),
          song("s1", "Innerbloom", "RÜFÜS DU SOL", 577)], ["s1", "v1"]),
    case("duplicate-upload", "latin", "single", "Rain On Me", ["Lady Gaga", "Ariana Grande"], 182.0, None, [],
         [song("s1", "Rain On Me", ("Lady Gaga", "Ariana Grande"), 182),
          song("s2", "Rain On Me", ("Lady Gaga", "Ariana Grande"), 182),
          video("v1", "Lady Gaga, Ariana Grande - Rain On Me (Official Music Video)", "LadyGagaVEVO", 199)],
         ["s1", "s2"]),
    case("isrc-exact-beats-text", "latin", "single", "Breathe", ["Télépopmusik"], 279.0, "FRZ110200001",
         [song("s1", "Breathe", "Telepopmusik", 279)],
         [video("v1", "Télépopmusik - Breathe", "Télépopmusik", 280), video("v2", "Breathe (Remix)", "Télépopmusik", 281)],
         ["s1"]),
    case("isrc-wrong-length", "latin", "single", "Losing It", ["FISHER"], 247.0, "USUS11800001",
         [song("s1", "Losing It", "FISHER", 405)],
         [video("v1", "FISHER - Losing It (Official Audio)", "FISHER", 248)], ["v1"]),
    # --- Cyrillic ---------------------------------------------------------------------------------
    case("zemfira", "cyrillic", "single", "Хочешь?", ["Земфира"], 224.0, None, [],
         [song("s1", "Хочешь?", "Земфира", 224), video("v1", "Земфира — Хочешь? (кавер)", "Музыка Души", 221),
          video("v2", "Земфира - Хочешь (Live)", "Земфира", 236)], ["s1"]),
    case("kino", "cyrillic", "single", "Группа крови", ["КИНО"], 286.0, "RUA000000001",
         [song("s1", "Группа крови", "Кино", 286)],
         [video("v1", "КИНО - Группа крови (ремикс 2020)", "Remix Hub", 290)], ["s1"]),
    case("cyr-latin-artist", "cyrillic", "single", "Кукушка", ["Kino"], 398.0, None, [],
         [song("s1", "Кукушка", "Кино", 398), video("v1", "Кукушка (cover)", "Полина Гагарина", 396)], ["s1"]),
    case("cyr-feat", "cyrillic", "feat.", "Ты не такой (feat. Монеточка)", ["Noize MC", "Монеточка"], 201.0, None, [],
         [video("v1", "Noize MC feat. Монеточка - Ты не такой", "Noize MC", 204),
          video("v2", "Ты не такой (speed up)", "speed up ru", 160)], ["v1"]),
    case("cyr-and", "cyrillic", "&", "Иди, не бойся", ["Баста", "Полина Гагарина"], 215.0, None, [],
         [song("s1", "Иди, не бойся", "Баста и Полина Гагарина", 215),
          video("v1", "Баста & Полина Гагарина — Иди, не бойся (Live)", "Баста", 229)], ["s1"]),
    case("cyr-no-right", "cyrillic", "single", "Спокойная ночь", ["КИНО"], 375.0, None, [],
         [video("v1", "Спокойная ночь (кавер на гитаре)", "Гитарист", 372),
          video("v2", "КИНО - Спокойная ночь (Live 1990)", "КИНО", 380)], []),
    # --- Hebrew -----------------------------------------------------------------------------------
    case("hasel", "hebrew", "feat.", "האסל (feat. טונה)", ["Ravid Plotnik", "Tuna"], 198.0, None, [],
         [song("s1", "האסל", ("רביד פלוטניק", "טונה"), 198), song("s2", "סיבה למסיבה", "רביד פלוטניק", 201),
          video("v1", "רביד פלוטניק - האסל (קאבר)", "קאברים", 197)], ["s1"]),
    case("hebrew-mixed", "hebrew", "single", "Tuna - אתניקה", ["Tuna"], 203.0, None, [],
         [song("s1", "אתניקה", "טונה", 203), song("s2", "פרפר", "טונה", 204)], ["s1"]),
    case("hebrew-same-artist-other-song", "hebrew", "single", "מה שיש", ["נועה קירל"], 180.0, None, [],
         [song("s1", "מה אתה", "נועה קירל", 181), song("s2", "טראבל", "נועה קירל", 180)], []),
    case("hebrew-video", "hebrew", "&", "ככה זה", ["עומר אדם", "נסים"], 210.0, None, [],
         [video("v1", "עומר אדם & נסים - ככה זה", "Omer Adam", 214), video("v2", "ככה זה (רמיקס)", "DJ Israel", 212)],
         ["v1"]),
    # --- Japanese ---------------------------------------------------------------------------------
    case("lemon", "japanese", "single", "Lemon", ["米津玄師"], 255.0, "JPU901800001",
         [song("s1", "Lemon", "Kenshi Yonezu", 255)],
         [video("v1", "米津玄師 MV「Lemon」", "米津玄師", 276), video("v2", "Lemon / 米津玄師 (cover)", "歌い手", 254)], ["s1"]),
    case("yoru", "japanese", "single", "夜に駆ける", ["YOASOBI"], 261.0, None, [],
         [song("s1", "夜に駆ける", "YOASOBI", 261), video("v1", "YOASOBI「夜に駆ける」 Official Music Video", "Ayase / YOASOBI", 274),
          video("v2", "夜に駆ける / YOASOBI 歌ってみた", "cover ch", 262)], ["s1"]),
    case("marigold", "japanese", "single", "マリーゴールド", ["あいみょん"], 304.0, None, [],
         [song("s1", "Marigold", "Aimyon", 304), video("v1", "あいみょん - マリーゴールド【ライブ】", "あいみょん", 310)], ["s1"]),
    case("jp-nakaguro", "japanese", "、", "ただ君に晴れ", ["ヨルシカ"], 198.0, None, [],
         [song("s1", "ただ君に晴れ", "ヨルシカ", 198), video("v1", "ただ君に晴れ (カラオケ)", "JOYSOUND", 199)], ["s1"]),
    case("jp-comma-credit", "japanese", "、", "ひまわりの約束", ["秦基博", "菅田将暉"], 315.0, None, [],
         [video("v1", "ひまわりの約束", "秦基博、菅田将暉", 316), video("v2", "ひまわりの約束 カバー", "路上ライブ", 318)],
         ["v1"]),
    case("jp-romaji-title", "japanese", "single", "Yoru ni Kakeru", ["YOASOBI"], 261.0, None, [],
         [song("s1", "夜に駆ける", "YOASOBI", 261), song("s2", "Idol", "YOASOBI", 213)], ["s1"]),
    case("jp-feat", "japanese", "feat.", "Lonely Night (feat. 菅田将暉)", ["Ai Kamano", "菅田将暉"], 230.0, None, [],
         [song("s1", "Lonely Night", ("Ai Kamano", "Masaki Suda"), 230),
          video("v1", "Lonely Night (Piano Cover)", "Piano Tokyo", 232)], ["s1"]),
    # --- Korean -----------------------------------------------------------------------------------
    case("iu", "korean", "single", "밤편지", ["IU"], 253.0, None, [],
         [song("s1", "밤편지", "아이유", 253), video("v1", "[MV] IU(아이유) _ Through the Night(밤편지)", "1theK", 261),
          video("v2", "밤편지 (커버)", "노래방", 252)], ["s1", "v1"]),
    case("kr-isrc", "korean", "single", "Love wins all", ["IU"], 271.0, "KRA382400001",
         [song("s1", "Love wins all", "IU", 271)],
         [video("v1", "[MV] IU(아이유) _ Love wins all", "1theK", 330)], ["s1"]),
    case("kr-with", "korean", "with", "에잇 (Prod. & Feat. SUGA of BTS)", ["IU", "SUGA"], 167.0, None, [],
         [song("s1", "에잇 (Prod. & Feat. SUGA of BTS)", ("IU",), 167), video("v1", "에잇 (Remix)", "DJ Seoul", 170)], ["s1"]),
    case("kr-x", "korean", "x", "Next Level", ["aespa"], 221.0, None, [],
         [video("v1", "aespa 에스파 'Next Level' MV", "SMTOWN", 236), song("s1", "Next Level", "aespa", 221),
          video("v2", "aespa x NCT - Next Level (Live)", "KBS", 226)], ["s1"]),
    # --- Chinese ----------------------------------------------------------------------------------
    case("jay", "chinese", "single", "晴天", ["周杰倫"], 269.0, None, [],
         [song("s1", "晴天", "周杰倫", 269), video("v1", "周杰倫 Jay Chou【晴天 Sunny Day】Official MV", "JVR Music", 291),
          video("v2", "晴天 翻唱", "歌手", 266)], ["s1"]),
    case("jay-latin-artist", "chinese", "single", "稻香", ["Jay Chou"], 223.0, None, [],
         [song("s1", "稻香", "周杰倫", 223), song("s2", "稻香 (伴奏)", "周杰倫", 223)], ["s1"]),
    case("zh-and", "chinese", "&", "說好不哭", ["周杰倫", "五月天阿信"], 222.0, None, [],
         [song("s1", "說好不哭 (with 五月天阿信)", "周杰倫", 222), video("v1", "說好不哭 現場版", "周杰倫", 230)], ["s1"]),
    case("zh-comma", "chinese", "comma", "光年之外", ["G.E.M. 鄧紫棋"], 235.0, None, [],
         [video("v1", "G.E.M.【光年之外 LIGHT YEARS AWAY】MV", "G.E.M. 鄧紫棋", 243),
          song("s1", "光年之外", "G.E.M.", 235)], ["s1", "v1"]),
    # --- Arabic -----------------------------------------------------------------------------------
    case("amr", "arabic", "single", "تملي معاك", ["عمرو دياب"], 276.0, None, [],
         [song("s1", "تملي معاك", "عمرو دياب", 276), video("v1", "عمرو دياب - تملي معاك (كاريوكي)", "كاريوكي", 275)],
         ["s1"]),
    case("amr-latin", "arabic", "single", "Tamally Maak", ["Amr Diab"], 276.0, None, [],
         [song("s1", "تملي معاك", "عمرو دياب", 276), song("s2", "نور العين", "عمرو دياب", 277)], ["s1"]),
    case("ar-feat", "arabic", "feat.", "Enta Eih (feat. Nancy)", ["Wael Kfoury", "Nancy Ajram"], 240.0, None, [],
         [video("v1", "Wael Kfoury ft. Nancy Ajram - Enta Eih", "Rotana", 242),
          video("v2", "Enta Eih (Live)", "Nancy Ajram", 251)], ["v1"]),
    case("ar-no-right", "arabic", "single", "قلبي", ["عمرو دياب"], 250.0, None, [],
         [video("v1", "قلبي (ريمكس)", "ريمكس", 249), song("s1", "حبيبي", "عمرو دياب", 251)], []),
]
