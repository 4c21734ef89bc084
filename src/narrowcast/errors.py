"""Errors narrowcast raises on purpose. The CLI prints them as one line and exits 2.

NarrowcastError
├── InputError (ValueError)       an input file is missing, malformed or not of its format
├── ParameterError (ValueError)   an argument of a public function is out of its range
└── StoreError (RuntimeError)     the store is missing, locked, or not a narrowcast store
"""

from __future__ import annotations

from os import PathLike

__all__ = ["InputError", "NarrowcastError", "ParameterError", "StoreError"]


class NarrowcastError(Exception):
    """Base of every error narrowcast raises on purpose."""


class InputError(NarrowcastError, ValueError):
    """An input cannot be imported: names the file, the place in it, and what was expected.

    >>> str(InputError("Votes.xml", "CreationDate '2013-13-01' is not a timestamp", line=1841))
    "Votes.xml, line 1841: CreationDate '2013-13-01' is not a timestamp"
    """

    def __init__(
        self,
        path: str | PathLike[str],
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        where: str | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.where = where
        self.message = message
        place = self.path
        if line is not None:
            place += f", line {line}"
            if column is not None:
                place += f", column {column}"
        if where:
            place += f", {where}"
        super().__init__(f"{place}: {message}")


class ParameterError(NarrowcastError, ValueError):
    """A public function got an argument outside what it accepts."""

    @classmethod
    def expected(cls, name: str, function: str, expectation: str, got: object) -> ParameterError:
        """The scikit-learn wording: names parameter, function, expectation and value.

        >>> str(ParameterError.expected("half_life_days", "score", "a number greater than 0", -3))
        "The 'half_life_days' parameter of score must be a number greater than 0. Got -3 instead."
        """
        return cls(
            f"The {name!r} parameter of {function} must be {expectation}. Got {got!r} instead."
        )


class StoreError(NarrowcastError, RuntimeError):
    """The store cannot be opened or is not a narrowcast store."""
