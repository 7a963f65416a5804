"""Hostile input: every chat command, the CLI and the minutes reader against nasty text.

Nothing may crash, nothing may be stored that is not one plain line, and nothing may come out of
the text renderer as formatting: no control characters, no terminal escapes, no bidirectional
overrides, no forged lines. The corpus is ``tests/nasty.py``; hypothesis adds generated text
built from the corpus, our own syntax and arbitrary Unicode.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console as RichConsole
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.cli import table as cli_table
from bot.config import Config
from bot.render_text import render
from bot.runtime import Runtime
from db import queries
from db.models import Action, AuditEvent, Meeting, Member
from handlers.commands import USAGE, parse_command
from handlers.context import Caller, Ctx
from handlers.dispatch import handle
from handlers.errors import MinutesError, UserError
from handlers.identity import Via
from handlers.minutes.importer import import_minutes
from handlers.minutes.read import MAX_BYTES, parse_minutes
from handlers.plain import plain_line
from handlers.reply import ActionView, Button, Reply, Section
from tests.conftest import AFTER_MEETING, SAMPLE, import_sample, make_runtime, say
from tests.databases import fresh_sqlite
from tests.nasty import NASTY, NASTY_STRINGS

# Each verb, with the hostile text in each place it can go.
TEMPLATES = [
    "{}",
    "help {}",
    "mine {}",
    "next {}",
    "outstanding {}",
    "outstanding {} --post",
    "done {}",
    "done 04-CR.1 {}",
    "reopen {}",
    "reopen 04-DP {}",
    "note {}",
    "note 04-CR.1 red {}",
    "add 07 CR {}",
    "add 07 {} text",
    "add {} CR text",
    "reassign 04-CR.1 {}",
    "reassign {} CR",
]
# Every verb there is, including any added later, gets the hostile text as its argument.
TEMPLATES += [f"{verb} {{}}" for verb in USAGE if f"{verb} {{}}" not in TEMPLATES]
# The ones that store the text: PostgreSQL runs these, where storage is what differs.
STORING = ["done 04-CR.1 {}", "reopen 04-DP {}", "note 04-CR.1 red {}", "add 07 CR {}"]
CALLERS = ["AC", "CR", None]  # the chair, an owner, a stranger
CORPUS_CALLERS = ["AC", None]  # the deepest path and the outermost; the fuzz adds the owner
UNSAFE = {chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)]} - {"\n"}
UNSAFE |= set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u2028\u2029")
FORGED_MARKS = ("✓ ", "✗ ", "! ")


def expected_line_count(reply: Reply) -> int:
    """How many lines ``render`` makes of ``reply`` when no string in it breaks a line."""
    count = 1 + len(reply.lines) + (1 if reply.buttons else 0)
    for section in reply.sections:
        count += (2 if section.heading else 0) + len(section.lines) + len(section.actions)
        count += sum(1 for view in section.actions if view.latest_update)
    return count


def assert_plain_text(text: str) -> None:
    """Rendered text: no control or reordering characters, no surrogates."""
    bad = sorted({ch for ch in text if ch in UNSAFE or "\ud800" <= ch <= "\udfff"})
    assert not bad, f"unsafe characters {bad!r} in {text[:200]!r}"


def assert_safe_reply(reply: Reply) -> None:
    assert isinstance(reply, Reply)
    shown = render(reply)
    assert_plain_text(shown)
    lines = shown.split("\n")
    assert len(lines) == expected_line_count(reply), f"a string forged a line: {shown[:400]!r}"
    forged = [line for line in lines[1:] if line.startswith(FORGED_MARKS)]
    assert not forged, f"a line pretends to be a reply: {forged}"


def assert_board_is_plain(runtime: Runtime) -> None:
    """Everything people typed was stored as one plain line."""
    with runtime.sessions() as session:
        stored = [
            *session.scalars(select(Action.text)),
            *session.scalars(select(AuditEvent.note).where(AuditEvent.note.is_not(None))),
            *session.scalars(select(Member.name)),
        ]
    dirty = [text for text in stored if plain_line(text) != text]
    assert not dirty, f"stored text that is not one plain line: {dirty[:3]!r}"


# ---------------------------------------------------------------- the corpus, every command


def test_every_chat_command_survives_the_nasty_corpus(board: Runtime) -> None:
    templates = TEMPLATES if board.engine.dialect.name == "sqlite" else STORING
    for name, text in NASTY:
        for template in templates:
            for caller in CORPUS_CALLERS:
                command = template.format(text)
                try:
                    reply = say(board, caller, command)
                except Exception as error:  # the test names the input that broke it
                    raise AssertionError(f"{name!r} as {caller}: {command[:80]!r}") from error
                assert_safe_reply(reply)
    assert_board_is_plain(board)


def test_look_alike_refs_never_touch_another_members_action(board: Runtime) -> None:
    for lookalike in ("04-DΡ", "04-DР", "０４-ＤＰ", "04-D\u200bP", "04-\u202ePD"):
        reply = say(board, "CR", f"done {lookalike}")
        assert not reply.changed, lookalike
    assert say(board, "DP", "done 04-DP").changed  # still open: nobody else closed it


def test_injected_markup_is_kept_as_the_words_typed(board: Runtime) -> None:
    typed = "*bold* <!channel> <b>x</b> [link](https://evil.example) {{7*7}}"
    reply = say(board, "CR", f"note 04-CR.1 amber {typed}")
    assert reply.changed and reply.actions[0].latest_update == typed
    assert typed in render(reply)  # the text renderer shows it verbatim: markup means nothing


# ---------------------------------------------------------------- generated input


@pytest.fixture(scope="module")
def fuzz_board(
    sqlite_template_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runtime]:
    """One SQLite board for all generated examples: state piles up, as it would in use."""
    runtime = make_runtime(fresh_sqlite(sqlite_template_path, tmp_path_factory.mktemp("fuzz")))
    import_sample(runtime)
    yield runtime
    runtime.engine.dispose()


OUR_WORDS = ["04-CR", "04-CR.1", "04-DP", "05-DP/RT", "red", "amber", "--post", "CR", "07", "@"]
words = st.one_of(
    st.text(max_size=40),
    st.sampled_from(NASTY_STRINGS).map(lambda s: s[:300]),
    st.sampled_from(OUR_WORDS),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Cs"]), max_size=5),
)
hostile_text = st.lists(words, max_size=6).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(text=st.one_of(st.text(max_size=300), hostile_text))
def test_the_parser_answers_every_text_with_a_command_or_a_usage_error(text: str) -> None:
    try:
        parse_command(text)
    except UserError as error:
        assert error.message


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    template=st.sampled_from(TEMPLATES),
    text=hostile_text,
    caller=st.sampled_from(CALLERS),
)
def test_generated_chat_commands_never_crash_or_inject(
    fuzz_board: Runtime, template: str, text: str, caller: str | None
) -> None:
    assert_safe_reply(say(fuzz_board, caller, template.format(text)))


def test_the_fuzzed_board_holds_only_plain_text(fuzz_board: Runtime) -> None:
    assert_board_is_plain(fuzz_board)


# ---------------------------------------------------------------- minutes


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=3000))
def test_any_bytes_as_minutes_parse_or_are_refused(data: bytes) -> None:
    try:
        parse_minutes("minutes.txt", data)
    except MinutesError as error:
        assert error.message


def sample_with(insertion: str, at_line: int) -> bytes:
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")
    at = at_line % (len(lines) + 1)
    return "\n".join([*lines[:at], insertion, *lines[at:]]).encode("utf-8", "surrogatepass")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    insertion=st.one_of(
        st.sampled_from(NASTY_STRINGS),
        st.sampled_from(NASTY_STRINGS).map(lambda s: f"04/25/11/20\t{s}\tCR"),
        st.sampled_from(NASTY_STRINGS).map(lambda s: f"\tAction: {s}\t{s[:10]}"),
        st.sampled_from(NASTY_STRINGS).map(lambda s: f"Chairman: {s}, Chair"),
        st.sampled_from(NASTY_STRINGS).map(lambda s: f"{s}\tCapacity"),
        hostile_text,
    ),
    at_line=st.integers(min_value=0, max_value=200),
)
def test_the_sample_minutes_with_nasty_lines_import_or_are_refused(
    fuzz_board: Runtime, insertion: str, at_line: int
) -> None:
    try:
        minutes = parse_minutes("minutes.txt", sample_with(insertion, at_line))
    except MinutesError:
        return  # refused, with a reason
    with fuzz_board.unit(Caller(None, "import:fuzz", Via.IMPORT), AFTER_MEETING) as ctx:
        try:
            import_minutes(ctx, minutes)
        except UserError as refused:  # a refusal, with a reason, is fine; a crash is not
            assert refused.message
            return
        ctx.session.flush()
        # What was imported, as the chair and an owner would see it (before the unit rolls back:
        # each example starts from the sample board).
        for initials in ("AC", "CR"):
            member = queries.member_by_initials(ctx.session, ctx.board, initials)
            as_member = Ctx(ctx.session, ctx.board, Caller(member, initials, Via.CONSOLE), ctx.now)
            for command in ("outstanding", "mine", "next"):
                assert_safe_reply(handle(as_member, command))


@pytest.mark.parametrize("text", NASTY_STRINGS, ids=[name for name, _ in NASTY])
def test_the_text_renderer_shows_any_string_as_plain_words(text: str) -> None:
    """Whatever a reply holds, from wherever it came, renders safely: the renderer's own promise."""
    view = ActionView(
        ref=text,
        item=text,
        meeting=text,
        owners=(text, text),
        owner_names=(text,),
        text=text,
        status="done",
        done_by=text,
        latest_update=text,
        rag=text,
        buttons=(Button(text, text),),
    )
    reply = Reply(
        title=text,
        lines=(text, text),
        sections=(Section(text, lines=(text,), actions=(view, view)), Section(None, (text,))),
        buttons=(Button(text, text),),
    )
    assert_safe_reply(reply)


def broken_docx() -> list[tuple[str, bytes]]:
    good_zip = io.BytesIO()
    with zipfile.ZipFile(good_zip, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document><w:body>" + "<w:p/>" * 1000)
    return [
        ("empty", b""),
        ("not a zip", b"PK\x03\x04 this is not really a zip"),
        ("truncated zip", good_zip.getvalue()[:200]),
        ("zip without a document", _zip({"hello.txt": b"hi"})),
        ("unclosed xml", good_zip.getvalue()),
        ("binary noise", bytes(range(256)) * 40),
    ]


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "data"), broken_docx(), ids=[n for n, _ in broken_docx()])
def test_broken_docx_files_are_refused_with_a_reason(name: str, data: bytes) -> None:
    with pytest.raises(MinutesError) as refused:
        parse_minutes("minutes.docx", data)
    assert refused.value.message


@pytest.mark.parametrize("suffix", [".txt", ".docx", ".html"])
def test_huge_minutes_are_refused_before_they_are_read(suffix: str) -> None:
    with pytest.raises(MinutesError, match="over 20 MB"):
        parse_minutes(f"minutes{suffix}", b"A" * (MAX_BYTES + 1))


# ---------------------------------------------------------------- the command line

CLI_NASTY = [
    text
    for name, text in NASTY
    if name
    in {
        "empty",
        "very long word",
        "nul",
        "ansi colour",
        "c1 csi",
        "newline forgery",
        "right-to-left override",
        "lone surrogate",
        "slack mentions",
        "html",
        "rich markup",
        "sql quote",
        "csv formula",
        "fullwidth ref",
    }
]
CLI_COMMANDS = [
    ["console", "--as", "AC", "-c", "note 04-CR.1 {}"],
    ["console", "--as", "AC", "-c", "add 07 CR {}"],
    ["console", "--as", "{}", "-c", "mine"],
    ["member", "add", "ZZ", "--name", "{}", "--capacity", "{}"],
    ["member", "add", "{}", "--name", "Somebody"],
    ["member", "link", "CR", "--email", "{}"],
    ["member", "link", "DP", "--slack-id", "{}"],
    ["meeting", "add", "{}"],
    ["meeting", "add", "2021-05-26", "--venue", "{}", "--time", "{}"],
    ["actions", "--owner", "{}"],
    ["console", "--at", "{}", "-c", "help"],
]


@pytest.fixture
def crb_sample(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(SAMPLE)]).exit_code == 0
    return runner


@pytest.mark.parametrize("command", CLI_COMMANDS, ids=lambda c: " ".join(c[:3]))
def test_cli_commands_survive_the_nasty_corpus(crb_sample: CliRunner, command: list[str]) -> None:
    for text in CLI_NASTY:
        args = [part.replace("{}", text) for part in command]
        result = crb_sample.invoke(app, args)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"crb {args!r} crashed") from result.exception
        assert result.exit_code in (0, 1, 2), (args, result.exit_code)
        assert_plain_text(result.stdout.replace("\n", " "))
        assert_plain_text(result.stderr.replace("\n", " "))
    listing = crb_sample.invoke(app, ["actions", "--status", "all"])
    assert listing.exit_code == 0
    assert_plain_text(listing.stdout.replace("\n", " "))
    members = crb_sample.invoke(app, ["members"])
    assert_plain_text(members.stdout.replace("\n", " "))


def test_cli_import_of_nasty_minutes_is_refused_or_safe(crb_sample: CliRunner) -> None:
    for n, text in enumerate(CLI_NASTY):
        path = Path(f"nasty-{n}.txt")
        row = f"07/25/11/20\tA new item: {text}. Action: CR to {text} by March.\tCR"
        path.write_bytes(sample_with(row, 40 + n % 30))
        result = crb_sample.invoke(app, ["import", str(path)])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"importing with {text[:60]!r} crashed") from result.exception
        assert result.exit_code in (0, 1)
        assert_plain_text(result.stdout.replace("\n", " "))
        assert_plain_text(result.stderr.replace("\n", " "))
    for listing in (["actions", "--status", "all"], ["members"], ["meetings"]):
        result = crb_sample.invoke(app, listing)
        assert result.exit_code == 0
        assert_plain_text(result.stdout.replace("\n", " "))
    runtime = make_runtime_from_env()
    assert_board_is_plain(runtime)
    runtime.engine.dispose()


def test_cli_tables_print_any_cell_as_plain_words() -> None:
    screen = RichConsole(file=io.StringIO(), width=100, highlight=False, markup=False, emoji=False)
    screen.print(cli_table("Nasty", ["Cell", "Again"], [[text, text] for text in NASTY_STRINGS]))
    assert_plain_text(screen.file.getvalue().replace("\n", " "))


def test_meetings_and_members_from_the_cli_are_stored_plain(crb_sample: CliRunner) -> None:
    crb_sample.invoke(app, ["member", "add", "ZZ", "--name", "Zed\x1b[31m\nForged"])
    crb_sample.invoke(app, ["meeting", "add", "2021-05-26", "--venue", "Hall\u202e\r\nX"])
    runtime = make_runtime_from_env()
    with runtime.sessions() as session:
        assert session.scalars(select(Member.name).where(Member.initials == "ZZ")).one() == (
            "Zed [31m Forged"
        )
        venue = session.scalars(select(Meeting.venue).where(Meeting.venue.like("Hall%"))).one()
        assert venue == "Hall X"
    runtime.engine.dispose()


def make_runtime_from_env() -> Runtime:
    return Runtime(Config(database_url=os.environ["DATABASE_URL"]))
