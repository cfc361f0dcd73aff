"""TCVN3 and VNI: every Vietnamese letter both ways, TCVN3 against glibc's own converter."""

from __future__ import annotations

import subprocess

import pytest

from opendata.normalise.encodings import detect_and_decode
from opendata.normalise.legacy import all_letters, decode_tcvn3, decode_vni, encode_tcvn3, encode_vni, tcvn3_table, vni_table
from tests.factories import to_cp1258

LETTERS = all_letters()
SENTENCE = "Phòng khám Đa khoa Hòa Vang, 162 Nguyễn Văn Linh, phường Thanh Khê; ỷ lại, kỹ thuật, Ỷ Lan, KỸ SƯ"


def test_there_are_134_letters_and_both_tables_cover_them() -> None:
    assert len(LETTERS) == len(set(LETTERS)) == 134
    assert set(vni_table()) == set(LETTERS)
    lower = {c for c in LETTERS if c.islower()}
    assert set(tcvn3_table().values()) >= lower


@pytest.mark.parametrize("letter", LETTERS)
def test_vni_round_trips_every_letter(letter: str) -> None:
    assert decode_vni(encode_vni(f"x{letter}x")) == f"x{letter}x"


@pytest.mark.parametrize("letter", [c for c in LETTERS if c.islower()])
def test_tcvn3_round_trips_every_lowercase_letter(letter: str) -> None:
    assert decode_tcvn3(encode_tcvn3(f"x{letter}x")) == f"x{letter}x"


def test_tcvn3_agrees_with_glibc_on_every_code() -> None:
    table = tcvn3_table()
    raw = bytes(sorted(table))
    glibc = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=raw, capture_output=True, check=True)
    assert glibc.stdout.decode() == "".join(table[b] for b in raw)


@pytest.mark.parametrize(("letter", "spelled"), [("ỷ", "yû"), ("ỹ", "yõ"), ("Ỷ", "YÛ"), ("Ỹ", "YÕ"), ("ơ", "ô"),
                                                  ("ư", "ö"), ("đ", "ñ"), ("ỵ", "î"), ("ặ", "aë"), ("Ấ", "AÁ")])
def test_vni_spellings_that_converters_get_wrong(letter: str, spelled: str) -> None:
    assert vni_table()[letter] == spelled


def test_known_tcvn3_bytes() -> None:
    assert encode_tcvn3("Phòng khám") == b"Ph\xdfng kh\xb8m"  # 'Phßng kh¸m' when read as Latin-1
    assert encode_tcvn3("ư") == b"\xad"  # a soft hyphen in Latin-1: invisible


@pytest.mark.parametrize("text", ["ĐÀ NẴNG", "UBND THÀNH PHỐ ĐÀ NẴNG", "Ủy ban nhân dân", "Đà Nẵng"])
def test_tcvn3_capitals_come_back(text: str) -> None:
    assert decode_tcvn3(encode_tcvn3(text)) == text


@pytest.mark.parametrize(
    ("name", "encode", "expected"),
    [
        ("utf-8", lambda t: t.encode("utf-8"), "utf-8"),
        ("utf-8 with BOM", lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"), "utf-8-sig"),
        ("utf-16 with BOM", lambda t: t.encode("utf-16"), "utf-16"),
        ("utf-16 without BOM", lambda t: t.encode("utf-16-le"), "utf-16"),
        ("windows-1258", to_cp1258, "cp1258"),
        ("tcvn3", lambda t: encode_tcvn3(t.replace("Ỷ Lan", "Lan").replace("KỸ SƯ", "kỹ sư")), "tcvn3"),
        ("vni", encode_vni, "vni"),
    ],
)
def test_every_encoding_is_detected_and_decoded_to_nfc(name: str, encode, expected: str) -> None:
    decoded = detect_and_decode(encode(SENTENCE))
    assert decoded.encoding == expected
    # TCVN3 cannot write a toned capital inside mixed-case text ("Ỷ Lan"): that sentence leaves them out
    wanted = SENTENCE.replace("Ỷ Lan", "Lan").replace("KỸ SƯ", "kỹ sư") if expected == "tcvn3" else SENTENCE
    assert decoded.text == wanted


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"A\xb8nh s\xb8ng", "Ánh sáng"),  # A + á
        (b"\xa2\xcap B\xb8c", "Ấp Bác"),  # Â + ấ
        (b"A\xcap", "Ấp"),  # A + ấ: the plain base written for Â
        (b"\xa6\xf8ng", "Ứng"),  # Ư + ứ
        (b"Y\xfb Lan", "Ỷ Lan"),  # Y + ỷ, inside mixed-case text
        (b"KHOA HO\xe4C", "KHOA HỌC"),  # O + ọ inside capitals
        (b"U\xfb ban", "Uỷ ban"),  # two different vowels: the old-style spelling as written
        (b"Ho\xb5 Kh\xb8nh", "Hoà Khánh"),  # old-style tone placement stays
        (b"O\xb5 O\xb5", "Oà Oà"),  # O then à: not the same vowel
    ],
)
def test_tcvn3_capital_base_then_lowercase_toned_letter(raw: bytes, text: str) -> None:
    """TCVN3 has no toned capitals: writers type the capital base and then the lowercase toned letter."""
    assert decode_tcvn3(raw) == text


@pytest.mark.parametrize(("raw", "text"), [(b"A\xf9nh", "Ánh"), (b"A\xd9NH", "ÁNH"), (b"a\xd9nh", "ánh"),
                                           (b"\xd4\xf9t", "Ớt"), (b"\xd6\xf9ng", "Ứng"), (b"Ca\xe1c", "Cấc")])
def test_vni_a_mark_typed_in_the_other_case_follows_its_base(raw: bytes, text: str) -> None:
    assert decode_vni(raw) == text
