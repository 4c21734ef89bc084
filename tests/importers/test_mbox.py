"""The mbox / pipermail importer, specified on hand-written archives in tests/fixtures/mbox.

The fixture is one small list over four files: three pipermail quarters, each in the sender
obfuscation style of its time (2018q2 "at", 2018q4 "@ending from" and "m@ili@g off",
2019q1 "@end|ng |rom", gzip-compressed), and a standard mbox with clean addresses. Three
people write: Ada (who signs "Ada Lovelace", later "Ada King"), Søren (whose name is a MIME
encoded-word) and bob (no display name). Every expected row below was worked out by hand
from the files.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from email.header import Header
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narrowcast.errors import InputError
from narrowcast.importers import _mboxscan, mbox, read
from narrowcast.importers.mbox import address_skeleton, parse_mbox, read_mbox
from narrowcast.model import EVENTS, PEOPLE

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mbox"
PIPERMAIL = [FIXTURES / "2018q2.txt", FIXTURES / "2018q4.txt", FIXTURES / "2019q1.txt.gz"]
MBOX = FIXTURES / "list.mbox"
REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "r-package-devel"

EXPECTED_FORM = (
    "expected an mbox or pipermail archive: messages starting with "
    "'From sender  Day Mon dd HH:MM:SS YYYY' lines"
)

# One person each, whatever the style: the skeleton of their address (see address_skeleton).
ADA = "mbox:@d@@|ove|@ce@ex@mp|e@org"  # ada.lovelace@example.org
SOREN = "mbox:@ore@@ex@mp|e@dk"  # soren@example.dk
BOB = "mbox:bob@ex@mp|e@@et"  # bob@example.net
NO_ID = "d38b5d177ee3304fea329108f811593012b421a8"  # sha1 of bob's From, Date and Subject


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# (event_id, ts, actor, kind, content_id, parent_id, thread_id), in file order.
PIPERMAIL_ROWS = [
    # Date +0200: 12:00 local is 10:00 UTC. A post is its own thread.
    ("m1@example.org@1527847200", utc(2018, 6, 1, 10), ADA, "post",
     "m1@example.org", None, "m1@example.org"),
    # In-Reply-To has "(Ada Lovelace's message of ...)" after the id.
    ("m2@example.dk@1527856200", utc(2018, 6, 1, 12, 30), SOREN, "reply",
     "m2@example.dk", "m1@example.org", "m1@example.org"),
    # Date without offset: UTC. The parent is in no file, and there are no References:
    # the thread is left to the store (which finds no parent) and the target stays null.
    ("m3@example.net@1527930900", utc(2018, 6, 2, 9, 15), BOB, "reply",
     "m3@example.net", "elsewhere@lists.example.com", None),
    ("m4@example.org@1538384400", utc(2018, 10, 1, 9), ADA, "post",
     "m4@example.org", None, "m4@example.org"),
    # "m@ili@g off": the style pipermail used for senders without a display name.
    ("m5@example.net@1538389800", utc(2018, 10, 1, 10, 30), BOB, "reply",
     "m5@example.net", "m4@example.org", "m4@example.org"),
    # Date "Tue, 32 Oct 2018 25:00:00 +0000" is impossible: the envelope's time is used.
    ("m6@example.dk@1538467200", utc(2018, 10, 2, 8), SOREN, "post",
     "m6@example.dk", None, "m6@example.dk"),
    # No In-Reply-To: the parent is the last References id, the thread the first.
    ("m7@example.org@1546419600", utc(2019, 1, 2, 9), ADA, "reply",
     "m7@example.org", "m5@example.net", "m4@example.org"),
]  # fmt: skip

MBOX_ROWS = [
    ("e1@example.org@1549533600", utc(2019, 2, 7, 10), ADA, "post",
     "e1@example.org", None, "e1@example.org"),
    ("e2@example.dk@1549541400", utc(2019, 2, 7, 12, 10), SOREN, "reply",
     "e2@example.dk", "e1@example.org", "e1@example.org"),
    # No Message-ID: the id is a sha1; "GMT" is read by the slow date path.
    (f"{NO_ID}@1549616400", utc(2019, 2, 8, 9), BOB, "post", NO_ID, None, NO_ID),
]  # fmt: skip

ROW_COLUMNS = ["event_id", "ts", "actor", "kind", "content_id", "parent_id", "thread_id"]


def tables(parsed) -> tuple[pa.Table, pa.Table]:
    chunks = list(parsed)
    events = [c.batch for c in chunks if c.table == "events"]
    people = [c.batch for c in chunks if c.table == "people"]
    return pa.Table.from_batches(events, EVENTS), pa.Table.from_batches(people, PEOPLE)


def rows(events: pa.Table) -> list[tuple]:
    cols = [events.column(c).to_pylist() for c in ROW_COLUMNS]
    return list(zip(*cols, strict=True))


def messages(*blocks: str) -> str:
    return "".join(blocks)


def pipermail_message(
    sender: str = "ada at example.org",
    name: str = "Ada",
    envelope_date: str = "Fri Jun  1 10:00:05 2018",
    date: str | None = "Fri, 1 Jun 2018 10:00:00 +0000",
    mid: str = "<x@example.org>",
    body: str = "Hello.\n",
) -> str:
    head = f"From {sender}  {envelope_date}\nFrom: {sender} ({name})\n"
    if date is not None:
        head += f"Date: {date}\n"
    return head + f"Subject: [Test-pkg] Hi\nMessage-ID: {mid}\n\n{body}\n"


# --- events worked out by hand -----------------------------------------------------------


def test_pipermail_quarters_give_the_events_worked_out_by_hand():
    events, _ = tables(read_mbox(PIPERMAIL))
    assert rows(events) == PIPERMAIL_ROWS


def test_standard_mbox_gives_the_events_worked_out_by_hand():
    events, _ = tables(read_mbox([MBOX]))
    assert rows(events) == MBOX_ROWS


def test_a_reply_whose_references_name_only_its_parent_is_in_the_thread_of_its_parent(
    store, tmp_path
):
    """m8 answers bob's reply m5, and its References name m5 alone (some mailers keep only
    the last id), so the importer takes m5 for its thread; in the store m5 is a reply in
    m4's thread, and so m8 is too. A reply naming its thread's root keeps it."""
    m8 = pipermail_message(
        sender="soren at example.dk",
        name="Soren",
        envelope_date="Wed Oct  3 09:00:00 2018",
        date="Wed, 3 Oct 2018 09:00:00 +0000",
        mid="<m8@example.dk>",
    ).replace(
        "Message-ID: <m8@example.dk>\n",
        "Message-ID: <m8@example.dk>\nIn-Reply-To: <m5@example.net>\n"
        "References: <m5@example.net>\n",
    )
    late = tmp_path / "2018q4-late.txt"
    late.write_text(m8)
    events, _ = tables(read_mbox([late]))
    assert rows(events)[0][-1] == "m5@example.net"  # all the importer can know
    store.load(read_mbox([*PIPERMAIL, MBOX, late]))
    threads = dict(
        store.con.execute(
            "SELECT content_id, thread_id FROM event_log WHERE kind = 'reply'"
        ).fetchall()
    )
    assert threads == {
        "m2@example.dk": "m1@example.org",
        "m3@example.net": None,  # its parent is in no file
        "m5@example.net": "m4@example.org",
        "m7@example.org": "m4@example.org",
        "e2@example.dk": "e1@example.org",
        "m8@example.dk": "m4@example.org",
    }


def test_every_event_is_public_untargeted_and_of_the_events_schema():
    events, _ = tables(read_mbox([*PIPERMAIL, MBOX]))
    assert events.schema == EVENTS
    assert set(events.column("platform").to_pylist()) == {"mbox"}
    assert set(events.column("visibility").to_pylist()) == {"public"}
    assert set(events.column("quantity").to_pylist()) == {1}
    # The store fills a reply's target from its parent's author; the importer cannot know it.
    assert events.column("target").null_count == events.num_rows
    assert events.column("subtype").null_count == events.num_rows
    assert events.column("source").null_count == events.num_rows


def test_text_is_the_subject_a_blank_line_and_the_body():
    events, _ = tables(read_mbox([*PIPERMAIL, MBOX]))
    ids, texts = events.column("content_id").to_pylist(), events.column("text").to_pylist()
    text = dict(zip(ids, texts, strict=True))
    assert text["m1@example.org"] == (
        "[Test-pkg] Building vignettes offline\n\n"
        "Dear list,\n\n"
        "my vignettes need the network.\n"
        "From here on, the build stops with an error.\n"
        "From the docs  I could not tell why.\n\n"
        "Ada"
    )
    # A folded Subject is unfolded.
    assert text["m4@example.org"] == (
        "[Test-pkg] Checks on Windows time out\n\nThe Windows checks take 20 minutes."
    )
    # The line quoting Ada is left out: the text is Søren's own words.
    assert text["m2@example.dk"] == (
        "[Test-pkg] Building vignettes offline\n\nUse a precomputed vignette."
    )
    # Standard mbox escapes body lines starting with "From ": one ">" is taken off again,
    # and the line that then starts with ">" quotes another message.
    assert text["e1@example.org"] == (
        "Rebuilding the documentation\n\nFrom the start, roxygen rebuilt everything."
    )


def test_lines_quoting_another_message_are_not_the_senders_text():
    """A reply quoting a link does not use it: only the lines the sender wrote are text."""
    body = (
        "> On Mon, Ada wrote:\n"
        "> see https://example.org/build for the log\n"
        ">> and an older quote\n"
        "\n"
        "Thanks, that fixed it.\n"
        "   > indented: not a quote marker\n"
        "> trailing quote"
    )
    events, _, _ = parse_mbox(pipermail_message(body=body))
    assert events.column("text")[0].as_py() == (
        "[Test-pkg] Hi\n\nThanks, that fixed it.\n   > indented: not a quote marker"
    )


# --- splitting messages ------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "From here on, the build stops with an error.",
        "From the docs  I could not tell why.",
        "From ada at example.org  Fri Jun  1 10:00:05",  # no year
        "From ada at example.org  Fri Jun  1 10:00 2018",  # no seconds
        "From ada at example.org  Friday Jun  1 10:00:05 2018",
        "From: ada at example.org (Ada)",
        ">From ada@example.org Fri Jun  1 10:00:05 2018",
        " From ada@example.org Fri Jun  1 10:00:05 2018",
    ],
)
def test_a_body_line_starting_with_from_does_not_split_a_message(line):
    text = pipermail_message(body=f"Before.\n{line}\nAfter.\n")
    events, _, _ = parse_mbox(text)
    assert events.num_rows == 1
    kept = "" if line.startswith(">") else f"{line}\n"  # a quoted line is not the sender's
    assert events.column("text")[0].as_py() == f"[Test-pkg] Hi\n\nBefore.\n{kept}After."


@pytest.mark.parametrize(
    "envelope",
    [
        "From ada at example.org  Fri Jun  1 10:00:05 2018",  # pipermail
        "From ada@example.org  Fri Jun  1 10:00:05 2018",  # pipermail, clean address
        "From ada@example.org Fri Jun  1 10:00:05 2018",  # standard mbox
        "From ada@example.org Fri Jun 01 10:00:05 2018",
        "From 1601234567890@xxx Fri Jun 01 10:00:05 +0000 2018",  # Gmail Takeout
        "From MAILER-DAEMON Fri Jun  1 10:00:05 2018",
    ],
)
def test_an_envelope_line_starts_a_message(envelope):
    second = f"{envelope}\nFrom: b@example.org\nMessage-ID: <y@example.org>\n\nSecond.\n"
    events, _, _ = parse_mbox(pipermail_message() + second)
    assert events.column("content_id").to_pylist() == ["x@example.org", "y@example.org"]
    # The second message has no Date header: the envelope's time is used.
    assert events.column("ts")[1].as_py() == utc(2018, 6, 1, 10, 0, 5)


@pytest.mark.parametrize("sender", ["s\u00f8ren@example.dk", "s\u00f8ren at example.dk "])
def test_an_envelope_line_may_hold_letters_beyond_ascii(sender):
    second = f"From {sender} Fri Jun  1 10:00:05 2018\nFrom: {sender}\nMessage-ID: <y@x>\n\nB\n"
    events, _, _ = parse_mbox(pipermail_message() + second)
    assert events.column("content_id").to_pylist() == ["x@example.org", "y@x"]


def test_parse_mbox_takes_lines_with_or_without_newlines():
    text = (FIXTURES / "2018q2.txt").read_text()
    from_text, _, _ = parse_mbox(text)
    from_lines, _, _ = parse_mbox(text.splitlines())
    from_kept, _, _ = parse_mbox(text.splitlines(keepends=True))
    assert from_lines.equals(from_text)
    assert from_kept.equals(from_text)
    assert rows(from_text) == PIPERMAIL_ROWS[:3]


def test_crlf_line_ends_are_read_as_lf(tmp_path):
    path = tmp_path / "crlf.mbox"
    path.write_bytes(MBOX.read_bytes().replace(b"\n", b"\r\n"))
    events, _ = tables(read_mbox([path]))
    assert rows(events) == MBOX_ROWS


# --- one sender, one person --------------------------------------------------------------


def test_the_three_obfuscation_styles_and_the_clean_address_are_one_person():
    forms = [
        "ada.lovelace at example.org",  # 2015 - 2018Q2
        "@d@@lovel@ce @ending from ex@mple@org",  # 2018Q3 - 2018Q4
        "@d@@|ove|@ce @end|ng |rom ex@mp|e@org",  # 2019Q1 on
        "<Ada.Lovelace@Example.org>",  # standard mbox
        "ada.lovelace@example.org",
    ]
    assert {address_skeleton(f) for f in forms} == {"@d@@|ove|@ce@ex@mp|e@org"}
    # The style without display name also turns n into @ (and, from 2019, i l f into i).
    assert address_skeleton("bob m@ili@g off ex@mple@@et") == BOB.removeprefix("mbox:")
    assert address_skeleton("bob m@iii@g oii ex@mpie@@et") == BOB.removeprefix("mbox:")
    assert address_skeleton("bob at example.net") == BOB.removeprefix("mbox:")


def test_each_sender_is_one_person_across_files_and_formats():
    events, people = tables(read_mbox([*PIPERMAIL, MBOX]))
    by_actor = {}
    ids, actors = events.column("content_id").to_pylist(), events.column("actor").to_pylist()
    for cid, actor in zip(ids, actors, strict=True):
        by_actor.setdefault(actor, []).append(cid)
    assert by_actor == {
        ADA: ["m1@example.org", "m4@example.org", "m7@example.org", "e1@example.org"],
        SOREN: ["m2@example.dk", "m6@example.dk", "e2@example.dk"],
        BOB: ["m3@example.net", "m5@example.net", NO_ID],
    }
    assert people.column("id").to_pylist() == [ADA, SOREN, BOB]


def test_people_have_the_latest_display_name_and_list_the_others():
    _, people = tables(read_mbox([*PIPERMAIL, MBOX]))
    assert people.schema == PEOPLE
    got = [
        (r["id"], r["platform"], r["handle"], r["display_name"], json.loads(r["attributes"]))
        for r in people.to_pylist()
    ]
    assert got == [
        (ADA, "mbox", "Ada King", "Ada King", {
            "other_display_names": ["Ada Lovelace"],
            "addresses": [
                "@d@@lovel@ce@ex@mple@org", "@d@@|ove|@ce@ex@mp|e@org", "ada.lovelace@example.org"
            ],
            "email": "ada.lovelace@example.org",
        }),
        # The MIME encoded-word is decoded; pipermail's 2018q4 copy had lost the ø.
        (SOREN, "mbox", "Søren Kierkegaard", "Søren Kierkegaard", {
            "other_display_names": ["Soren Kierkegaard"],
            "addresses": ["@oren@ex@mple@dk", "soren@example.dk"],
            "email": "soren@example.dk",
        }),
        # No display name (pipermail repeats the address instead): the clean address.
        (BOB, "mbox", "bob@example.net", None, {
            "other_display_names": [],
            "addresses": ["bob@ex@mple@@et", "bob@example.net"],
            "email": "bob@example.net",
        }),
    ]  # fmt: skip
    assert people.column("audience_size").null_count == 3


def test_the_latest_display_name_is_by_message_time_not_file_order():
    _, forward = tables(read_mbox([*PIPERMAIL, MBOX]))
    _, backward = tables(read_mbox([MBOX, *reversed(PIPERMAIL)]))
    assert backward.equals(forward)


def test_platform_names_the_rows_and_the_people():
    events, people = tables(read_mbox(PIPERMAIL, platform="r-devel"))
    assert set(events.column("platform").to_pylist()) == {"r-devel"}
    assert events.column("actor")[0].as_py() == "r-devel:@d@@|ove|@ce@ex@mp|e@org"
    assert people.column("id").to_pylist() == [
        "r-devel:@d@@|ove|@ce@ex@mp|e@org",
        "r-devel:@ore@@ex@mp|e@dk",
        "r-devel:bob@ex@mp|e@@et",
    ]


# --- the stream --------------------------------------------------------------------------


def test_chunks_name_their_file_and_how_far_the_input_is_read():
    parsed = read_mbox([*PIPERMAIL, MBOX])
    assert (parsed.format, parsed.platform) == ("mbox", "mbox")
    sizes = [p.stat().st_size for p in [*PIPERMAIL, MBOX]]
    assert parsed.total_bytes == sum(sizes)
    chunks = list(parsed)
    assert [(c.table, c.path.name, c.bytes_read) for c in chunks] == [
        ("events", "2018q2.txt", sizes[0]),
        ("events", "2018q4.txt", sum(sizes[:2])),
        ("events", "2019q1.txt.gz", sum(sizes[:3])),
        ("events", "list.mbox", sum(sizes)),
        ("people", "list.mbox", sum(sizes)),
    ]
    assert parsed.bad_rows == 0


def test_a_large_archive_is_streamed_in_batches(tmp_path):
    path = tmp_path / "big.txt"
    with path.open("w") as f:
        for i in range(10_000):
            f.write(pipermail_message(mid=f"<{i}@example.org>", body="Hello.\n" * 20))
    parsed = read_mbox([path], block_bytes=4096)
    chunks = iter(parsed)
    first = next(chunks)
    # The first batch is out before the file is read to its end.
    assert first.table == "events" and 0 < first.bytes_read < parsed.total_bytes
    rest = list(chunks)
    assert sum(c.batch.num_rows for c in [first, *rest] if c.table == "events") == 10_000
    assert rest[-1].table == "people" and rest[-1].bytes_read == parsed.total_bytes


def test_the_importer_registry_reads_mbox():
    events, _ = tables(read("mbox", [MBOX]))
    assert rows(events) == MBOX_ROWS


# --- bad input ---------------------------------------------------------------------------


def test_a_byte_that_is_not_utf8_names_its_line(tmp_path):
    path = tmp_path / "latin1.txt"
    text = pipermail_message(body="Gr\xfc\xdfe.\n")  # written as latin-1 below
    path.write_bytes(text.encode("latin-1") * 3)
    # Several blocks, so the line is counted across them.
    with pytest.raises(InputError) as err:
        list(read_mbox([path], block_bytes=16))
    assert str(err.value) == (
        f"{path}, line 7: byte 0xfc is not UTF-8; expected an mbox or pipermail archive in UTF-8"
    )


def test_a_truncated_gz_says_so(tmp_path):
    path = tmp_path / "2019q1.txt.gz"
    data = (FIXTURES / "2019q1.txt.gz").read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError) as err:
        list(read_mbox([path]))
    assert str(err.value) == (
        f"{path}, line 1: cannot be read: the compressed file ends early (truncated download?); "
        "expected an mbox or pipermail archive"
    )


def test_a_file_without_envelope_lines_is_not_an_mbox(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("actor,target,ts\n1,2,60\nFrom here on, nothing.\n")
    with pytest.raises(InputError) as err:
        list(read_mbox([path]))
    assert str(err.value) == f"{path}: no message found; {EXPECTED_FORM}"


def test_an_empty_file_says_so(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(InputError) as err:
        read_mbox([path])
    assert str(err.value) == f"{path}: is empty; expected an mbox or pipermail archive"


def test_a_missing_file_says_so(tmp_path):
    path = tmp_path / "2015q2.txt.gz"
    with pytest.raises(InputError) as err:
        read_mbox([path])
    assert str(err.value) == f"{path}: no such file; expected an mbox or pipermail archive"


def test_a_message_without_any_valid_date_names_its_envelope_line(tmp_path):
    path = tmp_path / "2015q2.txt"
    bad = pipermail_message(envelope_date="Mon Feb 30 10:00:00 2015", date="soon", mid="<b@x>")
    path.write_text(pipermail_message() + bad)
    with pytest.raises(InputError) as err:
        list(read_mbox([path]))
    assert str(err.value) == (
        f"{path}, line 9: neither the Date header 'soon' nor the envelope's date "
        "'Mon Feb 30 10:00:00 2015' is a valid date; "
        "expected e.g. 'Date: Fri, 22 May 2015 06:38:22 -0500'"
    )


def test_a_message_without_date_header_nor_valid_envelope_date(tmp_path):
    path = tmp_path / "2015q2.txt"
    path.write_text(pipermail_message(envelope_date="Mon Feb 30 10:00:00 2015", date=None))
    with pytest.raises(InputError) as err:
        list(read_mbox([path]))
    assert str(err.value) == (
        f"{path}, line 1: no Date header, and the envelope's date "
        "'Mon Feb 30 10:00:00 2015' is not valid; "
        "expected e.g. 'Date: Fri, 22 May 2015 06:38:22 -0500'"
    )


def test_text_before_the_first_message_is_a_bad_row(tmp_path):
    path = tmp_path / "2015q2.txt"
    path.write_text("\n\nThis archive was exported by hand.\n" + pipermail_message())
    with pytest.raises(InputError) as err:
        list(read_mbox([path]))
    assert str(err.value) == f"{path}, line 3: text before the first message; {EXPECTED_FORM}"


def test_skip_bad_rows_skips_and_counts_them(tmp_path):
    path = tmp_path / "2015q2.txt"
    no_date = pipermail_message(envelope_date="Mon Feb 30 10:00:00 2015", date="x", mid="<b@x>")
    path.write_text(
        "preamble\n" + pipermail_message() + no_date + no_date.replace("<b@x>", "<c@x>")
    )
    parsed = read_mbox([path], skip_bad_rows=True)
    events, _ = tables(parsed)
    assert events.column("content_id").to_pylist() == ["x@example.org"]
    assert parsed.bad_rows == 3


def test_a_blank_line_before_the_first_message_is_fine():
    events, _, bad = parse_mbox("\n\n" + pipermail_message())
    assert (events.num_rows, bad) == (1, 0)


# --- properties --------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(order=st.permutations([*PIPERMAIL, MBOX]))
def test_the_order_of_the_files_changes_neither_events_nor_people(order):
    events, people = tables(read_mbox(order))
    expected, expected_people = tables(read_mbox([*PIPERMAIL, MBOX]))
    assert sorted(rows(events)) == sorted(rows(expected))
    assert people.equals(expected_people)


_LOCAL = st.text("abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=12)
_NAME = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters='()<>"\\'),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip() and "=?" not in s and "@" not in s and " at " not in s.lower())


def _obfuscate(address: str, table: dict[str, str]) -> str:
    return "".join(table.get(c, c) for c in address)


@settings(max_examples=200, deadline=None)
@given(local=_LOCAL, host=_LOCAL, tld=st.sampled_from(["org", "com", "de", "ac.uk"]), name=_NAME)
def test_any_address_in_any_style_gives_one_person_with_its_name(local, host, tld, name):
    address = f"{local}@{host}.{tld}"
    user, domain = address.split("@")
    at_ending = {"a": "@", "s": "@", ".": "@"}
    end_ng = {**at_ending, "i": "|", "l": "|", "f": "|"}
    m_ili_g = {"a": "@", "n": "@", ".": "@"}
    m_iii_g = {**m_ili_g, "i": "i", "l": "i", "f": "i"}
    envelope = "  Fri Jun  1 10:00:05 2018\n"
    encoded = Header(name, "utf-8").encode()
    froms = [
        f"{user} at {domain} ({name})",
        f"{_obfuscate(user, at_ending)} @ending from {_obfuscate(domain, at_ending)} ({name})",
        f"{_obfuscate(user, end_ng)} @end|ng |rom {_obfuscate(domain, end_ng)} ({encoded})",
        f'"{name}" <{address.upper()}>',
    ]
    bare = [
        f"{_obfuscate(user, m_ili_g)} m@ili@g off {_obfuscate(domain, m_ili_g)}",
        f"{_obfuscate(user, m_iii_g)} m@iii@g oii {_obfuscate(domain, m_iii_g)}",
    ]
    froms += [f"{b} ({b})" for b in bare]
    text = "".join(
        f"From x{envelope}From: {f}\nDate: Fri, {i + 1} Jun 2018 10:00:00 +0000\n"
        f"Subject: s\nMessage-ID: <{i}@x>\n\nbody\n\n"
        for i, f in enumerate(froms)
    )
    events, people, _ = parse_mbox(text)
    assert set(events.column("actor").to_pylist()) == {f"mbox:{address_skeleton(address)}"}
    assert people.num_rows == 1
    assert people.column("display_name")[0].as_py() == " ".join(name.split())


# --- the real archive --------------------------------------------------------------------


@pytest.mark.data
# --- reading by columns -------------------------------------------------------------------
#
# The usual messages of a block are read a column at a time; every other message is read by
# itself, by the plain statement of the rules (_Parser.columns = False reads them all so).
# Both ways must give the same events and people.


def _both_ways(monkeypatch, read):
    """``read()`` with the usual messages read by columns, then with every message read by
    itself."""
    by_columns = read()
    monkeypatch.setattr(mbox._Parser, "columns", False)
    one_by_one = read()
    monkeypatch.undo()
    return by_columns, one_by_one


def test_the_line_walk_finds_newlines():
    buf = b"From a\nx\n>From b\nFrom c\nFrom\n"
    assert np.frombuffer(_mboxscan.newlines(buf), np.int64).tolist() == [6, 8, 16, 23, 28]


# The bytes form of the envelope line, at a line's start: what _mboxscan.envelopes matches.
_ENVELOPE_BYTES = re.compile(mbox._ENVELOPE.pattern[2:].encode(), re.MULTILINE)
_SENDERS = [
    *["a", "a@x.org", "a at x.org ", "a b ", "Mon Jan  5 ", "a\tb ", "\u00e9 ", "a\x1cb", ""],
    *["a\rb", "a\x0bb", "a\x0cb"],
]
_ENVELOPE_DATES = [
    "Mon Jan  5 10:00:00 2015",
    "Mon Jan 5 10:00:00 2015",
    "Mon Jan 15 10:00:00 2015",
    "Mon Jan 15 10:00:00 +0100 2015",
    "Mon Jan  5 10:00:00 -0100 2015  \t",
    "Mon Jan 115 10:00:00 2015",
    "Mon jan  5 10:00:00 2015",
    "Mon Jan  5 10:00 2015",
    "Mon Jan  5 10:00:00 0100 2015",
    "Mon Jan  5 10:00:00 20155",
    "Mon Jan  5 10:00:00 2015 x",
]


_PARTS = st.one_of(st.sampled_from(_SENDERS), st.sampled_from(_ENVELOPE_DATES))
_GAPS = st.sampled_from([" ", "  ", "\t", ""])


@settings(max_examples=300)
@given(
    parts=st.one_of(
        st.tuples(st.sampled_from(_SENDERS), st.sampled_from(_ENVELOPE_DATES)),  # the form
        st.lists(_PARTS, max_size=4),  # and any mix
    ),
    gaps=st.lists(_GAPS, min_size=4, max_size=4),
)
def test_envelope_lines_are_those_of_the_envelope_pattern(parts, gaps):
    """The C matcher finds the lines of _ENVELOPE's bytes form, its date where group 2
    starts (pipermail's form: two spaces before it), on lines made of senders and dates."""
    line = "From " + "".join(p + g for p, g in zip(parts, gaps, strict=False))
    buf = f"x\n{line}\nFrom \n".encode()
    found = np.frombuffer(_mboxscan.envelopes(buf), np.int64).reshape(-1, 3).tolist()
    m = _ENVELOPE_BYTES.match(buf, 2)
    expected = []
    if m is not None:
        unusual = bool(re.search(rb"[\x1c-\x1f\x80-\xff]", m.group(0)))
        expected = [[2, m.end(), (buf[m.start(2) - 2] == 32) | (unusual << 1)]]
    assert found == expected


def test_the_line_walk_reads_headers_dates_ids_and_the_senders_own_lines():
    """Message 1: a Date with a comment, a folded Subject, a spaced Message-ID, References
    folded over two lines (no In-Reply-To: the parent is the last, the thread the first), a
    second From (not read); a quote and an escaped '>From ' (a standard mbox) in the body,
    and blank lines at its ends. Message 2 (pipermail's form) has 'Date :': not usual."""
    one = (
        b"From a Mon Jan  5 10:00:00 2015\nfrom: A\n"
        b"Date: Mon, 5 Jan 2015 10:00:00 +0100 (CET)\nSubject: x\n  y\n"
        b"Message-ID:  < m1@x > \nReferences: <r1@x>\n\t<r2@x>\nFrom: B\n\n"
        b"\nhi\n> quoted\n>From here\n\n"
    )
    two = b"From b at x.org  Mon Jan  5 10:00:00 2015\nDate : x\n\nbody\n"
    buf = one + two
    starts = np.array([0, len(one)], np.int64)
    heads = np.array([31, len(one) + 41], np.int64)
    bounds, given, usual, seconds, ids, has, offsets, text = _mboxscan.scan(
        buf, starts, heads, np.array([False, True])
    )
    bounds = np.frombuffer(bounds, np.int64).reshape(2, 6, 2)
    values = [buf[i:j] if g else None for (i, j), g in zip(bounds[0], given[:6], strict=True)]
    assert values[0] == b" A"
    assert values[2] == b" x\n  y"
    assert list(usual) == [1, 0]
    nine_utc = datetime(2015, 1, 5, 9, tzinfo=UTC).timestamp()
    assert np.frombuffer(seconds, np.int64)[0] == nine_utc
    spans = np.frombuffer(ids, np.int64).reshape(2, 3, 2)[0]
    assert [buf[i:j] for i, j in spans] == [b"m1@x", b"r2@x", b"r1@x"]
    assert list(has) == [1, 1, 1, 0, 0, 0]
    assert text == b"hi\nFrom here"
    assert np.frombuffer(offsets, np.int64).tolist() == [0, 12, 12]


def test_the_line_walk_refuses_messages_out_of_order():
    one = np.array([0], np.int64)
    with pytest.raises(ValueError, match="differ in length"):
        _mboxscan.scan(b"From a\n\nx\n", one, np.array([], np.int64), b"\0")
    with pytest.raises(ValueError, match="out of order"):
        _mboxscan.scan(b"From a\n\nx\n", one, np.array([99], np.int64), b"\0")


def _usual_ids(path: Path) -> list[str]:
    """The Message-IDs of the messages of a file that are read by columns."""
    with mbox.open_binary(path) as inp:
        data, _ = mbox._prepared(inp.stream.read())
    columns = mbox._usual(data, mbox._envelopes(data))
    return columns.columns["content_id"].to_pylist() if len(columns.rows) else []


def test_the_usual_messages_are_read_by_columns():
    """m1 and m2 have the usual form (m2's sender name is an encoded-word, its In-Reply-To
    has a comment after the id); m3's Date has no offset. m4's Subject is folded and m5's
    sender has no display name: both usual; m6's Date is impossible; m7 is usual. e1 has
    other headers (Received folded over two lines) and a 'Message-Id': usual, as is e2;
    e3 has no Message-ID and a named zone ('GMT')."""
    assert _usual_ids(PIPERMAIL[0]) == ["m1@example.org", "m2@example.dk"]
    assert _usual_ids(PIPERMAIL[1]) == ["m4@example.org", "m5@example.net"]
    assert _usual_ids(PIPERMAIL[2]) == ["m7@example.org"]
    assert _usual_ids(MBOX) == ["e1@example.org", "e2@example.dk"]


def test_reading_by_columns_gives_the_events_read_one_by_one(monkeypatch):
    files = [*PIPERMAIL, MBOX]
    by_columns, one_by_one = _both_ways(monkeypatch, lambda: tables(read_mbox(files)))
    assert by_columns[0].equals(one_by_one[0])
    assert by_columns[1].equals(one_by_one[1])
    assert rows(by_columns[0]) == PIPERMAIL_ROWS + MBOX_ROWS


# Each field: its usual forms, and others. A message is drawn with every field usual, or
# with one field in another form, or with each field in any form.
_FROM_NAMES = (["From", "FROM", "from"], ["From ", "From\t", "Frm"])
_DATES = (
    [
        "Fri, 1 Jun 2018 10:00:00 +0000",
        "Fri, 01 Jun 2018 10:00:00 -0130",
        "1 Jun 2018 10:00 +0200",
        "Fri, 1 Jun 2018 10:00:00 +0000 (UTC)",
        "Fri,  1 jun 2018  9:05:07 +0000",
        "Fri, 29 Feb 2016 23:59:59 +0000",
    ],
    [
        "Fri, 1 Jun 2018 10:00:00",
        "Fri, 1 Jun 2018 10:00:00 GMT",
        "Fri, 31 Jun 2018 10:00:00 +0000",
        "Fri, 29 Feb 2018 10:00:00 +0000",
        "Fri, 1 Jun 2018 24:00:00 +0000",
        "Fri, 1 Jun 0000 10:00:00 +0000",
        "Fri, 1 Jun 18 10:00:00 +0000",
        "Fri, 1 Foo 2018 10:00:00 +0000",
        "Fri, 1 Jun 2018 10:00:00 +0000\u3000",
        "",
        "nonsense",
    ],
)
_IDS = (["<a@x>", " <b@x> ", "<c@x> (comment)", "<\u00e9@x>"], ["<>", "< >", "d@x", "<<e@x>", "<f"])
_REFS = (
    ["<a@x>", "<a@x> <b@x>", "<a@x>\n\t<b@x>", "<a@x> ,<b@x>"],
    ["<a@x>\n <>", "<> <b@x>", "x", "<a@x> <b", ""],
)
_SUBJECTS = (
    ["Hi", "", "=?utf-8?q?S=C3=B8ren?= asks", "=?bad?=", "Re: caf\u00e9", "  padded  ", "A\n B"],
    ["Subject\u00a0"],
)
_BODY_LINES = [
    "Hello.",
    "",
    "> quoted https://x.org/a",
    ">> deeper",
    ">From an escaped line",
    ">>From a quoted one",
    "From the start",
    "  > indented",
    "caf\u00e9 #tag",
    "\r",
]


@st.composite
def _archives(draw):
    """Archives of messages in every form the reader meets: headers in any case, spaced,
    folded, missing or repeated; dates in and out of the usual form; ids clean and not;
    encoded subjects; quoted, escaped and blank body lines; no blank line after headers."""
    out = []
    fields = ["from", "date", "subject", "id", "reply", "refs", "fold", "blank", "given"]
    for i in range(draw(st.integers(1, 6))):
        free = draw(st.sampled_from([[], *[[f] for f in fields], fields]))

        def pick(forms: tuple[list[str], list[str]], field: str, free: list = free) -> str:
            if field not in free:
                return draw(st.sampled_from(forms[0]))
            return draw(st.sampled_from(forms[1] if len(free) == 1 else forms[0] + forms[1]))

        def given(free: list = free) -> bool:
            return "given" not in free or draw(st.integers(0, 4)) > 0

        piper = draw(st.booleans())
        local = draw(st.sampled_from(["ada", "s\u00f8ren", "a\u00a0b", "a\x1cb"]))
        sender = f"{local} at example.org" if piper else f"{local}@example.org"
        envelope = f"From {sender}{'  ' if piper else ' '}Fri Jun  1 10:00:0{i} 2018"
        headers = [f"{name}: x" for name in draw(st.lists(st.sampled_from(["To", "X-A"])))]
        if given():
            headers.append(f"{pick(_FROM_NAMES, 'from')}: {sender} (Ada {i % 2})")
        if draw(st.integers(0, 5)) == 0:
            headers.append("From: bob@example.net")  # a second From: the first counts
        for name, value in [
            ("Date", pick(_DATES, "date")),
            ("Subject", pick(_SUBJECTS, "subject")),
            ("Message-ID", pick(_IDS, "id").replace("@x", f"{i}@x")),
            ("In-Reply-To", pick(_IDS, "reply")),
            ("References", pick(_REFS, "refs")),
        ]:
            if given() or name == "Message-ID":
                headers.append(f"{draw(st.sampled_from([name, name.upper()]))}: {value}")
        headers = draw(st.permutations(headers))
        if "fold" in free and draw(st.booleans()):
            headers = ["  folded first", *headers]
        body = draw(st.lists(st.sampled_from(_BODY_LINES), max_size=6))
        blank = [""] if "blank" not in free or draw(st.booleans()) else []
        out.append("\n".join([envelope, *headers, *blank, *body, ""]))
    return "\n".join(out)


# Dates and ids at the edges of the usual form, each read both ways below.
_EDGE_DATES = [
    *_DATES[0],
    *_DATES[1],
    "Fri, 29 Feb 1900 10:00:00 +0000",
    "Tue, 29 Feb 2000 10:00:00 +0000",
    "Fri, 123 Jun 2018 10:00:00 +0000",
    "Fri, 1 JUN 2018 10:00:00 +0000",
    "Fri,1 Jun 2018 10:00:00 +0000",
    "1 Jun 2018 10:00:60 +0000",
    "1 Jun 2018 10:60:00 +0000",
    "1 Jun 2018 1:00 +0000",
    "1 Jun 2018 10:0 +0000",
    "1 Jun 2018 10:00: +0000",
    "1 Jun 2018 10:00:00 +00000",
    "1 Jun 2018 10:00:00 +0099",
    "1 Jun 2018 10:00:00 +0000 ()",
    "1 Jun 2018 10:00:00 +0000 (a) b",
    "1 Jun 2018 10:00:00 +0000 (tab\there)",
    "1 Jun 2018 10:00:00 +0000 (caf\u00e9)",
    "1 Jun 2018 10:00:00 +0000\u00a0",
    "1 Jun 2018 10:00:00 +0000\x0b",
    "1 Jun 2018\n 10:00:00 +0000",
    "1\tJun\t2018\t10:00:00\t+0000",
]
_EDGE_IDS = [
    *_IDS[0],
    *_IDS[1],
    *_REFS[0],
    *_REFS[1],
    "x <a@x> <b@x>",
    "a<b@x>c<d@x>",
    "<a@x> <",
    "<a@x\n b>",
    "<\ta@x\t>",
    "< a@x\n>",
    "<a@x>\u00a0",
    "<\u00a0a@x>",
    "<a\x0bb@x>",
    "<\x0ba@x\x1c>",
    "\u00a0",
    " ",
    "\n ",
]


@pytest.mark.parametrize("date", _EDGE_DATES)
def test_a_date_at_the_edge_of_the_usual_form_reads_the_same_both_ways(monkeypatch, date):
    archive = (
        "From ada@x.org Fri Jun  1 10:00:00 2018\nFrom: ada@x.org\n"
        f"Date: {date}\nMessage-ID: <1@x>\n\nHi\n"
    )
    by_columns, one_by_one = _both_ways(monkeypatch, lambda: parse_mbox(archive))
    assert by_columns[0].equals(one_by_one[0])


@pytest.mark.parametrize("name", ["Message-ID", "In-Reply-To", "References"])
@pytest.mark.parametrize("ids", _EDGE_IDS)
def test_ids_at_the_edge_of_the_usual_form_read_the_same_both_ways(monkeypatch, name, ids):
    headers = {"Message-ID": "<1@x>", "In-Reply-To": "<2@x>", "References": "<3@x> <4@x>"}
    headers[name] = ids
    if name != "In-Reply-To":
        del headers["In-Reply-To"]  # References name the parent
    archive = (
        "From ada@x.org Fri Jun  1 10:00:00 2018\nFrom: ada@x.org\n"
        "Date: Fri, 1 Jun 2018 10:00:00 +0000\n"
        + "".join(f"{k}: {v}\n" for k, v in headers.items())
        + "\nHi\n"
    )
    by_columns, one_by_one = _both_ways(monkeypatch, lambda: parse_mbox(archive))
    assert by_columns[0].equals(one_by_one[0])


@settings(max_examples=150, deadline=None)
@given(archive=_archives(), block=st.integers(16, 400))
def test_reading_by_columns_equals_reading_one_by_one_whatever_the_messages(
    tmp_path_factory, archive, block
):
    path = tmp_path_factory.mktemp("mbox") / "list.txt"
    path.write_text(archive, encoding="utf-8")

    def read():
        try:
            return tables(read_mbox([path], block_bytes=block, skip_bad_rows=True))
        except InputError as err:
            return str(err)

    with pytest.MonkeyPatch.context() as mp:
        by_columns, one_by_one = _both_ways(mp, read)
    if isinstance(by_columns, str):
        assert by_columns == one_by_one
        return
    assert by_columns[0].equals(one_by_one[0])
    assert by_columns[1].equals(one_by_one[1])
    # Blocks of any size give the events of the archive read at once: a message (or a bad
    # row) for each envelope line, and a bad row for any text before the first.
    events, _, bad = parse_mbox(archive, skip_bad_rows=True)
    assert by_columns[0].equals(events)
    envelopes = [m.start() for m in mbox._ENVELOPE.finditer("\n" + archive)]
    junk = bool(archive[: envelopes[0]].strip())
    assert events.num_rows + bad == len(envelopes) + junk


@pytest.mark.skipif(not REAL.is_dir(), reason=f"the real archive is not at {REAL}")
def test_the_r_package_devel_archive():
    files = sorted(REAL.glob("*.txt.gz"))
    assert len(files) == 31
    events, people = tables(read_mbox(files))
    # SOURCE.md: 8,087 messages with the strict envelope pattern, every Date parseable.
    assert events.num_rows == 8087
    assert events.column("ts").null_count == 0
    # The first message's Date is "Fri, 22 May 2015 06:38:22 -0500"; SOURCE.md's first UTC.
    assert events.column("ts")[0].as_py() == utc(2015, 5, 22, 11, 38, 22)
    assert min(events.column("ts").to_pylist()) == utc(2015, 5, 22, 10, 56, 21)
    # The top posters across the three obfuscation styles are one person each.
    names = {}
    for r in people.to_pylist():
        for n in [r["display_name"], *json.loads(r["attributes"])["other_display_names"]]:
            if n:
                names.setdefault(n.lower(), set()).add(r["id"])
    top = Counter(events.column("actor").to_pylist()).most_common(3)
    ids, handles = people.column("id").to_pylist(), people.column("handle").to_pylist()
    handle = dict(zip(ids, handles, strict=True))
    assert [(handle[a], n) for a, n in top] == [
        ("Duncan Murdoch", 735),
        ("Dirk Eddelbuettel", 562),
        ("Uwe Ligges", 479),
    ]
    for who in ["duncan murdoch", "dirk eddelbuettel", "uwe ligges", "ben bolker"]:
        assert len(names[who]) == 1, who


@pytest.mark.skipif(not REAL.is_dir(), reason=f"the real archive is not at {REAL}")
def test_the_r_package_devel_archive_read_by_columns_and_one_by_one(monkeypatch):
    files = sorted(REAL.glob("*.txt.gz"))
    usual = []
    original = mbox._usual

    def counting(*args):
        columns = original(*args)
        usual.append(len(columns.rows))
        return columns

    monkeypatch.setattr(mbox, "_usual", counting)
    by_columns, one_by_one = _both_ways(monkeypatch, lambda: tables(read_mbox(files)))
    assert by_columns[0].equals(one_by_one[0])
    assert by_columns[1].equals(one_by_one[1])
    assert sum(usual) >= 0.99 * by_columns[0].num_rows
