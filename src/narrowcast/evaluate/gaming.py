"""Attacks injected into a real event log, to show that gaming the scores does not pay.

:func:`inject` plants the four attacks of DESIGN.md ("Measuring that the measures are true")
into an existing log and returns only the rows it adds, so the harness can score the log
before and after and report each attacker's percentile against a naive count:

``spray_liker``
    One existing account likes one item each of ``spray_targets`` strangers: people it
    never interacted with, in either direction. Nobody answers.
``like_ring``
    ``ring_size`` existing accounts each write ``ring_posts`` posts, and every other member
    of the ring likes each of them. Nobody else touches them.
``bot_amplification``
    One existing account writes ``amplified_posts`` posts; ``bots`` fresh accounts
    (``{platform}:attack-bot-{i}``) each like and share every one of them, and do nothing
    else.
``sock_puppets``
    Two existing accounts hold one long dialogue: a post by the first, then
    ``puppet_turns`` replies alternating between them, each answering the one before.

The attackers are existing accounts of ordinary reception, so their percentile before the
attack is defined and unremarkable: people whose received-event count lies between the 40th
and 60th percentile of that count among everyone who acted at least once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from narrowcast.errors import ParameterError
from narrowcast.model import EVENTS

__all__ = ["ATTACKS", "Attack", "AttackSizes", "inject"]

#: The attacks :func:`inject` knows, in the order their accounts are drawn.
ATTACKS = ("spray_liker", "like_ring", "bot_amplification", "sock_puppets")

#: The columns :func:`inject` reads from the existing log.
_REQUIRED = ("ts", "platform", "actor", "target", "kind", "content_id")

_US_PER_DAY = 86_400_000_000
# Engagement comes soon after a post: a like within a day of it, a share within an hour of
# the like. Bounded by the last event of the log, so everything stays "as of" that moment.
_LIKE_WITHIN_US = _US_PER_DAY
_SHARE_WITHIN_US = _US_PER_DAY // 24


@dataclass(frozen=True)
class AttackSizes:
    """How big each attack is.

    Attributes
    ----------
    spray_targets
        Strangers the spray-liker likes, one like each.
    ring_size
        Accounts in the like ring (at least 2).
    ring_posts
        Posts per ring member; every other member likes each.
    bots
        Fresh accounts amplifying one account.
    amplified_posts
        Posts of the amplified account; each bot likes and shares each.
    puppet_turns
        Replies alternating between the two sock-puppets.

    Examples
    --------
    >>> AttackSizes(bots=5).bots
    5
    >>> AttackSizes(ring_size=1)
    Traceback (most recent call last):
    ...
    narrowcast.errors.ParameterError: The 'ring_size' parameter of AttackSizes must be an int of at least 2. Got 1 instead.
    """  # noqa: E501

    spray_targets: int = 200
    ring_size: int = 8
    ring_posts: int = 10
    bots: int = 50
    amplified_posts: int = 10
    puppet_turns: int = 200

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            least = 2 if f.name == "ring_size" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ParameterError.expected(
                    f.name, "AttackSizes", f"an int of at least {least}", value
                )

    def events(self, attack: str) -> int:
        """How many events ``attack`` adds at these sizes (the spray-liker's assumes enough
        strangers exist).

        >>> s = AttackSizes()
        >>> [s.events(a) for a in ATTACKS]
        [200, 640, 1010, 201]
        """
        if attack == "spray_liker":
            return self.spray_targets
        if attack == "like_ring":
            posts = self.ring_size * self.ring_posts
            return posts + posts * (self.ring_size - 1)
        if attack == "bot_amplification":
            return self.amplified_posts + 2 * self.bots * self.amplified_posts
        if attack == "sock_puppets":
            return 1 + self.puppet_turns
        raise ParameterError.expected("attack", "AttackSizes.events", f"one of {ATTACKS}", attack)


@dataclass
class Attack:
    """The rows :func:`inject` adds, and who is behind them.

    Attributes
    ----------
    events
        The new rows only, of the :data:`~narrowcast.model.EVENTS` schema exactly.
    attackers
        Attack name -> the people whose percentiles the harness reports: the spray-liker;
        the ring members; the amplified account (not the bots); the two sock-puppets. All
        existing accounts of the log.
    counts
        Attack name -> events added. The spray-liker's is fewer than ``spray_targets`` when
        the log holds fewer strangers to it than that.
    bots
        The fresh accounts of ``bot_amplification`` (empty when it was not asked for).
    """

    events: pa.Table
    attackers: dict[str, list[str]]
    counts: dict[str, int]
    bots: list[str] = field(default_factory=list)


def inject(
    events: pa.Table,
    *,
    sizes: AttackSizes = AttackSizes(),
    seed: int = 0,
    attacks: Sequence[str] = ATTACKS,
    window_days: float = 30.0,
    fresh: bool = True,
) -> Attack:
    """The events of the requested attacks on an existing log, and their attackers.

    Pure: ``events`` is not changed, and only the new rows are returned; the harness appends
    them to the log (the store makes people rows from their ids).

    Parameters
    ----------
    events
        The existing log, with at least the columns ``ts``, ``platform``, ``actor``,
        ``target``, ``kind`` and ``content_id``; ``parent_id``, ``thread_id``,
        ``visibility`` and ``event_id`` are used where present.
    sizes
        How big each attack is.
    seed
        Random seed (a non-negative int): the same arguments give the same rows. It is also
        part of every new id, so two seeds never share one.
    attacks
        Which of :data:`ATTACKS` to inject. The accounts and rows of an attack do not depend
        on which others are asked for.
    window_days
        Every new event lies in the last ``window_days`` before the log's last event (and
        not before its first), the last one included, so all of it counts "as of" the last
        event.
    fresh
        The spray-liker, the ring and the sock-puppets are new accounts
        (``platform:attack-<attack>-<i>``), as attackers usually are; the amplified account
        is an existing one either way. With false, every attacker is an existing account.

    Returns
    -------
    Attack
        The new rows, the attackers of each attack, events added per attack, and the bots.

    Notes
    -----
    The attackers are drawn (``numpy.random.default_rng(seed)``) among people who acted at
    least once on the log's most common platform and whose received-event count (events
    targeting them, from someone else; a null target is the author of the item acted on)
    lies between the 40th and 60th percentile of that count over those people; where that
    band holds too few, the people nearest the median count. Each attack has its own
    accounts, distinct from all others, and a stranger is never one of them.

    Every row is public with quantity 1, ``subtype`` the attack's name, and event id
    ``attack:{seed}:{attack}:{n}``. A post has ``content_id`` ``attack:{seed}:post:{n}`` and
    is its own thread; a sock-puppet reply ``attack:{seed}:reply:{n}``. A like, share or reply
    has ``parent_id`` the item acted on, ``thread_id`` its thread, and ``target`` its author.
    The spray-liker likes a public item of each stranger where the stranger has one, and
    otherwise the stranger (no parent).

    Raises
    ------
    ParameterError
        For a bad argument, a log with too few people for the attacks' accounts, or a log
        that already holds this seed's attack rows or bots.

    Examples
    --------
    Twenty people, each posting once and liking the next one's post:

    >>> from datetime import UTC, datetime, timedelta
    >>> from narrowcast.model import TS_TYPE
    >>> n = 20
    >>> day = [datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=i) for i in range(2 * n)]
    >>> log = pa.table({
    ...     "ts": pa.array(day, TS_TYPE),
    ...     "platform": ["x"] * (2 * n),
    ...     "actor": [f"x:{i}" for i in range(n)] * 2,
    ...     "target": [None] * n + [f"x:{(i + 1) % n}" for i in range(n)],
    ...     "kind": ["post"] * n + ["like"] * n,
    ...     "content_id": [f"c{i}" for i in range(n)] + [None] * n,
    ... })
    >>> attack = inject(log, sizes=AttackSizes(spray_targets=5, ring_size=3, ring_posts=2,
    ...                 bots=4, amplified_posts=2, puppet_turns=6))
    >>> attack.attackers["sock_puppets"]
    ['x:attack-sock-puppets-0', 'x:attack-sock-puppets-1']
    >>> attack.counts
    {'spray_liker': 5, 'like_ring': 18, 'bot_amplification': 18, 'sock_puppets': 7}
    >>> attack.events.num_rows, attack.events.schema.equals(EVENTS)
    (48, True)
    >>> attack.bots[:2]
    ['x:attack-bot-0', 'x:attack-bot-1']
    """
    _check(events, sizes, seed, attacks, window_days)
    log = _Log.of(events, float(window_days))
    slots = {
        "spray_liker": 1,
        "like_ring": sizes.ring_size,
        "bot_amplification": 1,
        "sock_puppets": 2,
    }
    needed = sum(slots.values())
    chosen = _attackers(log, needed, np.random.default_rng(seed))
    if chosen is None:
        raise ParameterError(
            f"inject needs {needed} people who acted on platform {log.platform!r} to play the "
            f"attackers (ring_size {sizes.ring_size} + 4); the log has {len(log.actors)}. "
            "Give a larger log or a smaller ring_size."
        )
    # Slots are fixed whatever is asked for, so an attack alone is the same as in company.
    accounts: dict[str, list[str]] = {}
    at = 0
    for name in ATTACKS:
        accounts[name] = chosen[at : at + slots[name]]
        at += slots[name]
    if fresh:
        for name in ("spray_liker", "like_ring", "sock_puppets"):
            accounts[name] = [
                f"{log.platform}:attack-{name.replace('_', '-')}-{i}" for i in range(slots[name])
            ]
    bots = [f"{log.platform}:attack-bot-{i}" for i in range(sizes.bots)]
    taken = sorted(set(bots).intersection(log.people)) if "bot_amplification" in attacks else []
    if taken:
        raise ParameterError(
            f"inject makes fresh bot accounts, but the log already has {taken[0]!r}: "
            "inject into the original log, not one with attacks injected already."
        )
    if log.has_ids(f"attack:{seed}:"):
        raise ParameterError(
            f"the log already holds rows injected with seed {seed}: "
            "inject into the original log, or use another seed."
        )

    # Post numbers are fixed per attack too, for the same reason.
    first_post = {
        "like_ring": 0,
        "bot_amplification": sizes.ring_size * sizes.ring_posts,
        "sock_puppets": sizes.ring_size * sizes.ring_posts + sizes.amplified_posts,
    }
    tables = []
    counts: dict[str, int] = {}
    everyone = {p for people in accounts.values() for p in people}
    for i, name in enumerate(ATTACKS):
        if name not in attacks:
            continue
        rows = _Rows(name, seed, log.platform, first_post.get(name, 0))
        rng = np.random.default_rng([seed, i + 1])
        if name == "spray_liker":
            _spray(rows, rng, log, accounts[name][0], everyone, sizes.spray_targets)
        elif name == "like_ring":
            _ring(rows, rng, log, accounts[name], sizes.ring_posts)
        elif name == "bot_amplification":
            _amplify(rows, rng, log, accounts[name][0], bots, sizes.amplified_posts)
        else:
            _puppets(rows, rng, log, accounts[name], sizes.puppet_turns)
        counts[name] = len(rows)
        tables.append(rows.table())
    return Attack(
        events=pa.concat_tables(tables) if tables else EVENTS.empty_table(),
        attackers={name: list(accounts[name]) for name in ATTACKS if name in attacks},
        counts=counts,
        bots=bots if "bot_amplification" in attacks else [],
    )


def _check(events: Any, sizes: Any, seed: Any, attacks: Any, window_days: Any) -> None:
    fn = "inject"
    if not isinstance(events, pa.Table):
        raise ParameterError.expected("events", fn, "a pyarrow Table", type(events).__name__)
    missing = [c for c in _REQUIRED if c not in events.column_names]
    if missing:
        raise ParameterError.expected(
            "events", fn, f"a table with columns {list(_REQUIRED)}", f"one without {missing}"
        )
    if not pa.types.is_timestamp(events.schema.field("ts").type):
        raise ParameterError.expected(
            "events", fn, "a table whose ts is a timestamp", events.schema.field("ts").type
        )
    if events.num_rows == 0:
        raise ParameterError.expected("events", fn, "a table with rows", "an empty table")
    if not isinstance(sizes, AttackSizes):
        raise ParameterError.expected("sizes", fn, "an AttackSizes", sizes)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParameterError.expected("seed", fn, "a non-negative int", seed)
    if (
        isinstance(attacks, str)
        or not isinstance(attacks, Sequence)
        or not attacks
        or not set(attacks) <= set(ATTACKS)
        or len(set(attacks)) != len(attacks)
    ):
        raise ParameterError.expected(
            "attacks", fn, f"a non-empty sequence of distinct names from {ATTACKS}", attacks
        )
    if (
        isinstance(window_days, bool)
        or not isinstance(window_days, int | float)
        or not math.isfinite(window_days)
        or window_days < 0
    ):
        raise ParameterError.expected("window_days", fn, "a non-negative number", window_days)


@dataclass
class _Log:
    """What the attacks need of the existing log, on its most common platform."""

    platform: str
    actors: np.ndarray  # sorted ids of everyone who acted
    people: np.ndarray  # sorted ids of everyone who acted or was acted toward
    received: np.ndarray  # per actor: events targeting them from someone else
    actor: np.ndarray  # per event: who acted (None where unknown)
    target: np.ndarray  # per event: toward whom, a null target filled from the parent's author
    items: dict[str, list[Any]]  # public items by author: author, content_id, thread_id, ts
    event_ids: pa.ChunkedArray | None
    lo: int  # the window, microseconds since the epoch
    hi: int

    @classmethod
    def of(cls, events: pa.Table, window_days: float) -> _Log:
        counts = pc.value_counts(events.column("platform").drop_null())
        values, freq = counts.field("values").to_pylist(), counts.field("counts").to_numpy()
        # Ties go to the first in sorted order, so the choice does not depend on row order.
        platform = min(v for v, f in zip(values, freq, strict=True) if f == freq.max())
        e = events.filter(pc.equal(events.column("platform"), platform))
        ts_type = e.schema.field("ts").type
        ts = e.column("ts").cast(pa.timestamp("us", tz=ts_type.tz)).cast(pa.int64())
        ts = ts.fill_null(pc.min(ts)).to_numpy()
        hi = int(ts.max())
        lo = max(int(ts.min()), hi - round(window_days * _US_PER_DAY))

        actor = e.column("actor").combine_chunks()
        target = e.column("target").combine_chunks()
        made = e.column("content_id").combine_chunks()
        if "parent_id" in e.column_names:
            # A null target is the author of the item acted on, as the store fills it.
            parent = e.column("parent_id").combine_chunks()
            where = pc.index_in(parent, value_set=made.filter(made.is_valid()))
            target = pc.coalesce(target, pc.take(actor.filter(made.is_valid()), where))
        actors = pc.unique(actor.drop_null())
        people = pc.unique(pa.concat_arrays([actors, target.drop_null()]))
        toward_other = pc.and_(target.is_valid(), pc.fill_null(pc.not_equal(target, actor), True))
        got = pc.value_counts(target.filter(toward_other))
        where = pc.index_in(actors, value_set=got.field("values"))
        received = pc.fill_null(pc.take(got.field("counts"), where), 0)
        order = pc.sort_indices(actors)

        public = made.is_valid()
        if "visibility" in e.column_names:
            is_public = pc.equal(e.column("visibility"), "public").combine_chunks()
            public = pc.and_(public, pc.fill_null(is_public, True))
        thread = (
            e.column("thread_id")
            if "thread_id" in e.column_names
            else pa.nulls(e.num_rows, pa.string())
        )
        items = (
            pa.table({"author": actor, "content_id": made, "thread_id": thread, "ts": pa.array(ts)})
            .filter(pc.and_(public, actor.is_valid()))
            .sort_by([("author", "ascending"), ("content_id", "ascending"), ("ts", "ascending")])
        )
        return cls(
            platform=platform,
            actors=np.array(pc.take(actors, order).to_pylist(), dtype=object),
            people=np.array(sorted(people.to_pylist()), dtype=object),
            received=pc.take(received, order).to_numpy().astype(np.int64),
            actor=np.array(actor.to_pylist(), dtype=object),
            target=np.array(target.to_pylist(), dtype=object),
            items=items.to_pydict(),
            event_ids=events.column("event_id") if "event_id" in events.column_names else None,
            lo=lo,
            hi=hi,
        )

    def has_ids(self, prefix: str) -> bool:
        if self.event_ids is None:
            return False
        return bool(pc.any(pc.starts_with(self.event_ids.drop_null(), prefix)).as_py())


def _attackers(log: _Log, needed: int, rng: np.random.Generator) -> list[str] | None:
    """``needed`` distinct actors of median reception, in a random order; None if too few."""
    n = len(log.actors)
    if n < needed:
        return None
    q40, q60 = np.percentile(log.received, [40, 60])
    band = np.flatnonzero((log.received >= q40) & (log.received <= q60))
    if len(band) < needed:
        # Too narrow a band (a few distinct counts): the people nearest the median count,
        # ties broken at random.
        median = np.median(log.received)
        shuffled = rng.permutation(n)
        distance = np.abs(log.received[shuffled] - median)
        band = np.sort(shuffled[np.argsort(distance, kind="stable")[:needed]])
    return [str(p) for p in log.actors[rng.permutation(band)[:needed]]]


class _Rows:
    """The rows of one attack, built one by one, numbered in order."""

    def __init__(self, attack: str, seed: int, platform: str, first_post: int) -> None:
        self.attack, self.seed, self.platform = attack, seed, platform
        self.next_post = first_post
        self.next_reply = 0
        self.cols: dict[str, list[Any]] = {name: [] for name in EVENTS.names}

    def __len__(self) -> int:
        return len(self.cols["ts"])

    def add(
        self,
        kind: str,
        actor: str,
        ts: int,
        *,
        target: str | None = None,
        content_id: str | None = None,
        parent_id: str | None = None,
        thread_id: str | None = None,
    ) -> None:
        row = {
            "event_id": f"attack:{self.seed}:{self.attack}:{len(self)}",
            "ts": ts,
            "platform": self.platform,
            "actor": actor,
            "kind": kind,
            "target": target,
            "content_id": content_id,
            "parent_id": parent_id,
            "thread_id": thread_id,
            "visibility": "public",
            "quantity": 1,
            "subtype": self.attack,
        }
        for name, values in self.cols.items():
            values.append(row.get(name))

    def post(self, actor: str, ts: int) -> str:
        cid = f"attack:{self.seed}:post:{self.next_post}"
        self.next_post += 1
        self.add("post", actor, ts, content_id=cid, thread_id=cid)
        return cid

    def reply(self, actor: str, ts: int, *, target: str, parent: str, thread: str) -> str:
        cid = f"attack:{self.seed}:reply:{self.next_reply}"
        self.next_reply += 1
        self.add(
            "reply", actor, ts, target=target, content_id=cid, parent_id=parent, thread_id=thread
        )
        return cid

    def table(self) -> pa.Table:
        arrays = [
            pa.array(self.cols[f.name], pa.int64()).cast(f.type)
            if pa.types.is_timestamp(f.type)
            else pa.array(self.cols[f.name], f.type)
            for f in EVENTS
        ]
        return pa.Table.from_arrays(arrays, schema=EVENTS)


def _between(rng: np.random.Generator, lo: int, hi: int) -> int:
    """A moment in [lo, hi], microseconds."""
    return int(rng.integers(lo, max(lo, hi) + 1))


def _soon(rng: np.random.Generator, after: int, within: int, hi: int) -> int:
    """A moment from ``after`` to ``within`` later, never past ``hi``."""
    return _between(rng, after, min(hi, after + within))


def _spray(
    rows: _Rows,
    rng: np.random.Generator,
    log: _Log,
    sprayer: str,
    attackers: set[str],
    wanted: int,
) -> None:
    # Strangers: people the sprayer never acted toward, nor was acted toward by.
    met = set(log.target[log.actor == sprayer]) | set(log.actor[log.target == sprayer])
    strangers = [p for p in log.people if p not in met and p not in attackers]
    picked = np.sort(rng.choice(len(strangers), min(wanted, len(strangers)), replace=False))
    authors = log.items["author"]
    # Items are sorted by author: each stranger's are one run of rows.
    first = np.searchsorted(np.array(authors, dtype=object), [strangers[k] for k in picked])
    for k, lo in zip(picked, first, strict=True):
        who = strangers[int(k)]
        hi = int(lo)
        while hi < len(authors) and authors[hi] == who:
            hi += 1
        if hi == lo:
            rows.add("like", sprayer, _between(rng, log.lo, log.hi), target=who)
            continue
        j = int(rng.integers(lo, hi))
        rows.add(
            "like",
            sprayer,
            _between(rng, max(log.lo, log.items["ts"][j]), log.hi),
            target=who,
            parent_id=log.items["content_id"][j],
            thread_id=log.items["thread_id"][j],
        )


def _ring(
    rows: _Rows, rng: np.random.Generator, log: _Log, ring: list[str], per_member: int
) -> None:
    posts = [
        (a, rows.post(a, t := _between(rng, log.lo, log.hi)), t)
        for a in ring
        for _ in range(per_member)
    ]
    for author, cid, t in posts:
        for liker in ring:
            if liker != author:
                when = _soon(rng, t, _LIKE_WITHIN_US, log.hi)
                rows.add("like", liker, when, target=author, parent_id=cid, thread_id=cid)


def _amplify(
    rows: _Rows,
    rng: np.random.Generator,
    log: _Log,
    amplified: str,
    bots: list[str],
    n_posts: int,
) -> None:
    posts = [(rows.post(amplified, t := _between(rng, log.lo, log.hi)), t) for _ in range(n_posts)]
    for cid, t in posts:
        for bot in bots:
            liked = _soon(rng, t, _LIKE_WITHIN_US, log.hi)
            rows.add("like", bot, liked, target=amplified, parent_id=cid, thread_id=cid)
            shared = _soon(rng, liked, _SHARE_WITHIN_US, log.hi)
            rows.add("share", bot, shared, target=amplified, parent_id=cid, thread_id=cid)


def _puppets(
    rows: _Rows, rng: np.random.Generator, log: _Log, puppets: list[str], turns: int
) -> None:
    times = np.sort(rng.integers(log.lo, log.hi + 1, turns + 1))
    root = rows.post(puppets[0], int(times[0]))
    parent = root
    for k in range(turns):
        actor, other = puppets[(k + 1) % 2], puppets[k % 2]
        parent = rows.reply(actor, int(times[k + 1]), target=other, parent=parent, thread=root)
