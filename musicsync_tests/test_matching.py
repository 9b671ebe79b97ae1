"""Spotify → YouTube matching on candidate lists that hold the traps real searches do."""

import pytest

from musicsync_assets.lib.pipeline.matching import Candidate, Wanted, choose, score

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
