"""The slow tier's combinations cover every engine, source and destination pair (fast check)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.helpers import choice_values, questions
from tests.test_generated_project import COMBINATIONS
from tests.test_render import supported

AXES = ("engine", "sources", "destinations")


def answers_of(data: dict[str, Any]) -> dict[str, list[str]]:
    """Each axis's values in a combination, the question's default where it is not given."""
    specs = questions()
    result: dict[str, list[str]] = {}
    for axis in AXES:
        value = data.get(axis, specs[axis]["default"])
        result[axis] = list(value) if isinstance(value, list) else [value]
    return result


def supported_pairs() -> set[tuple[str, str, str, str]]:
    specs = questions()
    pairs = set()
    for first, second in itertools.combinations(AXES, 2):
        for a, b in itertools.product(choice_values(specs[first]), choice_values(specs[second])):
            answer = {first: a if first == "engine" else [a], second: [b]}
            if first == "sources" or second == "sources":
                answer.setdefault("sources", [])
                answer["sources"] = sorted({"files", *answer["sources"]})
            if supported(answer):
                pairs.add((first, a, second, b))
    return pairs


def covered_pairs() -> set[tuple[str, str, str, str]]:
    pairs = set()
    for data in COMBINATIONS.values():
        answers = answers_of(data)
        for first, second in itertools.combinations(AXES, 2):
            for a, b in itertools.product(answers[first], answers[second]):
                pairs.add((first, a, second, b))
    return pairs


def test_slow_tier_covers_every_pair() -> None:
    missing = sorted(supported_pairs() - covered_pairs())
    assert not missing, f"no slow-tier combination has these pairs: {missing}"


@pytest.mark.parametrize("name", list(COMBINATIONS))
def test_each_combination_is_supported(name: str) -> None:
    data = COMBINATIONS[name]
    assert supported({**data, **answers_of(data)}), name
