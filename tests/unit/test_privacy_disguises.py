"""The disguises a reviewer used to smuggle a client's identity past the check: each is
found (names in digits, inside words, in enclosed or small-capital letters, ASCII
look-alikes, across pseudocal's own words; numbers with letters for digits or wide
separators), and the controls, texts that name nobody, pass. Synthetic names only."""
from __future__ import annotations

import pytest

from pseudocal.errors import InputError
from pseudocal.identity import naming as clients
from pseudocal.identity import privacy
from pseudocal.models import ClientIdentity
from pseudocal.store import with_parsed_phone

CLIENTS = [with_parsed_phone(ClientIdentity("Ottilie Brackenbury", phone="+44 7700 900123",
                                            email="bluefox1987@example.org", country="GB")),
           ClientIdentity("Will Tester"), ClientIdentity("Ottilie Breakwell")]
IDS = privacy.Identities.of(CLIENTS)

DISGUISED = ["Ottilie2027", "callottilie", "meetottiliebrackenbury", "see 2027ottilie",
             "\U0001f17e\U0001f183\U0001f183\U0001f178\U0001f17b\U0001f178\U0001f174",
             "\U0001f166\U0001f158\U0001f15b\U0001f15b",  # negative circled WILL
             "\U0001f1f4\U0001f1f9\U0001f1f9\U0001f1ee\U0001f1f1\U0001f1ee\U0001f1ea",
             "\u1d0f\u1d1b\u1d1b\u026a\u029f\u026a\u1d07",  # small capitals
             "Br@ckenbury", "W1ll", "Ott1l1e", "VViII", "brackenbvry", "Br4ckenbury Fox",
             "Screen breakwell", "Screen break well",
             "O77OO 9OO123", "07700 9OO 123", "07700       900123", "07700 ... ... 900123"]
CONTROLS = ["Screen break", "willing to wait", "prose", "Mon 10:00 - 12:00 and 14:00",
            "Book supervision for May 2026", "Quiet Heron", "Woodland Gazelle", "Stretch",
            "call at 09:00, 10:00, 11:30", "Strauss waltz", "otter", "breaking news"]


@pytest.mark.parametrize("text", DISGUISED)
def test_each_disguise_is_found(text):
    assert IDS.find(text) is not None


@pytest.mark.parametrize("text", CONTROLS)
def test_texts_naming_nobody_pass(text):
    assert IDS.find(text) is None


@pytest.mark.parametrize("chosen", ["Br4ckenbury Fox",
                                    "\u1d0f\u1d1b\u1d1b\u026a\u029f\u026a\u1d07 Fox",
                                    "Hiottilie Fox", "O77OO9OO123 Fox", "Bluefox Heron"])
def test_a_chosen_pseudonym_holding_a_disguised_identity_is_refused(chosen):
    with pytest.raises(InputError):
        clients.choose_pseudonym(ClientIdentity("Test Person New"), CLIENTS, set(), chosen)


def test_a_pseudonym_typed_with_ascii_look_alikes_of_one_in_use_is_refused():
    new = ClientIdentity("Test Person New")
    with pytest.raises(InputError, match="looks like one already in use"):
        clients.choose_pseudonym(new, [], {"Woodland Gazelle"}, "W00dland Gazelle")
    assert clients.choose_pseudonym(new, [], {"Woodland Gazelle"}, "Woodland Heron")


@pytest.mark.parametrize("name, text", [
    ("Hazel Prompttest", "Screen break, then \u0397AZEL"),  # Greek capital Eta
    ("Jane Quimby", "JA\u039dE"), ("Ottilie Brackenbury", "BRACKEN\u0392URY"),
    ("Smart \u05e1\u05d9\u05e7", "S\u05e1\u05d9\u05e7"),  # a letter whose prototype is "'"
    ("Jane Quimby", "Qu1mby")])
def test_capitals_of_other_scripts_and_letters_like_punctuation_are_found(name, text):
    assert privacy.Identities.of([ClientIdentity(name)]).find(text) is not None


def test_a_calendar_url_naming_a_client_is_a_config_error_before_any_request(tmp_path, capsys):
    import json as json_

    from practice import Practice
    p = Practice(tmp_path, "http://127.0.0.1:9/practitioner/ottilie-b/")
    p.write_config()
    assert p.run("init") == 0
    assert p.run("client", "add", stdin=json_.dumps({"name": "Ottilie Brackenbury"})) == 0
    capsys.readouterr()
    assert p.run("check", "--create-calendars") == 3  # port 9: any request would fail (6)
    out = capsys.readouterr().out
    assert "calendar.url" in out and "this calendar URL contains a client's name" in out
    assert "ottilie" not in out.lower()
    p.calendar_url = "http://127.0.0.1:9/practitioner/practice/"  # control
    assert p.run("check", "--offline") == 0


def test_a_url_with_a_space_is_a_config_error_not_a_traceback(tmp_path, capsys):
    from practice import Practice
    p = Practice(tmp_path, "https://Jane Quimby.example/")
    assert p.run("check", "--offline") == 3
    said = "".join(capsys.readouterr())
    assert "calendar.url" in said and "Quimby" not in said and "Traceback" not in said


def test_both_cases_of_a_letter_agree_and_a_capital_is_also_read_as_shown():
    """Hypothesis found 'May Αβ' (Greek): its capitals ΑΒ must be found as its small
    letters are; Η, whose small form is like n, is also read as the H it shows."""
    ids = privacy.Identities.of([ClientIdentity("May \u0391\u03b2"), ClientIdentity("Hazel X")])
    assert ids.find("Screen break \u0391\u0392") and ids.find("\u03b1\u03b2: Screen break")
    assert ids.find("\u0397AZEL")


def test_a_name_in_capitals_run_together_is_found_when_a_letter_looks_like_a_digit():
    """Hypothesis found 'May Адб' (Cyrillic б is like "6"): run together in capitals,
    'MAYАДБ', it was cut at the digit its б became and not found. A letter now never
    becomes a digit."""
    ids = privacy.Identities.of([ClientIdentity("May \u0410\u0434\u0431")])
    assert ids.find("Screen break MAY\u0410\u0414\u0411")
    assert ids.find("Screen break \u0410\u0434\u0431") and ids.find("\u0410\u0414\u0411 now")
    assert not ids.find("Screen break 6 minutes")  # control


def test_every_letter_of_every_script_agrees_with_its_other_case_and_stays_a_letter():
    """Exhaustive over Unicode's letters with a one-to-one case pair: both cases compare
    alike (a name in small letters is found written in capitals), and no letter's
    comparison form holds a digit or loses every letter (a name would be cut or vanish;
    the middle dot NFKC gives "Ŀ", and marks alone, are their own)."""
    import unicodedata

    from pseudocal.identity.textforms import canon, invisible
    disagree, not_letters, checked = [], [], 0
    for cp in range(0x80, 0x30000):
        c = chr(cp)
        if not unicodedata.category(c).startswith("L"):
            continue
        form = canon(c)
        spelled = any(ch.isalpha() for ch in unicodedata.normalize("NFKC", c))
        if any(ch.isdigit() for ch in form) or (spelled and not invisible(c) and not any(
                ch.isalpha() for ch in form)):
            not_letters.append(c)
        up, low = c.upper(), c.lower()
        if len(up) == len(low) == 1 and up != low and up.lower() == low and low.upper() == up:
            checked += 1
            if canon(up) != canon(low):
                disagree.append(c)
    assert checked > 1000  # the loop saw the cased scripts (Latin, Greek, Cyrillic...)
    assert not disagree, disagree[:20]
    assert not not_letters, not_letters[:20]


def test_an_email_local_part_ending_in_at_is_found_whole():
    """Hypothesis found x76at@...: its last letters were taken for a spelled "at"."""
    ids = privacy.Identities.of([ClientIdentity("Reed Lane", email="x76at@mail.example")])
    assert ids.find("Water and a walk x76at") and ids.find("x76at at mail dot example")
    assert not ids.find("Water and a walk at 7 or 6")  # control
