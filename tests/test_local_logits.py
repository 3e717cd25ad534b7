"""The arithmetic of the local backend on fixed arrays: logits -> log-probabilities -> verdict
probabilities and probability-weighted scores, checked against sums done by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from judgekit.backends.logits import PieceDecoder, choose, log_softmax, logprob_entry, top_alternatives
from judgekit.inputs.parsing import read_verdict, weigh_with_logprobs
from judgekit.inputs.template_files import load
from judgekit.judging.calls import JudgeSetup, PlannedCall, to_judgment
from judgekit.metrics.aggregate import combine_orders
from judgekit.schema import Completion, Item, JudgeRequest, Message, SamplingParams

# A toy vocabulary: token id -> text.
VOCAB = ["[[", "A", "B", "C", "]]", " the", "1", "2", "3", "4", "5", "A"]
"""Id 11 reads like id 1 ("A"): tokenizers have such duplicates, and they must count as one."""


def text_of(token: int) -> str:
    return VOCAB[token]


def softmax_by_hand(values: list[float]) -> list[float]:
    exps = [math.exp(value) for value in values]
    return [value / sum(exps) for value in exps]


def test_log_softmax_matches_the_definition() -> None:
    logits = np.array([2.0, 1.0, 0.0, -1.0], dtype=np.float32)
    expected = [math.log(p) for p in softmax_by_hand([2.0, 1.0, 0.0, -1.0])]
    assert log_softmax(logits) == pytest.approx(expected, abs=1e-9)


def test_log_softmax_is_stable_for_large_logits() -> None:
    result = log_softmax(np.array([1000.0, 999.0], dtype=np.float32))
    assert result == pytest.approx([math.log(1 / (1 + math.exp(-1))), math.log(math.exp(-1) / (1 + math.exp(-1)))])


def test_greedy_choice_is_the_arg_max() -> None:
    logits = np.array([0.1, 3.0, 2.9, -5.0])
    assert choose(logits, 0.0) == 1
    assert choose(logits, None) == 1


def test_sampling_follows_the_tempered_distribution_and_is_seeded() -> None:
    logits = np.array([math.log(0.7), math.log(0.2), math.log(0.1)])
    first, again = np.random.default_rng(3), np.random.default_rng(3)
    assert [choose(logits, 1.0, first) for _ in range(50)] == [choose(logits, 1.0, again) for _ in range(50)]
    rng = np.random.default_rng(11)
    draws = [choose(logits, 1.0, rng) for _ in range(4000)]
    shares = [draws.count(token) / len(draws) for token in range(3)]
    assert shares == pytest.approx([0.7, 0.2, 0.1], abs=0.03)
    # Temperature 0.5 squares the odds: 0.49 : 0.04 : 0.01.
    rng = np.random.default_rng(12)
    draws = [choose(logits, 0.5, rng) for _ in range(4000)]
    expected = [p / 0.54 for p in (0.49, 0.04, 0.01)]
    assert [draws.count(token) / len(draws) for token in range(3)] == pytest.approx(expected, abs=0.03)


def test_top_alternatives_orders_and_merges_tokens_that_read_the_same() -> None:
    logits = np.array([0.0, 2.0, 1.0, 0.5, -3.0, -3.0, -9, -9, -9, -9, -9, 1.5])
    logprobs = log_softmax(logits)
    top, ids = top_alternatives(logprobs, 4, text_of)
    assert ids == [1, 11, 2, 3]
    assert list(top) == ["A", "B", "C"]
    # Both "A" tokens together: log(p1 + p11).
    assert top["A"] == pytest.approx(math.log(math.exp(logprobs[1]) + math.exp(logprobs[11])))
    assert top["B"] == pytest.approx(logprobs[2])


def test_piece_decoder_keeps_split_characters_whole() -> None:
    decoder = PieceDecoder()
    encoded = "né [[A]]".encode()
    chunks = [encoded[:2], encoded[2:3], encoded[3:6], encoded[6:]]  # "é" is split over two tokens
    pieces = [decoder.feed(chunk) for chunk in chunks]
    pieces.append(decoder.flush())
    assert pieces[0] == "n" and pieces[1] == "é"
    assert "".join(pieces) == "né [[A]]"


def completion_from_logits(steps: list[tuple[int, list[float]]]) -> Completion:
    """What the local backend returns for a greedy answer whose step logits are given."""
    entries = [logprob_entry(np.array(logits), token, VOCAB[token], 5, text_of) for token, logits in steps]
    text = "".join(entry.token for entry in entries)
    return Completion(texts=[text], logprobs=entries)


def flat(**overrides: float) -> list[float]:
    logits = [-20.0] * len(VOCAB)
    for name, value in overrides.items():
        logits[int(name[1:])] = value
    return logits


def test_pairwise_verdict_probabilities_from_the_verdict_token_logits() -> None:
    spec = load("pairwise/direct").meta.verdict
    # "[[" then the verdict token (A: 2.0, B: 1.0, C: -1.0, and " the": 0.5, not a verdict), then "]]".
    completion = completion_from_logits(
        [(0, flat(t0=5.0)), (1, flat(t1=2.0, t2=1.0, t3=-1.0, t5=0.5)), (4, flat(t4=5.0))]
    )
    assert completion.text == "[[A]]"
    reading = weigh_with_logprobs(read_verdict(completion.text, spec), completion, spec)
    assert reading.method == "logprobs"
    expected = softmax_by_hand([2.0, 1.0, -1.0])  # renormalised over the valid verdicts only
    assert reading.probabilities == pytest.approx(dict(zip(["first", "second", "tie"], expected, strict=True)))
    everything = sum(math.exp(v) for v in (2.0, 1.0, -1.0, 0.5)) + 8 * math.exp(-20.0)
    assert reading.valid_mass == pytest.approx(sum(math.exp(v) for v in (2.0, 1.0, -1.0)) / everything, rel=1e-3)
    assert reading.value == "first"


def test_weighted_score_from_the_score_token_logits() -> None:
    spec = load("pointwise/direct").meta.verdict
    completion = completion_from_logits(
        [(0, flat(t0=5.0)), (9, flat(t6=-2.0, t7=-1.0, t8=0.0, t9=1.0, t10=0.5)), (4, flat(t4=5.0))]
    )
    assert completion.text == "[[4]]"
    reading = weigh_with_logprobs(read_verdict(completion.text, spec), completion, spec)
    probabilities = softmax_by_hand([-2.0, -1.0, 0.0, 1.0, 0.5])
    assert reading.value == pytest.approx(sum(score * p for score, p in zip(range(1, 6), probabilities, strict=True)))
    assert reading.probabilities == pytest.approx({str(s): p for s, p in zip(range(1, 6), probabilities, strict=True)})


def test_two_orders_average_their_probabilities_in_the_datasets_terms() -> None:
    template = load("pairwise/direct")
    spec = template.meta.verdict
    item = Item(id="q1", line=1, turns=(Message(role="user", content="7 x 8?"),), answer_a="56", answer_b="54")
    setup = JudgeSetup(
        judge="local/toy", model="toy", template=template, params=SamplingParams(), positions="swap", method="logprobs"
    )
    rows = []
    # AB: the judge leans to the first answer (A); BA: it leans to the first answer again (now B).
    for call, swapped, logits in (("AB", False, (2.0, 0.0, -1.0)), ("BA", True, (1.0, 0.5, -1.0))):
        completion = completion_from_logits(
            [(0, flat(t0=5.0)), (1, flat(t1=logits[0], t2=logits[1], t3=logits[2])), (4, flat(t4=5.0))]
        )
        planned = PlannedCall(item=item, call=call, swapped=swapped, request=JudgeRequest(model="toy", messages=()))
        reading = weigh_with_logprobs(read_verdict(completion.text, spec), completion, spec)
        rows.append(to_judgment(planned, setup, "hash", completion, reading))
    ab, ba = softmax_by_hand([2.0, 0.0, -1.0]), softmax_by_hand([1.0, 0.5, -1.0])
    assert rows[0].probabilities == pytest.approx({"A": ab[0], "B": ab[1], "tie": ab[2]})
    assert rows[1].probabilities == pytest.approx({"A": ba[1], "B": ba[0], "tie": ba[2]})  # mapped back
    verdict, flipped, mean = combine_orders(rows[0], rows[1])
    assert flipped  # A first, then B first: the order decided
    assert mean == pytest.approx({"A": (ab[0] + ba[1]) / 2, "B": (ab[1] + ba[0]) / 2, "tie": (ab[2] + ba[2]) / 2})
    assert verdict == "A"
