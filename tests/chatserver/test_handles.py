"""Seeker handles: an adjective and an animal, chosen at random."""

from __future__ import annotations

from chatserver.handles import ADJECTIVES, ANIMALS, random_handle


def test_handle_is_an_adjective_and_an_animal_from_the_lists() -> None:
    for _ in range(200):
        adjective, animal = random_handle().split(" ")
        assert adjective in ADJECTIVES
        assert animal in ANIMALS


def test_handles_vary() -> None:
    assert len({random_handle() for _ in range(200)}) > 50


def test_handle_words_are_unique_capitalised_single_words() -> None:
    for words in (ADJECTIVES, ANIMALS):
        assert len(set(words)) == len(words)
        for word in words:
            assert word.isalpha()
            assert word[0].isupper()


def test_there_are_nine_hundred_combinations() -> None:
    assert len(ADJECTIVES) * len(ANIMALS) == 900
