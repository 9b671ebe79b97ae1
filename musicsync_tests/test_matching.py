"""Spotify → YouTube matching on candidate lists that hold the traps real searches do."""

from dataclasses import replace

import pytest

from musicsync_assets.lib.errors import ServiceUnavailable
from musicsync_assets.lib.pipeline.matching import (
    THRESHOLD,
    Candidate,
    Wanted,
    choose,
    credits,
    score,
    similarity,
    youtube_music_search,
)

STROBE = Wanted("Strobe", ("deadmau5",), 634.0, isrc="CAN110900001")


def candidates(*rows) -> list[Candidate]:
    return [Candidate(f"https://www.youtube.com/watch?v={n:011d}", title, artists, seconds, kind)
            for n, (title, artists, seconds, kind) in enumerate(rows)]


def searching(by_isrc: list[Candidate], by_name: list[Candidate]):
    queries = []

    def search(query: str) -> list[Candidate]:
        queries.append(query)
        return by_isrc if query == STROBE.isrc else by_name

    return search, queries


def test_an_isrc_hit_that_fits_is_taken_without_a_name_search():
    hit = candidates(("Strobe", ("deadmau5",), 633.0, "song"))
    search, queries = searching(hit, [])
    match = choose(STROBE, search)
    assert (match.url, match.decided_by) == (hit[0].url, "isrc") and match.score >= 0.9
    assert queries == ["CAN110900001"]


def test_a_remix_a_live_take_and_a_sped_up_upload_lose_to_the_original():
    found = candidates(("Strobe (Remix)", ("deadmau5",), 634.0, "song"),
                       ("deadmau5 - Strobe (Live at Red Rocks)", ("Some Channel",), 640.0, "video"),
                       ("Strobe sped up", ("deadmau5",), 630.0, "video"),
                       ("deadmau5 - Strobe", ("mau5trap",), 636.0, "video"))
    match = choose(STROBE, searching([], found)[0])
    assert match.url == found[3].url and match.decided_by == "search"
    scores = {c["title"]: c["score"] for c in match.candidates}
    assert scores["Strobe (Remix)"] < match.score and scores["Strobe sped up"] < match.score


def test_a_remix_is_right_when_spotify_asked_for_the_remix():
    wanted = Wanted("Strobe (Remix)", ("deadmau5",), 400.0)
    found = candidates(("Strobe (Remix)", ("deadmau5",), 401.0, "song"), ("Strobe", ("deadmau5",), 634.0, "song"))
    assert choose(wanted, searching([], found)[0]).url == found[0].url


def test_of_two_equal_titles_the_closer_length_wins():
    found = candidates(("Strobe", ("deadmau5",), 626.0, "video"), ("Strobe", ("deadmau5",), 633.5, "video"))
    assert choose(STROBE, searching([], found)[0]).url == found[1].url


@pytest.mark.parametrize("row", [("Strobe", ("deadmau5",), 300.0, "song"),  # another length
                                 ("Strobe", ("Someone Else",), 634.0, "song"),  # another artist
                                 ("Completely Different", ("deadmau5",), 634.0, "song")])
def test_hard_cut_offs_rule_a_candidate_out(row):
    assert score(STROBE, candidates(row)[0]) is None


def test_nothing_good_enough_downloads_nothing_and_keeps_the_candidates():
    found = candidates(("Strobe (Club Remix) [sped up]", ("deadmau5",), 630.0, "video"))
    match = choose(STROBE, searching([], found)[0])
    assert match.url is None and match.decided_by == "none"
    assert [c["title"] for c in match.candidates] == ["Strobe (Club Remix) [sped up]"]


def test_the_users_choice_always_wins():
    search, queries = searching(candidates(("Strobe", ("deadmau5",), 634.0, "song")), [])
    match = choose(STROBE, search, override_url="https://youtu.be/mine")
    assert (match.url, match.decided_by, queries) == ("https://youtu.be/mine", "override", [])


# --- every script, every credit style ---------------------------------------------------------------

def test_a_self_titled_track_keeps_its_title_when_the_artist_is_taken_out_of_the_uploads_title():
    wanted = Wanted("club2020", ("club2020",), 212.0)
    found = candidates(("club2020", ("club2020",), 213.0, "video"), ("club2020 - club2020 (sped up)", ("x",), 212.0, "video"))
    match = choose(wanted, searching([], found)[0])
    assert match.url == found[0].url and match.score >= 0.9


def test_a_title_in_another_script_is_compared_not_erased_and_empty_names_never_match():
    wanted = Wanted("האסל (feat. טונה)", ("Ravid Plotnik", "Tuna"), 198.0)
    found = candidates(("סיבה למסיבה", ("רביד פלוטניק",), 198.0, "song"),  # the same artist's other song
                       ("האסל", ("רביד פלוטניק", "טונה"), 198.0, "song"))
    match = choose(wanted, searching([], found)[0])
    assert match.url == found[1].url
    assert score(wanted, found[0]) is None
    assert similarity("", "") == 0.0 and score(Wanted("!!!", ("A",), 200.0), candidates(("", ("A",), 200.0, "song"))[0]) \
        is None


@pytest.mark.parametrize(("wanted_artist", "credited"), [("Tuna", "טונה"), ("Kenshi Yonezu", "米津玄師"),
                                                         ("Amr Diab", "عمرو دياب"), ("IU", "아이유")])
def test_an_artist_credited_in_another_script_does_not_rule_out_youtube_musics_own_song(wanted_artist, credited):
    wanted = Wanted("Lemon", (wanted_artist,), 255.0)
    assert score(wanted, candidates(("Lemon", (credited,), 255.0, "song"))[0]) >= THRESHOLD
    # An upload under a channel named in another script is no such evidence: someone else's channel.
    assert score(wanted, candidates(("Lemon", ("歌い手チャンネル",), 255.0, "video"))[0]) is None


@pytest.mark.parametrize("credit", ["Ai Kamano und Kazuki Sugawara", "Ai Kamano & Kazuki Sugawara",
                                    "Kazuki Sugawara x Ai Kamano", "Kazuki Sugawara with Ai Kamano",
                                    "Kazuki Sugawara feat. Ai Kamano", "Kazuki Sugawara, Ai Kamano",
                                    "Kazuki Sugawara、Ai Kamano", "Kazuki Sugawara и Ai Kamano"])
def test_a_combined_credit_is_split_into_its_artists(credit):
    assert "ai kamano" in credits((credit,))
    found = candidates(("Wunderbar", (credit,), 201.0, "video"))
    assert choose(Wanted("Wunderbar", ("Ai Kamano",), 201.0), searching([], found)[0]).url == found[0].url


def test_a_duo_is_still_one_act_as_well_as_two_names():
    assert credits(("Simon & Garfunkel",)) == ["simon garfunkel", "simon", "garfunkel"]


def test_the_isrc_searchs_song_at_the_exact_length_outweighs_an_upload_that_only_matches_on_text():
    wanted = Wanted("Yoru ni Kakeru", ("YOASOBI",), 261.0, isrc="JPU902000001")
    [hit] = candidates(("夜に駆ける", ("YOASOBI",), 261.0, "song"))
    [text_only] = candidates(("Lyrics", ("x",), 0, "video"), ("YOASOBI - Yoru ni Kakeru (Lyrics)", ("Lyric Hub",), 262.0,
                                                              "video"))[1:]
    assert score(wanted, hit) is None  # found by text alone, its title in kanji is too far from the romaji
    assert score(wanted, replace(hit, found_by="isrc")) > score(wanted, text_only) >= THRESHOLD
    match = choose(wanted, lambda query: [hit] if query == wanted.isrc else [text_only])
    assert (match.url, match.decided_by) == (hit.url, "isrc")


def test_an_isrc_hit_of_another_length_is_no_better_than_any_other_candidate():
    wanted = Wanted("Losing It", ("FISHER",), 247.0, isrc="USUS11800001")
    long_take = candidates(("Losing It", ("FISHER",), 405.0, "song"))
    audio = candidates(("FISHER - Losing It (Official Audio)", ("FISHER",), 248.0, "video"))
    assert choose(wanted, lambda q: long_take if q == wanted.isrc else audio).url == audio[0].url


@pytest.mark.parametrize(("wanted", "title"), [("Зима", "Зима (кавер)"), ("夜に駆ける", "夜に駆ける 歌ってみた"),
                                               ("밤편지", "밤편지 (커버)"), ("晴天", "晴天 翻唱"),
                                               ("Tage wie diese", "Tage wie diese (Karaoke Version)")])
def test_a_cover_or_karaoke_take_in_any_language_is_never_good_enough_alone(wanted, title):
    [cover] = candidates((title, ("A",), 200.0, "song"))
    assert score(Wanted(wanted, ("A",), 200.0), cover) < THRESHOLD


def test_the_candidate_lists_are_matched_right_or_sent_to_review_never_wrong():
    from benchmarks.matching import outcome
    from benchmarks.matching_cases import CASES

    results = [outcome(case)[0] for case in CASES]
    assert results.count("wrong") == 0
    assert results.count("right") >= 0.95 * len(CASES)


def test_spotifys_suffix_may_be_missing_on_the_upload_unless_it_names_another_recording():
    [studio] = candidates(("Mercy", ("Duffy",), 221.0, "song"))
    assert score(Wanted("Mercy - Remastered 2012", ("Duffy",), 221.0), studio) >= THRESHOLD
    assert score(Wanted("Mercy - 2011 Remaster", ("Duffy",), 221.0), studio) >= THRESHOLD
    assert score(Wanted("Mercy - Live", ("Duffy",), 221.0), studio) is None


def test_a_remaster_is_the_same_recording_but_the_plain_upload_is_preferred():
    found = candidates(("Mercy (2011 Remaster)", ("Duffy",), 221.0, "song"), ("Mercy", ("Duffy",), 221.0, "song"))
    match = choose(Wanted("Mercy", ("Duffy",), 221.0), searching([], found)[0])
    assert match.url == found[1].url and match.candidates[1]["score"] >= THRESHOLD


def test_youtube_music_out_of_reach_is_a_failure_that_heals(monkeypatch):
    """Offline (here: a proxy nothing listens on), the search is an outage musicsync retries by
    itself, not a download that needs a person."""
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    with pytest.raises(ServiceUnavailable, match="YouTube Music could not be searched") as raised:
        youtube_music_search()("Lumen Drive Copper Sun")
    assert raised.value.healable and raised.value.error_class == "service_unavailable"
