"""The disguises a reviewer used to smuggle a client's identity past the check: each is
found (names in digits, inside words, in enclosed or small-capital letters, ASCII
look-alikes, across pseudocal's own words; numbers with letters for digits or wide
separators), and the controls, texts that name nobody, pass. Synthetic names only."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

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


# the second review (issue 7, B2): disguises that passed `check` and `sync`, as (kind, text)
REVIEWED = [with_parsed_phone(ClientIdentity("Rose May", email="bluefox1987@example.org")),
            with_parsed_phone(ClientIdentity("Will Brackenbury", phone="+44 7700 900123",
                                             country="GB")),
            ClientIdentity("Jane Smith"), ClientIdentity("محمد علي"),
            ClientIdentity("李明"), ClientIdentity("田中 花子"),
            ClientIdentity("Laylaـ Haddad"), ClientIdentity("Ottilie Quimby"),
            # the third review (issue 7, N1): a Korean name written without a space, names
            # typed with keyboard spellings, ة written ه, a hiragana name in katakana
            ClientIdentity("김민준"), ClientIdentity("Jürgen Müller"),
            ClientIdentity("Þórður Þórsson"), ClientIdentity("Đorđe Petrović"),
            ClientIdentity("فاطمة حسن"), ClientIdentity("さくら"), ClientIdentity("アキラ"),
            # the fourth review: names stored in one script and typed in another
            ClientIdentity("Анна Петрова"), ClientIdentity("Yulia Smirnova"),
            ClientIdentity("Пётр Соколов"), ClientIdentity("Σοφία Νικολάου"),
            # Hypothesis (session 16): Hebrew and Arabic write "and", "to", "in" joined
            ClientIdentity("דוד כהן"),
            # the fourth attack (D4): a contact handle in look-alikes, or its word alone
            ClientIdentity("Test Person Handle", contact="skype bluebird77")]
REVIEWED_IDS = privacy.Identities.of(REVIEWED)
NAME, EMAIL, PHONE = privacy.NAME, privacy.EMAIL, privacy.PHONE
REVIEWED_DISGUISED = [
    (NAME, "r0semay"), (NAME, "R0SEMAY"), (NAME, "rosern@y"),  # run together, look-alikes
    (NAME, "J4nes break"), (NAME, "5miths"),  # look-alike with a plural
    (NAME, "Call 8rackenbury"), (NAME, "BRACKEN8URY"),  # 8 for B
    (NAME, "Ring مـحمد"),  # Arabic tatweel inside the name
    (NAME, "Ring عــلي"),
    (NAME, "Break then phone Layla"),  # the name was stored with a tatweel
    (NAME, "督导李明"),  # a two-character name inside unspaced text
    (NAME, "田中さんの休憩"),  # each part of 田中 花子
    (NAME, "花子さん"),
    (EMAIL, "b l u e f o x"), (EMAIL, "Blue-Fox"), (EMAIL, "blue.fox 1987"),  # split up
    (EMAIL, "b1uef0x1987"), (EMAIL, "bluef0x"), (EMAIL, "b1uefox at example dot org"),
    (EMAIL, "blu3fox"), (EMAIL, "8luefox"),  # digits for letters
    (PHONE, "Text 077OO 9OO lZ3"), (PHONE, "O77OO 9OO 1Z3"), (PHONE, "07700 9OO l2E"),
    (NAME, "W¡ll"), (NAME, "Ott¡l¡e"),  # ¡ for i
    # N1: the given name of 김민준 (NFD would cut its syllables into jamo), alone and with 씨
    (NAME, "민준 씨 전화"), (NAME, "민준"), (NAME, "민준씨"), (NAME, "김민"),
    (NAME, "Call Mueller back"), (NAME, "Supervision re Juergen"),  # ü as ue
    (NAME, "MUELLER"), (NAME, "callmueller"),
    (NAME, "Djordje: headphones"), (NAME, "Thorsson: link"),  # đ as dj, þ as th
    (NAME, "Thordhur"), (NAME, "Thordur"),  # ð as dh or d
    (NAME, "Supervision re فاطمه"),  # ة written ه
    (NAME, "サクラ supervision"), (NAME, "あきら"),  # katakana for hiragana, and back
    # Cyrillic and Greek names in Latin letters, and a Latin name in Cyrillic
    (NAME, "Call Anna"), (NAME, "Petrova: link"), (NAME, "Pyotr"), (NAME, "Petr"),
    (NAME, "Sokolov later"), (NAME, "Supervision re Юлия"), (NAME, "Смирнова"),
    (NAME, "Sofia"), (NAME, "Nikolaou"), (NAME, "Anna's link"),
    # percent-escapes and HTML character references, as a link or an HTML description
    (NAME, "R%6Fse"), (NAME, "Call R%256Fse"), (NAME, "Ro&#115;e"),
    (NAME, "https://meet.example/?n=Ro%2573e"), (NAME, "Ro&amp;#115;e"),
    (NAME, "שיחה לדוד"), (NAME, "ובכהן"), (NAME, "ومحمد"), (NAME, "بعلي"),  # prefixes
    (privacy.IDENTITY, "B1uebird77"), (privacy.IDENTITY, "Call bluebird"),
]
REVIEWED_CONTROLS = [
    "8 minutes", "80 minutes", "Zone 2", "tea at 3", "call at 10:00", "Stand up at 11:30",
    "Level 3B", "Bus 88", "Take 5, drink water", "Breathe 4-7-8", "walk 10 000 steps",
    "Big bass boost", "Blue sky", "a fox", "Mayfly season",
    "Bluebell walk", "a bird",
    "שלום לכולם", "ללכת", "مرحبا بكم", "وقت",  # prefix letters before no name
    "Annual leave", "Petrol", "Sofa", "Заметки", "Перерыв", "Διάλειμμα",  # no name in them
    "100% focus", "Tea & biscuits", "50%25 off",
    "督导休息",  # 督导休息: Chinese text without the name
    "スクリーン休憩",  # スクリーン休憩
    "さんの休憩", "잠시 휴식",  # Japanese, Korean
    "استراحـة قصيرة",  # with a tatweel
    # N1 controls: Korean text without the name (민주 shares the first jamo of 민준), words
    # that hold "ue", "oe", "th", "dh", Arabic with ة and ه, katakana without the name
    "민주 씨 전화", "준김", "김 전화", "잠시 휴식 후 전화", "queue", "Screen break", "Mull it over",
    "Thorough check", "Adhere to the plan", "Shoe rack", "Blue sky",
    "استراحة قصيرة", "وجه", "ハーブティー", "おやつ休憩",
]


@pytest.mark.parametrize("text", DISGUISED)
def test_each_disguise_is_found(text):
    assert IDS.find(text) is not None


@pytest.mark.parametrize("kind, text", REVIEWED_DISGUISED, ids=[t for _, t in REVIEWED_DISGUISED])
def test_each_reviewed_disguise_is_found_as_its_kind(kind, text):
    assert REVIEWED_IDS.find(text) == kind


@pytest.mark.parametrize("text", REVIEWED_CONTROLS)
def test_reviewed_controls_name_nobody(text):
    assert REVIEWED_IDS.find(text) is None


@pytest.fixture(scope="module")
def practice(tmp_path_factory):
    """A real store holding the reviewed clients, and a config with one session."""
    from pseudocal.crypto import generate_key
    from pseudocal.store import Store
    root = tmp_path_factory.mktemp("reviewed")
    store = Store.create(root / "store.db", generate_key())
    pseudonym = [store.add_client(c) for c in REVIEWED][0].pseudonym
    yield root, store, pseudonym
    store.close()


def _sync_with_title(practice, text: str):
    """A sync whose [breaks] title is `text`, through the config file and the engine."""
    from pseudocal.config import loader
    from pseudocal.remote.memory import MemoryRemote
    from pseudocal.sync import engine
    root, store, pseudonym = practice
    path = root / "config.toml"
    path.write_text(f"""timezone = "Europe/London"
[calendar]
url = "http://127.0.0.1:9/practitioner/practice/"
[breaks]
title = {json.dumps(text)}
[[sessions]]
client = {json.dumps(pseudonym)}
start = 2026-12-07T10:00:00
duration = "50m"
repeat = "weekly"
""", encoding="utf-8")
    settings = loader.load_settings(path, env={"PSEUDOCAL_STATE_DIR": str(root)})
    remote = MemoryRemote()
    now = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc) + timedelta(seconds=len(text))
    return lambda: engine.sync(settings, store, {"main": remote}, now=now), remote


@pytest.mark.parametrize("kind, text", REVIEWED_DISGUISED, ids=[t for _, t in REVIEWED_DISGUISED])
def test_each_reviewed_disguise_is_refused_through_the_config(practice, kind, text):
    from pseudocal.errors import ConfigError
    run, remote = _sync_with_title(practice, text)
    with pytest.raises(ConfigError) as caught:
        run()
    said = " ".join([caught.value.message, *(p.render("c") for p in caught.value.problems)])
    assert "breaks.title" in said and kind in said and text not in said
    sent = b"".join(remote.objects.values()).decode()
    assert not sent  # nothing of a config that names a client is sent


@pytest.mark.parametrize("text", REVIEWED_CONTROLS)
def test_reviewed_controls_are_published_through_the_config(practice, text):
    from icalendar import Calendar
    run, remote = _sync_with_title(practice, text)
    assert run().created >= 2
    titles = {str(e["SUMMARY"]) for data in remote.objects.values()
              for e in Calendar.from_ical(data).walk("VEVENT")}
    assert text in titles


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
    with pytest.raises(InputError, match="looks like one already in use"):  # words swapped
        clients.choose_pseudonym(new, [], {"Granite Crag"}, "Crag Granite")


def test_a_pseudonym_that_says_what_the_events_are_gets_that_reason_first():
    """"Therapy Owl" for Tess Orwin: refused for "therapy", not for her initials."""
    with pytest.raises(InputError, match="says what the events are about"):
        clients.choose_pseudonym(ClientIdentity("Tess Orwin"), [], set(), "Therapy Owl")


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
    # a host name the practitioner chose (self-hosted) counts too; a provider's names nobody
    for host in ("ottilie-b.example.org", "cal.ottilie.org"):
        p.calendar_url = f"https://{host}/dav/practice/"
        capsys.readouterr()
        assert p.run("check", "--offline") == 3
        out = capsys.readouterr().out
        assert "host name contains a client's name" in out and "ottilie" not in out.lower()
    p.calendar_url = "https://caldav.fastmail.com/dav/practice/"
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
    the middle dot NFKC gives "Ŀ", marks alone and the tatweel that only stretches a word
    are their own)."""
    import unicodedata

    from pseudocal.identity.textforms import ELONGATION, canon, invisible
    disagree, not_letters, checked = [], [], 0
    for cp in range(0x80, 0x30000):
        c = chr(cp)
        if not unicodedata.category(c).startswith("L"):
            continue
        form = canon(c)
        spelled = any(ch.isalpha() and ch not in ELONGATION  # a tatweel only stretches
                      for ch in unicodedata.normalize("NFKC", c))
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


@pytest.mark.parametrize("name, text", [
    ("Jürgen Müller", "Mueller"), ("Jürgen Müller", "Muller"), ("Gerd Schröder", "Schroeder"),
    ("Anna Jäger", "Jaeger"), ("Heinz Strauß", "Strauss"), ("Þóra Ýr", "Thora"),
    ("Ðana Hlín", "Dhana"), ("Ðana Hlín", "Dana"), ("Đorđe Petrović", "Djordje"),
    ("Đorđe Petrović", "Dorde"), ("Æsa Dúfa", "Aesa"), ("Søren Kvist", "Soeren"),
    ("Søren Kvist", "Soren"), ("Åsa Berg", "Aasa"), ("Åsa Berg", "Asa"),
    ("Chloë Cœur", "Coeur"), ("Łucja Nowak", "Lucja"), ("MÜLLER Jo", "MUELLER"),
    ("ÐÓRA Jo", "DHORA")])
def test_keyboard_spellings_of_a_letter_are_found(name, text):
    """ü ö ä as ue oe ae, ß as ss, þ as th, ð as d or dh, đ as dj or d, æ ø å œ as ae oe
    aa oe, ł as l: each name is also compared in these spellings (names side only)."""
    ids = privacy.Identities.of([ClientIdentity(name)])
    assert ids.find(f"Call {text} back") == privacy.NAME
    assert ids.find("Blue sky, queue, Screen break, Shoe rack, Adhere") is None  # controls


@pytest.mark.parametrize("name, text, control", [
    ("فاطمة حسن", "فاطمه", "وجه"), ("عائشه علي", "عائشة", "استراحة"),  # ة and ه, both sides
    ("さくら", "サクラ", "サラ"), ("アキラ", "あきら", "あら"),  # katakana and hiragana
    ("ガク", "がく", "ハーブ"), ("ｱｷﾗ", "あきら", "ハナ"),  # voiced, halfwidth katakana
    ("김민준", "민준 씨", "민주 씨"), ("이서연", "서연", "서여"), ("박지", "박지", "지박")])
def test_one_letter_written_two_ways_and_whole_syllables(name, text, control):
    ids = privacy.Identities.of([ClientIdentity(name)])
    assert ids.find(f"{text} supervision") == privacy.NAME
    assert ids.find(f"{control} supervision") is None


def test_a_katakana_like_a_han_character_keeps_its_look_alike():
    """カ (katakana) is TR39's look-alike of 力 (Han): 李力 in katakana is still found, and
    in hiragana too, now that katakana compares as hiragana."""
    ids = privacy.Identities.of([ClientIdentity("李力")])
    assert ids.find("督导李カ") and ids.find("督导李か") and not ids.find("督导李")


def test_two_jamo_match_nothing():
    """A Korean fragment is whole syllables: a name of one syllable has none, and the jamo
    of a syllable (or compatibility jamo typed alone) are not pieces of a name."""
    ids = privacy.Identities.of([ClientIdentity("민 준호")])
    assert ids.find("준호 전화")
    assert not ids.find("미 전화") and not ids.find("ㅁㅣ 전화") and not ids.find("주 전화")


def test_an_email_local_part_ending_in_at_is_found_whole():
    """Hypothesis found x76at@...: its last letters were taken for a spelled "at"."""
    ids = privacy.Identities.of([ClientIdentity("Reed Lane", email="x76at@mail.example")])
    assert ids.find("Water and a walk x76at") and ids.find("x76at at mail dot example")
    assert not ids.find("Water and a walk at 7 or 6")  # control


# the fourth review (third attack round): an email whose "@" was typed otherwise, two
# numbers in one field, a name stored in its keyboard spelling and written with its letters
FOURTH = [
    (ClientIdentity("Zed Test", email="bluefox1987\uff20example.org"),  # full-width at sign
     EMAIL, "Reply to bluefox1987@example.org"),
    (ClientIdentity("Zed Test", email="bluefox1987 (at) example.org"), EMAIL,
     "Reply to bluefox1987@example.org"),
    (ClientIdentity("Zed Test", email="bluefox1987[at]example.org"), EMAIL, "bluefox1987"),
    (ClientIdentity("Zed Test", email="bluefox1987 at example.org"), EMAIL,
     "mail bluefox1987 at example dot org"),
    (with_parsed_phone(ClientIdentity("Zed Test", phone="07700 900123 / 020 7946 0018",
                                      country="GB")), PHONE, "If no answer ring 07700 900123"),
    (with_parsed_phone(ClientIdentity("Zed Test", phone="+44 7700 900123, +44 20 7946 0018",
                                      country="GB")), PHONE, "ring +44 20 7946 0018"),
    (with_parsed_phone(ClientIdentity("Zed Test", phone="07700 900123 (work 020 7946 0018)",
                                      country="GB")), PHONE, "ring 07700-900-123"),
    (ClientIdentity("Zed Test", contact="07700 900456 / 020 7946 0018"), PHONE,
     "ring 07700 900456"),
    (ClientIdentity("Zed Test", notes="mum 07700 900456, 07700 900789"), PHONE,
     "or 07700 900456"),
    (ClientIdentity("Goetz Schroeder"), NAME, "Supervision: Schröder"),
    (ClientIdentity("Goetz Schroeder"), NAME, "Götz"),
    (ClientIdentity("Juergen Soerensen"), NAME, "Sørensen"),
    (ClientIdentity("Ola Thorsson"), NAME, "Þórsson"),
    (ClientIdentity("Djordje Kiss"), NAME, "Đorđe"),
    (ClientIdentity("\u00d0or\u00f0e Kiss"), NAME, "Djordje"),  # stored with an Icelandic eth
    # a plus-tagged address's mailbox, a domain of the client's own
    (ClientIdentity("Zed Test", email="rq77+pc@example.org"), EMAIL, "write to rq77@example.org"),
    (ClientIdentity("Zed Test", email="x9@rosalindquimby.com"), EMAIL, "rosalindquimby.com"),
    (ClientIdentity("Zed Test", email="hello@bluefoxstudio.co.uk"), EMAIL, "Bluefox Studio"),
    # initials as initials are written, and one-character surnames with an honorific
    (ClientIdentity("Rosalind Quimby"), NAME, "Screen break RQ"),
    (ClientIdentity("Rosalind Quimby"), NAME, "Supervision re R.Q."),
    (ClientIdentity("Rosalind Jane Quimby"), NAME, "RJQ"),
    (ClientIdentity("김민준"), NAME, "김 씨 전화"), (ClientIdentity("김민준"), NAME, "김 선생님"),
    (ClientIdentity("王小明"), NAME, "王先生"), (ClientIdentity("王小明"), NAME, "小王"),
    (ClientIdentity("李 明"), NAME, "李さん"), (ClientIdentity("陳大文"), NAME, "陳先生"),
    # Han variants: traditional and simplified, Japanese and older forms of one name
    (ClientIdentity("张伟"), NAME, "張偉"), (ClientIdentity("渡邊 健"), NAME, "渡辺"),
    (ClientIdentity("渡邊 健"), NAME, "渡邉"), (ClientIdentity("斎藤 花子"), NAME, "齋藤"),
    (ClientIdentity("髙橋 一郎"), NAME, "高橋"), (ClientIdentity("陳大文"), NAME, "陈先生"),
]


@pytest.mark.parametrize("ident, kind, text", FOURTH, ids=[t for _, _, t in FOURTH])
def test_the_fourth_reviews_disguises_are_found(ident, kind, text):
    assert privacy.Identities.of([ident]).find(text) == kind


@pytest.mark.parametrize("text", ["Screen break at 10:00", "2026-12-02", "queue", "Müsli",
                                  "Über", "Blue sky", "reply at 9", "Shoe rack", "gmail",
                                  "rq", "NHS", "CBT prep", "AM or PM", "先生", "休息",
                                  "잠시 휴식", "Studio time", "RJ", "高兴", "督导休息"])
def test_the_fourth_reviews_controls_name_nobody(text):
    assert privacy.Identities.of([ident for ident, _, _ in FOURTH]).find(text) is None
