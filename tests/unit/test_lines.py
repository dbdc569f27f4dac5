"""LineSplitter and the native client's per-stream line state (no server)."""

from __future__ import annotations

import codecs
import sys

import pytest

from pssh.clients import _lines
from pssh.clients._lines import LineSplitter
from pssh.clients.native._output import StreamState


def test_split_returns_complete_lines_and_keeps_the_rest():
    splitter = LineSplitter()
    assert splitter.split(b"one\ntw") == ["one"]
    assert splitter.split(b"o\r\nthree\n") == ["two", "three"]
    assert splitter.split(b"four") == []
    assert splitter.finish() == ["four"]
    assert splitter.finish() == []


def test_split_keeps_a_character_cut_between_chunks_whole():
    splitter = LineSplitter()
    data = "héllo\n".encode()
    assert splitter.split(data[:2]) == []
    assert splitter.split(data[2:]) == ["héllo"]


def test_undecodable_bytes_become_replacement_characters():
    splitter = LineSplitter()
    assert splitter.split(b"a\xffb\n") == ["a\ufffdb"]


def test_finish_drops_a_trailing_carriage_return():
    splitter = LineSplitter()
    splitter.split(b"x\r")
    assert splitter.finish() == ["x"]


def test_feed_and_close_queue_the_same_lines_as_split_and_finish():
    chunks = [b"a\nb", b"c\r\n\nd", b"\xc3", b"\xa9"]
    fed, split = LineSplitter(), LineSplitter()
    expected: list[str] = []
    for chunk in chunks:
        fed.feed(chunk)
        expected += split.split(chunk)
    fed.close()
    expected += split.finish()
    assert list(fed.lines) == expected == ["a", "bc", "", "dé"]


def _stream(chunks: list[bytes]) -> StreamState:
    stream = StreamState(None, "utf-8")
    for chunk in chunks:
        stream.take(chunk)
    stream.take(b"")
    return stream


def _drain(stream: StreamState, stop_after: int | None = None) -> list[str]:
    got: list[str] = []
    while True:
        if stream.current is not None:
            for line in stream.current:
                got.append(line)
                if stop_after is not None and len(got) == stop_after:
                    return got
            stream.current = None
            continue
        if not stream.next_lines():
            return got


def test_stream_hands_out_every_line_once_across_readers():
    stream = _stream([b"1\n2\n3\n", b"4\n5", b"\n6"])
    first = _drain(stream, stop_after=2)  # a reader stopping half-way through a chunk
    assert stream.has_lines
    rest = _drain(stream)
    assert first + rest == ["1", "2", "3", "4", "5", "6"]
    assert stream.closed and not stream.has_lines


def test_stream_without_output_closes_without_lines():
    stream = _stream([])
    assert _drain(stream) == []
    assert stream.closed


def test_crlf_cut_between_chunks_and_lone_carriage_returns():
    cases = [
        ([b"x\r", b"\nabc\n"], ["x", "abc"]),
        ([b"x\r", b"\r\n"], ["x\r"]),
        ([b"x\r", b"abc\n"], ["x\rabc"]),
        ([b"a\r\nb", b"\r\n"], ["a", "b"]),
    ]
    for chunks, expected in cases:
        splitter = LineSplitter()
        got = [line for chunk in chunks for line in splitter.split(chunk)]
        assert got + splitter.finish() == expected, chunks
        # the same bytes in one chunk give the same lines
        whole = LineSplitter()
        assert whole.split(b"".join(chunks)) + whole.finish() == expected, chunks


# -- linear time: a kept partial line is copied once, when it ends ---------------


def _count_copies(monkeypatch) -> list[int]:
    """Patch the one place kept pieces of a line are joined; returns
    ``[calls, characters copied]``, updated as the splitter works."""
    counts = [0, 0]
    real = _lines._concat

    def counting(empty, pieces):
        joined = real(empty, pieces)
        counts[0] += 1
        counts[1] += len(joined)
        return joined

    monkeypatch.setattr(_lines, "_concat", counting)
    return counts


@pytest.mark.parametrize("encoding", ["utf-8", None])
def test_output_without_newlines_is_copied_once_not_per_chunk(monkeypatch, encoding):
    # Quadratic splitting copied the kept part on every chunk: N chunks of K
    # characters cost N*N*K/2. Here the N chunks are joined once, at the end.
    counts = _count_copies(monkeypatch)
    splitter = LineSplitter(encoding)
    chunks, size = 2000, 100
    for _ in range(chunks):
        assert splitter.split(b"x" * size) == []
    assert counts == [0, 0]  # nothing copied while the line goes on
    lines = splitter.split(b"\nnext")
    assert [len(line) for line in lines] == [chunks * size]
    assert counts == [1, chunks * size]  # every character copied exactly once
    assert splitter.finish() == (["next"] if encoding else [b"next"])


def test_work_per_chunk_does_not_grow_with_the_kept_line(monkeypatch):
    # The same check as a count of operations: what each chunk costs, in
    # characters copied, is the same for the 10th and the 10,000th chunk.
    counts = _count_copies(monkeypatch)
    splitter = LineSplitter()
    copied_after: list[int] = []
    for n in range(1, 10_001):
        splitter.split(b"y" * 10 + (b"\n" if n % 1000 == 0 else b""))
        if n % 1000 == 0:
            copied_after.append(counts[1])
    steps = [b - a for a, b in zip([0] + copied_after, copied_after)]
    assert steps == [10_000] * 10


# -- the line length limit ----------------------------------------------------


def test_default_limit_is_64_mib_and_documented():
    assert _lines.MAX_LINE_LENGTH == 64 * 1024 * 1024
    assert "64 MiB" in LineSplitter.__doc__ or "MAX_LINE_LENGTH" in LineSplitter.__doc__


def test_a_line_longer_than_the_limit_comes_in_pieces():
    splitter = LineSplitter(max_line_length=4)
    assert splitter.split(b"abcdefghij\nxy") == ["abcd", "efgh", "ij"]
    assert splitter.split(b"zzzzzz") == ["xyzz"]  # over the limit: a piece goes out
    assert splitter.split(b"\nq") == ["zzzz"]
    assert splitter.finish() == ["q"]


def test_a_line_of_exactly_the_limit_is_whole_and_pieces_join_to_the_line():
    splitter = LineSplitter(max_line_length=5)
    assert splitter.split(b"abcde\n") == ["abcde"]
    text = "0123456789" * 7 + "tail"
    got: list[str] = []
    data = (text + "\n").encode()
    for start in range(0, len(data), 3):  # chunks smaller than the limit
        got += splitter.split(data[start : start + 3])
    got += splitter.finish()
    assert all(len(piece) <= 5 for piece in got)
    assert "".join(got) == text


def test_a_stream_that_never_ends_a_line_keeps_at_most_the_limit(monkeypatch):
    splitter = LineSplitter(max_line_length=1000)
    handed_out = 0
    for _ in range(500):
        handed_out += sum(len(piece) for piece in splitter.split(b"z" * 300))
    kept = 500 * 300 - handed_out
    assert 0 < kept <= 1000
    assert sum(len(piece) for piece in splitter.finish()) == kept


def test_final_unterminated_line_longer_than_the_limit_comes_in_pieces():
    splitter = LineSplitter(max_line_length=3)
    splitter.split(b"ab")
    splitter.split(b"")
    assert splitter.finish() == ["ab"]
    splitter = LineSplitter(None, max_line_length=3)
    assert splitter.split(b"abcdefg") == [b"abc", b"def"]
    assert splitter.finish() == [b"g"]


@pytest.mark.parametrize("bad", [0, -1, 2.5, "10"])
def test_limit_must_be_a_positive_integer(bad):
    with pytest.raises(ValueError):
        LineSplitter(max_line_length=bad)


# -- bytes lines ----------------------------------------------------------------


def test_bytes_mode_splits_without_decoding():
    splitter = LineSplitter(None)
    assert splitter.split(b"a\xff\r\nb\r") == [b"a\xff"]
    assert splitter.split(b"\nc") == [b"b"]
    assert splitter.finish() == [b"c"]


# -- multi-byte encodings ---------------------------------------------------------

NATIVE = "utf-16-le" if sys.byteorder == "little" else "utf-16-be"


def _lines_of(encoding: str, data: bytes, step: int = 1) -> list[str]:
    splitter = LineSplitter(encoding)
    got: list[str] = []
    for start in range(0, len(data), step):
        got += splitter.split(data[start : start + step])
    return got + splitter.finish()


@pytest.mark.parametrize("step", [1, 3, 1000])
def test_utf16_without_byte_order_mark_decodes(step):
    # U+0A01 is b"\x01\x0a" in UTF-16-LE: a 0x0a byte that is not a newline
    text = "a\u0a01b\nc\u0a0a\n"
    data = text.encode(NATIVE)
    assert _lines_of("utf-16", data, step) == ["a\u0a01b", "c\u0a0a"]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_either_byte_order_mark_decodes(codec):
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    data = bom + "x\u0a01\ny\n".encode(codec)
    for step in (1, 2, 5):
        assert _lines_of("utf-16", data, step) == ["x\u0a01", "y"]
        assert _lines_of("UTF16", data, step) == ["x\u0a01", "y"]  # any spelling


@pytest.mark.parametrize(
    "encoding, data",
    [
        (
            "utf-32",
            "é\n\U0001f600\n".encode("utf-32-le" if sys.byteorder == "little" else "utf-32-be"),
        ),
        ("utf-32", codecs.BOM_UTF32_BE + "é\n\U0001f600\n".encode("utf-32-be")),
        ("utf-16-le", "é\n\U0001f600\n".encode("utf-16-le")),
        ("utf-16-be", "é\n\U0001f600\n".encode("utf-16-be")),
    ],
)
def test_other_multibyte_codecs(encoding, data):
    for step in (1, 3, 7):
        assert _lines_of(encoding, data, step) == ["é", "\U0001f600"]


def test_utf16_stream_shorter_than_a_mark():
    assert _lines_of("utf-16", b"a") == ["\ufffd"]
    assert _lines_of("utf-16", b"") == []


def test_bomless_codec_for_encoding_single_lines():
    assert _lines.bomless("utf-16") == NATIVE
    assert _lines.bomless("UTF-32") == ("utf-32-le" if sys.byteorder == "little" else "utf-32-be")
    assert _lines.bomless("utf-8") == "utf-8"
    line = "é"
    assert line.encode(_lines.bomless("utf-16")).decode("utf-16") == line
