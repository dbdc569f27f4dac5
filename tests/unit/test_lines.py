"""LineSplitter and the native client's per-stream line state (no server)."""

from __future__ import annotations

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
