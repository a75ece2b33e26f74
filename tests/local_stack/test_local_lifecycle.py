"""Starting and stopping the local stack: free ports, direct invocation, a clean and quick stop."""

from __future__ import annotations

import http.client
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from lapor_local.stack import LocalStack

from tests.local_stack.support import call, free_port


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_port_zero_picks_free_ports_and_the_urls_tell_which(stack: LocalStack) -> None:
    assert stack.api_url.startswith("http://127.0.0.1:")
    assert stack.aws_url.startswith("http://127.0.0.1:")
    assert port_of(stack.api_url) > 0
    assert port_of(stack.aws_url) not in (0, port_of(stack.api_url))


def test_invoke_calls_a_function_directly(stack: LocalStack) -> None:
    response = stack.invoke("HttpFunction", {"resource": "/binary"})

    assert response["isBase64Encoded"] is True
    with pytest.raises(KeyError, match="no function 'Nope'"):
        stack.invoke("Nope", {})


def test_stop_is_quick_and_leaves_nothing_running(
    tree: Path, out_dir: Path, token_secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Promise: stop() returns even while a client holds an idle keep-alive connection, and leaves no thread,
    port, environment variable, sys.path entry or imported function behind."""
    monkeypatch.setenv("AWS_PROFILE", "someone-elses")
    environment = dict(os.environ)
    path = list(sys.path)
    threads = set(threading.enumerate())
    stack = LocalStack(
        tree,
        api_port=0,
        aws_port=0,
        schedule_period_override=0.05,
        parameters={"OutDir": str(out_dir)},
    ).start()
    assert "AWS_PROFILE" not in os.environ, "the stack never reaches a real account"
    idle = http.client.HTTPConnection(stack.api_url.removeprefix("http://"), timeout=5)
    idle.request("GET", "/echo/keep-alive")
    idle.getresponse().read()

    # The idle keep-alive connection stays open: a stop that waited for it would never return. The bound
    # is generous (a busy CI machine), and no figure of elapsed time is asserted.
    stopping = threading.Thread(target=stack.stop)
    stopping.start()
    stopping.join(timeout=30)

    assert not stopping.is_alive(), "stop() waited on an idle connection"
    # A request thread whose connection stop() closed may need a moment to notice, on a busy machine.
    settle = time.monotonic() + 30
    while not set(threading.enumerate()) - {stopping} <= threads and time.monotonic() < settle:
        time.sleep(0.02)
    assert set(threading.enumerate()) <= threads
    assert dict(os.environ) == environment
    assert sys.path == path
    assert not any(name.startswith("lapor_fn_") for name in sys.modules)
    for url in (stack.api_url, stack.aws_url):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port_of(url)), timeout=1)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        idle.request("GET", "/echo/keep-alive")
        idle.getresponse()
    idle.close()


def test_the_stack_is_a_context_manager(tree: Path, out_dir: Path, token_secret: str) -> None:
    with LocalStack(tree, api_port=0, aws_port=0, schedules=False, parameters={"OutDir": str(out_dir)}) as stack:
        assert call(stack.api_url, "GET", "/echo/x").status == 200

    assert "AWS_ENDPOINT_URL" not in os.environ or os.environ["AWS_ENDPOINT_URL"] != stack.aws_url


def test_one_stack_per_process(make_stack: Callable[..., LocalStack]) -> None:
    make_stack()

    with pytest.raises(RuntimeError, match="another LocalStack is running"):
        make_stack()


def test_a_busy_aws_port_is_a_clear_error(make_stack: Callable[..., LocalStack]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()

        with pytest.raises(OSError, match="not available for the local AWS endpoint"):
            make_stack(aws_port=busy.getsockname()[1])


def test_fixed_ports_are_used_as_given(make_stack: Callable[..., LocalStack]) -> None:
    api_port, aws_port = free_port(), free_port()

    stack = make_stack(api_port=api_port, aws_port=aws_port)

    assert stack.api_url == f"http://127.0.0.1:{api_port}"
    assert stack.aws_url == f"http://127.0.0.1:{aws_port}"
