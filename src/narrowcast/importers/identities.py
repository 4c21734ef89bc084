"""Identity links: which platform ids are one person, from a CSV file.

The file has a header and two columns, ``person`` and ``account``: each row says the
account (a platform-qualified id such as ``slack:U024BE7LH``) is the person (another such
id, the one the person is shown under). Rows of one person may repeat it::

    person,account
    mbox:ada@example.org,slack:U024BE7LH
    mbox:ada@example.org,github:ada

``narrowcast import identities FILE.csv`` adds them; measures then treat the accounts as
one person. ``narrowcast unlink`` undoes a link.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from os import PathLike
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from narrowcast.errors import InputError
from narrowcast.importers._common import check_files, total_size
from narrowcast.model import IDENTITIES, Chunk, Parsed

__all__ = ["read_identities"]

_EXPECTED = "a CSV file with the columns person,account (platform-qualified person ids)"


def read_identities(
    paths: Sequence[str | PathLike[str]],
    *,
    platform: str | None = None,
    skip_bad_rows: bool = False,
) -> Parsed:
    """Read identity links from CSV files of ``person,account`` rows.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "ids.csv"
    >>> _ = f.write_text("person,account\\nmbox:ada@example.org,slack:U1\\n")
    >>> [c.batch.to_pylist() for c in read_identities([f])]
    [[{'person': 'mbox:ada@example.org', 'account': 'slack:U1', 'origin': 'file:ids.csv'}]]
    """
    files = check_files(paths, _EXPECTED)
    parsed = Parsed(
        "identities", platform or "identities", files, (), total_bytes=total_size(files)
    )
    parsed.chunks = _chunks(parsed, files, skip_bad_rows)
    return parsed


def _chunks(parsed: Parsed, files: list[Path], skip_bad_rows: bool) -> Iterator[Chunk]:
    done = 0
    for path in files:
        try:
            table = pacsv.read_csv(
                path,
                convert_options=pacsv.ConvertOptions(
                    column_types={"person": pa.string(), "account": pa.string()}
                ),
            )
        except (pa.ArrowInvalid, OSError) as err:
            raise InputError(
                path, f"is not valid CSV ({str(err).splitlines()[0]}); expected {_EXPECTED}"
            ) from err
        missing = [c for c in ("person", "account") if c not in table.column_names]
        if missing:
            raise InputError(path, f"missing column {', '.join(missing)}; expected {_EXPECTED}")
        person, account = table.column("person").to_pylist(), table.column("account").to_pylist()
        rows = []
        for i, (p, a) in enumerate(zip(person, account, strict=True)):
            p, a = (p or "").strip(), (a or "").strip()
            if not p or not a or ":" not in p or ":" not in a:
                if skip_bad_rows:
                    parsed.bad_rows += 1
                    continue
                raise InputError(
                    path,
                    f"row {person[i]!r},{account[i]!r} is not two platform-qualified ids; "
                    f"expected {_EXPECTED}",
                    line=i + 2,
                )
            if p != a:
                rows.append({"person": p, "account": a, "origin": f"file:{path.name}"})
        done += path.stat().st_size
        if rows:
            yield Chunk(
                "identities", pa.RecordBatch.from_pylist(rows, schema=IDENTITIES), path, done
            )
