"""No identity leaves the machine: storage, request URLs and bodies, and logs are scanned."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from practice import Practice, Session

NAMES = [
    # accents and other Latin letters
    "José Núñez", "Zoë Ångström", "Björk Guðmundsdóttir", "François Lefèvre", "Łukasz Żółw",
    "Søren Kierkegård", "Çağla Şahin", "Ana-María Peña", "Dvořák Antonín", "Ïsaac Noël",
    # apostrophes and hyphens
    "Siobhan O'Connor", "D'Arcy McAllister", "Anne-Marie Smith-Jones", "Jean-Luc D'Angelo",
    "Mary-Kate O’Brien", "N'Golo Kanté-Diop",
    # non-Latin scripts
    "王芳", "田中 花子", "김민준", "Иван Петров", "Αλέξης Παπαδόπουλος", "محمد العلي",
    "דוד כהן", "Ελένη Γεωργίου", "Олена Шевченко", "สมชาย ใจดี", "अनिल कुमार", "Ngô Bảo Châu",
    # names that are common words
    "Will Power", "May June", "Summer Day", "Bill Story", "Grace Hope", "Rich Young",
    "Joy Field", "Sandy Shore", "Robin Banks", "Holly Wood", "Art Gallery", "Faith Morning",
    "Crystal Waters", "Dawn Rivers", "Penny Worth", "Hazel Brook", "Sky Mountain",
    # single names, long names, odd spacing
    "Nakamura", "Maximilian Alexander von Hohenberg-Lindqvist", "Ola  Nordmann",
    "Ng", "Lê Thị Hồng", "Carlos da Silva Júnior", "Ali bin Hassan", "Fatma Zehra Yılmaz",
]
assert len(NAMES) >= 50


def identities(i: int, name: str) -> dict:
    return {"name": name, "email": f"person{i}.{'x' * (i % 3)}mail@example.org",
            "phone": f"+44 7700 9{i:05d}"}


def forms(text: str) -> set[str]:
    out = set()
    for t in (text, text.lower(), text.upper(), text.casefold(), text.title()):
        for nf in ("NFC", "NFD", "NFKC", "NFKD"):
            out.add(unicodedata.normalize(nf, t))
        stripped = "".join(c for c in unicodedata.normalize("NFKD", t)
                           if not unicodedata.combining(c))
        out.add(stripped)
    return {f for f in out if len(f) >= 2}


def needles(people: list[dict]) -> dict[str, str]:
    """Every form of every identity -> which kind it was (never printed with the value)."""
    out = {}
    for i, p in enumerate(people):
        for kind in ("name", "email", "phone"):
            for f in forms(p[kind]):
                out[f] = f"{kind} #{i}"
        out[re.sub(r"\D", "", p["phone"])] = f"phone digits #{i}"
    return out


def find_leaks(haystack: str, table: dict[str, str]) -> list[str]:
    hay = {haystack, haystack.casefold()}
    for h in list(hay):
        hay.add(unicodedata.normalize("NFC", h))
        hay.add(unicodedata.normalize("NFD", h))
    return sorted({kind for needle, kind in table.items()
                   if len(needle) >= 3 and any(needle in h for h in hay)}
                  | {kind for needle, kind in table.items()
                     if len(needle) == 2 and any(re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", h)
                                                 for h in hay)})


def test_no_identity_reaches_the_server_or_the_logs(tmp_path, radicale, capsys):
    practice = Practice(tmp_path / "p", radicale.calendar_url())
    practice.root.mkdir()
    assert practice.run("init") == 0
    people = [identities(i, n) for i, n in enumerate(NAMES)]
    start = date.today() + timedelta(days=1)
    for i, p in enumerate(people):
        pseudonym = practice.add_client(p["name"], capsys, email=p["email"], phone=p["phone"])
        practice.sessions.append(Session(pseudonym, f"{start + timedelta(days=i % 7)}T"
                                                    f"{8 + i % 10:02d}:{(i * 5) % 60:02d}:00"))
    capsys.readouterr()
    radicale.reset_counters()
    assert practice.run("sync", "-v") == 0
    assert practice.run("sync", "--dry-run", "-v") == 0
    captured = capsys.readouterr()
    logs = captured.out + captured.err
    assert "created" in logs
    table = needles(people)

    stored = "".join(f.read_bytes().decode("utf-8", "replace")
                     for f in radicale.storage_dir.rglob("*") if f.is_file())
    assert len(list(radicale.collection_dir().glob("*.ics"))) == len(NAMES)
    requests = "".join(f"{r.method} {r.path}?{r.query}\n{r.body.decode('utf-8', 'replace')}"
                       for r in radicale.requests)
    assert len(radicale.requests) >= len(NAMES)
    assert find_leaks(stored, table) == []
    assert find_leaks(requests, table) == []
    assert find_leaks(logs, table) == []


def test_the_scanner_itself_finds_a_planted_identity():
    """Guard against a scan that cannot fail."""
    table = needles([identities(3, "Zoë Ångström")])
    assert find_leaks("SUMMARY:ZOË ÅNGSTRÖM", table) == ["name #0"]
    assert find_leaks("tel:447700900003", table) == ["phone digits #0"]
    assert find_leaks(unicodedata.normalize("NFD", "zoë ångström"), table) == ["name #0"]
