"""The parse child's messages read into one kept buffer (``store.pipemessages``): the bytes each
``Connection.send_bytes`` sent, in order, whatever their sizes (larger than the buffer so far, empty);
the pipe's end between messages is ``EOFError``, within one an ``OSError``."""

from __future__ import annotations

import multiprocessing
import os
import struct
import threading

import pytest

from store.pipemessages import Messages


def test_each_message_is_the_bytes_sent() -> None:
    receiver, sender = multiprocessing.get_context("fork").Pipe(duplex=False)
    sent = [b"x" * 10, b"", os.urandom(3 << 20), b"abc", os.urandom(200_000)]

    def send() -> None:
        for message in sent:
            sender.send_bytes(message)
        sender.close()

    thread = threading.Thread(target=send)
    thread.start()
    messages = Messages(receiver.fileno())
    try:
        assert [bytes(messages.next()) for _ in sent] == sent
        with pytest.raises(EOFError):
            messages.next()
    finally:
        thread.join()
        receiver.close()


def _sent(data: bytes) -> int:
    """The reading end of a pipe ``data`` was written to, its writing end closed."""
    r, w = os.pipe()
    os.write(w, data)
    os.close(w)
    return r


@pytest.mark.parametrize(
    "sent",
    [struct.pack("!i", 100) + b"only part", struct.pack("!i", 100)],
    ids=["within it", "after its header"],
)
def test_a_message_cut_off_is_an_error_not_its_end(sent: bytes) -> None:
    r = _sent(sent)
    try:
        with pytest.raises(OSError, match="end of file during message"):
            Messages(r).next()
    finally:
        os.close(r)


def test_a_message_past_two_gigabytes_has_its_length_in_eight_bytes() -> None:
    # (``send_bytes``' header for one: -1, then the length in 8 bytes; sent small here, read the same way)
    r = _sent(struct.pack("!i", -1) + struct.pack("!Q", 3) + b"abc" + struct.pack("!i", 2) + b"de")
    try:
        messages = Messages(r)
        assert bytes(messages.next()) == b"abc"
        assert bytes(messages.next()) == b"de"
        with pytest.raises(EOFError):
            messages.next()
    finally:
        os.close(r)
