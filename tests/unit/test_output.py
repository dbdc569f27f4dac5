"""Unit tests for pssh.output.HostOutput."""

from __future__ import annotations

import pytest

from pssh.output import HostOutput

FIELDS = ("host", "cmd", "channel", "stdout", "stderr", "stdin", "exit_code", "exception")


def make_output(**kwargs) -> HostOutput:
    args = {
        "host": "host1",
        "cmd": "cmd-object",
        "channel": "channel-object",
        "stdout": iter(["out"]),
        "stderr": iter(["err"]),
        "stdin": "stdin-object",
    }
    args.update(kwargs)
    return HostOutput(**args)


def test_is_dict():
    assert isinstance(make_output(), dict)


def test_defaults():
    output = make_output()
    assert output.exit_code is None
    assert output.exception is None
    assert output["exit_code"] is None
    assert output["exception"] is None


def test_positional_arguments():
    exc = ValueError("boom")
    output = HostOutput("h", "c", "ch", "o", "e", "i", 3, exc)
    assert [getattr(output, name) for name in FIELDS] == ["h", "c", "ch", "o", "e", "i", 3, exc]


def test_all_fields_are_keys():
    output = make_output()
    assert set(output.keys()) == set(FIELDS)
    for name in FIELDS:
        assert output[name] is getattr(output, name)


@pytest.mark.parametrize("name", FIELDS)
def test_attribute_set_mirrors_to_key(name):
    output = make_output()
    value = object()
    setattr(output, name, value)
    assert output[name] is value
    assert getattr(output, name) is value


@pytest.mark.parametrize("name", FIELDS)
def test_key_set_mirrors_to_attribute(name):
    output = make_output()
    value = object()
    output[name] = value
    assert getattr(output, name) is value
    assert output[name] is value


def test_update_updates_attributes():
    output = make_output()
    exc = RuntimeError("failed")
    output.update({"exit_code": 2, "exception": exc})
    assert output.exit_code == 2
    assert output.exception is exc
    assert output["exit_code"] == 2
    assert output["exception"] is exc


def test_update_with_keywords():
    output = make_output()
    output.update(exit_code=0, host="other")
    assert output.exit_code == 0
    assert output.host == "other"
    assert output["host"] == "other"


def test_exception_constructor_argument():
    exc = RuntimeError("failed")
    output = make_output(exception=exc, exit_code=1)
    assert output.exception is exc
    assert output["exit_code"] == 1


def test_repr_contains_host_and_exit_code():
    output = make_output(host="my.host.example", exit_code=7)
    assert "my.host.example" in repr(output)
    assert "7" in repr(output)
    assert "my.host.example" in str(output)


class FakeClient:
    """Answers ``get_exit_status`` as a single-host client does."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.asked = 0

    def get_exit_status(self, channel):
        self.asked += 1
        status = self.statuses.pop(0)
        if isinstance(status, BaseException):
            raise status
        return status


def test_exit_code_is_asked_of_the_client_until_known():
    output = make_output()
    output._client = FakeClient([None, 5])
    assert output.exit_code is None  # still running
    assert output.exit_code == 5
    assert output["exit_code"] == 5 and dict.get(output, "exit_code") == 5
    assert output.exit_code == 5 and output._client.asked == 2  # kept once known


def test_exit_code_set_by_join_is_not_asked_again():
    output = make_output()
    output._client = FakeClient([])
    output.exit_code = 0
    assert output.exit_code == 0 and output["exit_code"] == 0


def test_exit_code_is_none_when_the_connection_is_gone():
    from pssh.exceptions import ConnectionErrorException

    output = make_output()
    output._client = FakeClient([ConnectionErrorException("lost", host="host1")])
    assert output.exit_code is None


def test_private_client_is_not_a_key():
    output = make_output()
    output._client = FakeClient([1])
    assert "_client" not in output and set(output) == set(FIELDS)


def test_holders_call_back_once_every_held_object_is_gone():
    import gc

    from pssh.clients.base_single import Holders

    class Thing:
        pass

    calls = []
    holders = Holders(lambda: calls.append("dropped"))
    first, second = holders.hold(Thing()), holders.hold(Thing())
    del first
    gc.collect()
    assert calls == []  # one is still held
    third = holders.hold(Thing())  # a fresh generator made later counts too
    del second
    gc.collect()
    assert calls == []
    del third
    gc.collect()
    assert calls == ["dropped"]
