"""RPPS and FINESS Luhn keys, INS/NIR key 97 with the Corsican départements."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from directory.identifiers import finess_problem, ins_key, ins_problem, luhn_valid, rpps_problem


def _with_luhn(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def test_known_identifiers() -> None:
    assert rpps_problem("10001045367") is None  # domain.md §8.1
    assert finess_problem("920008059") is None  # idNatStruct 1920008059
    assert ins_problem("279035121518989") is None  # ANS examples, domain.md §4
    assert ins_problem("146026322000196") is None


def test_shapes_refused() -> None:
    assert rpps_problem("1000104536") == "an RPPS number has 11 digits"
    assert rpps_problem("1000104536x") is not None
    assert finess_problem("92000805") is not None
    assert ins_problem("27903512151898") is not None
    assert ins_problem("279032C21518989") is not None


@given(st.text("0123456789", min_size=10, max_size=10), st.integers(0, 10), st.integers(1, 9))
def test_rpps_luhn_catches_every_single_digit_error(body: str, pos: int, delta: int) -> None:
    rpps = _with_luhn(body)
    assert rpps_problem(rpps) is None
    wrong = rpps[:pos] + str((int(rpps[pos]) + delta) % 10) + rpps[pos + 1:]
    assert rpps_problem(wrong) == "wrong check digit (Luhn key) in the RPPS number"


@given(st.text("0123456789", min_size=8, max_size=8), st.integers(1, 9))
def test_finess_luhn(body: str, delta: int) -> None:
    finess = _with_luhn(body)
    assert finess_problem(finess) is None
    wrong = finess[:-1] + str((int(finess[-1]) + delta) % 10)
    assert finess_problem(wrong) is not None


def test_corsican_finess_is_checked_for_shape_only() -> None:
    assert finess_problem("2A0000010") is None and finess_problem("2C0000010") is not None


@given(st.sampled_from("12"), st.text("0123456789", min_size=4, max_size=4),
       st.sampled_from(["75", "2A", "2B", "13"]), st.text("0123456789", min_size=6, max_size=6))
def test_ins_key_97(sex: str, birth: str, dept: str, rest: str) -> None:
    number = sex + birth + dept + rest
    ins = number + f"{ins_key(number):02d}"
    assert ins_problem(ins) is None and ins_problem(ins.lower()) is None
    key = int(ins[13:])
    assert ins_problem(ins[:13] + f"{key % 97 + 1:02d}") is not None


def test_corsica_uses_insee_substitution() -> None:
    # 2A is read as 19 and 2B as 18 (so the two départements never share keys)
    assert ins_key("1850519123456") == ins_key("18505" + "2A" + "123456")
    assert ins_key("1850518123456") == ins_key("18505" + "2B" + "123456")
    assert ins_key("185052A123456") != ins_key("185052B123456")
