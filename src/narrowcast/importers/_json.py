"""Reading a large JSON file one value at a time, knowing the line of each.

The Twitter, Mastodon, Slack and Discord exports are JSON documents (Twitter's behind a
``window.YTD... =``) whose bulk is one long array: of tweets, activities, messages. They are
read with :class:`JsonStream`, which decodes the array's items one by one, so memory holds
one item, never the whole list, and every error names the file and the line.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from os import PathLike
from typing import IO, Any

from narrowcast.errors import InputError
from narrowcast.importers._common import read_errors

__all__ = ["JsonStream"]

_WS = re.compile(r"[ \t\n\r]*")
_ASSIGNMENT = re.compile(r"window\.[A-Za-z_$][\w$.]*\s*=\s*")
_decode = json.JSONDecoder().raw_decode
#: How close to the end of the buffer a decoding error may be and still be the buffer's end
#: cutting a value short (``-Infinity`` is the longest token, 9 characters).
_NEAR_END = 16
#: What may follow a number at the end of the buffer when the next block continues it:
#: ``1`` then ``.5``, ``1.5`` then ``e-3``, ``1.5e`` then ``-3``.
_NUMBER_GOES_ON = re.compile(r"(?:\.|[eE][-+]?)?")


class JsonStream:
    """JSON values read one at a time from a byte stream, holding only the current one.

    The bytes are decoded as strict UTF-8 (a leading byte-order mark is dropped) into a text
    buffer refilled by blocks of ``block_bytes``; each value is decoded from it by the C
    decoder of :mod:`json` (:meth:`json.JSONDecoder.raw_decode`). A value longer than the
    buffer makes it grow, twice as much each time, so a huge value costs linear time.
    :meth:`array` yields an array's items and :meth:`members` an object's keys (the caller
    reads each key's value), which is how a document is walked without holding it whole.
    :attr:`line` is the line of the reading position, :attr:`bytes_read` the bytes read so
    far (for progress).

    Everything wrong with the input raises an :class:`~narrowcast.errors.InputError` naming
    ``path`` and the line: a byte that is not UTF-8, malformed JSON, a file that ends inside
    a value (a truncated download), a structure other than the one asked for, a failed
    read. ``expected`` says what the file should be; the messages end with it.

    Parameters
    ----------
    raw
        The bytes, read from where they are with ``raw.read(n)``.
    path
        The file, as errors name it.
    expected
        What the file should be, for errors: ``"a Slack export JSON file"``.
    block_bytes
        How many bytes to read at a time.

    Examples
    --------
    >>> import io
    >>> text = b'window.YTD.like.part0 = [{"a": 1},\\n {"a": 2}];'
    >>> stream = JsonStream(io.BytesIO(text), "like.js", "an array", block_bytes=4)
    >>> stream.skip_assignment()
    >>> list(stream.array("an array"))
    [(1, {'a': 1}), (2, {'a': 2})]
    >>> stream.end()
    >>> bad = JsonStream(io.BytesIO(b'[1,\\n 2,,]'), "x.json", "numbers")
    >>> list(bad.array("an array"))
    Traceback (most recent call last):
    ...
    narrowcast.errors.InputError: x.json, line 2: not valid JSON: Expecting value; expected numbers
    """

    def __init__(
        self,
        raw: IO[bytes],
        path: str | PathLike[str],
        expected: str,
        *,
        block_bytes: int = 1 << 20,
    ) -> None:
        self.raw = raw
        self.path = path
        self.expected = expected
        self.block_bytes = block_bytes
        self.bytes_read = 0
        #: The line of the reading position, ``buf[pos]``.
        self.line = 1
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._started = False  # some text was decoded (a byte-order mark may come first)
        self._statement = False  # a JavaScript assignment, which may end with ";"

    def error(self, message: str, *, line: int | None = None) -> InputError:
        """An InputError naming the file and ``line`` (default: the reading position's)."""
        return InputError(self.path, message, line=self.line if line is None else line)

    def _more(self, size: int | None = None) -> bool:
        """Read ``size`` more bytes (default a block) into the buffer; False at the end."""
        if self._eof:
            return False
        with read_errors(self.path, self.expected, [self.line]):
            data = self.raw.read(size or self.block_bytes)
        self.bytes_read += len(data)
        try:
            text = self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as err:
            line = self.line + self._buf.count("\n", self._pos)
            line += err.object.count(b"\n", 0, err.start)
            bad = err.object[err.start : err.start + 1].hex()
            raise self.error(
                f"byte 0x{bad} is not UTF-8; expected {self.expected} in UTF-8", line=line
            ) from err
        if not data:
            self._eof = True  # the buffer is left as it is: positions in it stay true
            return False
        if not self._started and text:
            self._started = True
            text = text.removeprefix("\ufeff")
        self._buf = self._buf[self._pos :] + text
        self._pos = 0
        return True

    def _advance(self, end: int) -> None:
        self.line += self._buf.count("\n", self._pos, end)
        self._pos = end

    def _take(self, chars: str, what: str) -> str:
        """Consume the next character, which must be one of ``chars``."""
        c = self.peek()
        if not c or c not in chars:
            found = "the file ends" if not c else f"found {c!r}"
            raise self.error(f"{found}; expected {what}")
        self._advance(self._pos + 1)
        return c

    def peek(self) -> str:
        """The next character that is not white space, not consumed; "" at the end."""
        while True:
            self._advance(_WS.match(self._buf, self._pos).end())  # type: ignore[union-attr]
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._more():
                return ""

    def skip_assignment(self) -> None:
        """Skip a JavaScript ``window.<name> =`` before the value, if there is one.

        The file is then a statement: :meth:`end` lets one ``;`` close it.
        """
        self._statement = True
        self.peek()
        while len(self._buf) - self._pos < 512 and self._more():
            pass
        m = _ASSIGNMENT.match(self._buf, self._pos)
        if m:
            self._advance(m.end())

    def value(self) -> Any:
        """The next JSON value, decoded."""
        if not self.peek():
            raise self.error(f"the file ends; expected {self.expected}")
        size = self.block_bytes
        while True:
            try:
                obj, end = _decode(self._buf, self._pos)
            except json.JSONDecodeError as err:
                unterminated = err.msg.startswith("Unterminated string")
                # Cut off by the end of the buffer? Then read on, twice as much each time.
                if (unterminated or err.pos >= len(self._buf) - _NEAR_END) and self._more(size):
                    size *= 2
                    continue
                line = self.line + self._buf.count("\n", self._pos, err.pos)
                rest = _WS.match(self._buf, err.pos).end()  # type: ignore[union-attr]
                if unterminated or rest == len(self._buf):
                    why = "the file ends inside a JSON value (a truncated download?)"
                else:
                    why = f"not valid JSON: {err.msg}"
                raise self.error(f"{why}; expected {self.expected}", line=line) from err
            if _NUMBER_GOES_ON.fullmatch(self._buf, end) and self._more(size):
                continue  # a number may go on in the next block: decode it again
            self._advance(end)
            return obj

    def value_with_line(self) -> tuple[int, Any]:
        """The next JSON value and the line it starts on."""
        self.peek()
        line = self.line
        return line, self.value()

    def array(self, what: str) -> Iterator[tuple[int, Any]]:
        """The items of the array that comes next, each with the line it starts on.

        ``what`` says what the array should be, for the error if something else comes.
        """
        self._take("[", what)
        if self.peek() == "]":
            self._advance(self._pos + 1)
            return
        count = 0
        while True:
            yield self.value_with_line()
            count += 1
            if self._take(",]", f"',' or ']' after item {count}") == "]":
                return

    def members(self, what: str) -> Iterator[str]:
        """The keys of the object that comes next; the caller reads each key's value.

        ``what`` says what the object should be, for the error if something else comes.
        """
        self._take("{", what)
        if self.peek() == "}":
            self._advance(self._pos + 1)
            return
        while True:
            if self.peek() != '"':
                self._take('"', "a key in double quotes")
            key = self.value()
            self._take(":", f"':' after the key {key!r}")
            yield key
            if self._take(",}", f"',' or '}}' after the value of {key!r}") == "}":
                return

    def end(self) -> None:
        """Only white space may follow the value (and one ``;`` after an assignment)."""
        if self._statement and self.peek() == ";":
            self._advance(self._pos + 1)
        c = self.peek()
        if c:
            raise self.error(f"found {c!r} after the end of the data; expected {self.expected}")
