"""A seeded synthetic community with planted roles whose right answers are known.

:func:`generate` writes the event log of an imaginary community (platform ``synthetic``) as
a lazy stream of Arrow record batches, the way an importer does, so the store loads it like
any other source and ``narrowcast demo`` shows the measures at work on it. It has two parts.

**The background**, most of the events: a population of about one person per 25 events (at
least 300), in local clusters of 20 to 50 people who mostly interact with their nearest
cluster-mates and sometimes with anyone (a ring lattice with shortcuts, as in [1]_), so that
ties are mutual and embedded. Activity (who acts) and attention (who receives) are both
heavy-tailed: each person has a rank in each, drawn from correlated normals, and acts in
proportion to ``rank ** -0.5`` and draws reactions in proportion to ``rank ** -0.35`` (Zipf
laws: Pareto tails of index 2 and about 3 [2]_).
A post draws likes, replies, shares and quotes in proportion to its author's attention
weight, from more strangers the more popular the author; replies are answered back by the
person replied to, after minutes to days, with that person's responsiveness, then answered
again, so there is real back-and-forth; private messages form conversations the same way.
There are also mentions, follows, and anonymous aggregate views (silent audience: ``actor``
null, ``quantity`` the number of views). Posts and conversations start in each person's
active period, more often on weekdays and by day.

**The planted roles** (:data:`ROLES`), present at every size, their volumes growing as the
square root of the size so that they stay recognisable without swamping the community (about
half the events at 1,000, a fifth at 5,000, 5% at 50,000, 1% from 10 million); the
broadcaster's volume is also raised above what the most popular background person can
expect:
a broadcaster ``potus`` who only posts, a connector ``julie`` who gives, answers and is
answered, a ``listener``, and four attacks (a spray-liker, a like ring, bot amplification,
two sock-puppets). :attr:`Community.roles` names the people in each role.

Rows are generated in windows of at most ``window`` events, each with its own random stream
``numpy.random.default_rng([seed, window_index])`` and vectorised with numpy and Arrow, so
memory stays bounded from a thousand events to a hundred million and the output is the same
on every run: the same arguments give byte-identical rows and the same event ids
(``s{seed}-{events}-{n}``), so loading it twice adds nothing. A content item's id is the id
of the event that created it. A window is cut to its size by whole conversations and topped
up with likes, so the count is exact.

References
----------
.. [1] D. J. Watts and S. H. Strogatz, "Collective dynamics of 'small-world' networks",
   Nature 393, 440-442 (1998). https://doi.org/10.1038/30918
.. [2] A. Clauset, C. R. Shalizi and M. E. J. Newman, "Power-law distributions in empirical
   data", SIAM Review 51(4), 661-703 (2009). https://doi.org/10.1137/070710111

Examples
--------
>>> community = generate(2_000, seed=7)
>>> community.roles["broadcaster"], community.roles["connector"]
(['synthetic:potus'], ['synthetic:julie'])
>>> events = community.table()
>>> events.num_rows, len(set(events.column("event_id").to_pylist()))
(2000, 2000)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from narrowcast.errors import ParameterError
from narrowcast.model import EVENTS, PEOPLE, ROW_GROUP_ROWS, TS_TYPE, Chunk, Parsed

__all__ = ["PLATFORM", "ROLES", "Community", "generate"]

#: The planted roles, each with what makes its right answer known.
ROLES: Mapping[str, str] = MappingProxyType(
    {
        "broadcaster": "potus: posts a lot; liked, replied to, shared, mentioned and followed by "
        "many distinct people; never replies, likes or messages anyone",
        "connector": "julie: modest reception; replies to and likes her friends' posts, answers "
        "every reply addressed to her within hours; her comments get answered",
        "connector_friends": "the twelve friends julie gives to, who reciprocate",
        "listener": "posts little, answers nearly every reply, mention and message to them",
        "spray_liker": "sprayer: one like on one post each of hundreds of distinct strangers; "
        "no replies; nobody answers",
        "like_ring": "ring0..ring7: each likes every post of every other member; they post a "
        "lot and nobody else touches them",
        "bot_amplified": "amplified: an account whose posts are liked and shared only by bots",
        "bots": "bot0..: accounts created late whose only acts are liking and sharing the "
        "amplified account's posts",
        "sock_puppets": "sock0, sock1: hundreds of replies back and forth, only with each other",
    }
)

#: The platform of every row and person id.
PLATFORM = "synthetic"
_FORMAT = "synthetic"
_PREFIX = f"{PLATFORM}:"

_KIND_NAMES = ("post", "reply", "like", "share", "quote", "mention", "message", "view", "follow")
_POST, _REPLY, _LIKE, _SHARE, _QUOTE, _MENTION, _MESSAGE, _VIEW, _FOLLOW = range(len(_KIND_NAMES))

_US = 1_000_000
_MIN = 60 * _US
_HOUR = 60 * _MIN
_DAY = 24 * _HOUR

# Random streams apart from the windows' [seed, window_index].
_CLUSTER_STREAM = (2**31, 0)
_POPULATION_STREAM = (2**31, 1)
_PLANTED_STREAM = (2**31, 2)

# Background rates per post, scaled by the author's attention weight (mean 1 over posts).
_LIKES, _REPLIES, _SHARES, _QUOTES = 3.2, 1.1, 0.35, 0.1
_VIEWED, _MENTIONS, _CHATS, _FOLLOWS = 0.5, 0.08, 0.22, 0.08
# Rows per post the rates above give on average (measured): sets how many posts a window
# starts, so that the community is close to its size before the top-up of likes.
_ROWS_PER_POST = 8.5


def generate(
    events: int = 50_000,
    *,
    seed: int = 0,
    start: datetime = datetime(2024, 1, 1, tzinfo=UTC),
    days: int = 365,
    window: int = 1_000_000,
) -> Community:
    """A synthetic community of exactly ``events`` events, with planted roles.

    Parameters
    ----------
    events
        How many event rows (at least 1000). The population grows with it: about one person
        per 25 events, at least 300, plus the planted accounts.
    seed
        Random seed (a non-negative int). The same arguments give the same rows, byte for
        byte; event ids name the seed and size, so two sizes or seeds never share an id.
    start
        When the community's time span begins (a naive datetime is taken as UTC).
    days
        Length of the span: every timestamp is in ``[start, start + days)``.
    window
        Most rows generated (and held in memory) at once, at least 1000. Each window has its
        own random stream, so the rows depend on it too.

    Returns
    -------
    Community
        ``parsed`` for :meth:`narrowcast.store.Store.load`, and ``roles``: role name (see
        :data:`ROLES`) -> person ids.

    Notes
    -----
    Rows come out in chunks of at most ``window`` (and 131,072) rows: the planted roles
    first, then the background windows, then the ``people`` rows of everyone who appeared
    (id, handle, display name, audience size, creation time). A chunk's
    ``bytes_read`` is the number of events generated so far and ``total_bytes`` is
    ``events``, so a progress bar fills as rows are made.

    Examples
    --------
    >>> c = generate(1_000, seed=1)
    >>> c.events, c.seed, c.parsed.format, c.parsed.platform, c.parsed.total_bytes
    (1000, 1, 'synthetic', 'synthetic', 1000)
    >>> sorted(c.roles) == sorted(ROLES)
    True
    """
    fn = "generate"
    if isinstance(events, bool) or not isinstance(events, int) or events < 1000:
        raise ParameterError.expected("events", fn, "an int of at least 1000", events)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParameterError.expected("seed", fn, "a non-negative int", seed)
    if not isinstance(start, datetime):
        raise ParameterError.expected("start", fn, "a datetime", start)
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ParameterError.expected("days", fn, "an int of at least 1", days)
    if isinstance(window, bool) or not isinstance(window, int) or window < 1000:
        raise ParameterError.expected("window", fn, "an int of at least 1000", window)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    start = start.astimezone(UTC)
    spec = _Spec(events=events, seed=seed, start=start, days=days, window=window)
    cast = _cast(spec)
    roles = {role: [_PREFIX + h for h in handles] for role, handles in cast.items()}
    parsed = Parsed(
        format=_FORMAT,
        platform=PLATFORM,
        paths=[],
        chunks=(),
        options={
            "events": events,
            "seed": seed,
            "start": start.isoformat(),
            "days": days,
            "window": window,
        },
        total_bytes=events,
    )
    community = Community(parsed=parsed, roles=roles, events=events, seed=seed, _spec=spec)
    parsed.chunks = community.chunks()
    return community


@dataclass(frozen=True)
class _Spec:
    events: int
    seed: int
    start: datetime
    days: int
    window: int

    @property
    def start_us(self) -> int:
        return (self.start - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)

    @property
    def span_us(self) -> int:
        return self.days * _DAY

    @property
    def prefix(self) -> str:
        return f"s{self.seed}-{self.events}-"


@dataclass
class Community:
    """A generated community: rows to load, and who plays each planted role.

    Attributes
    ----------
    parsed
        What :meth:`narrowcast.store.Store.load` takes (format and platform ``synthetic``,
        no paths). Its chunks stream once, as an importer's do; :meth:`chunks` and
        :meth:`table` generate the same rows again from the start.
    roles
        Role name (see :data:`ROLES`) -> the ids of the people in it (``synthetic:potus``).
    events
        How many events were asked for, and are generated.
    seed
        The random seed.
    """

    parsed: Parsed
    roles: dict[str, list[str]]
    events: int
    seed: int
    _spec: _Spec = field(repr=False)

    def chunks(self) -> Iterator[Chunk]:
        """A fresh stream of the community's chunks: events first, then people."""
        return _chunks(self._spec)

    def table(self, name: str = "events") -> pa.Table:
        """Every row of one table (``events`` or ``people``), collected into memory.

        For tests and evaluation at sizes that fit in memory; the store reads the stream.

        >>> generate(1_000).table("people").column("handle").to_pylist()[-3:]
        ['bot8', 'bot9', 'bot10']
        """
        if name not in ("events", "people"):
            raise ParameterError.expected("name", "Community.table", "events or people", name)
        schema = EVENTS if name == "events" else PEOPLE
        batches = [c.batch for c in self.chunks() if c.table == name]
        return pa.Table.from_batches(batches, schema=schema)


# -- the plan: how big each planted role is --------------------------------------------------


def _plan(events: int) -> dict[str, int]:
    """Volumes of the planted roles: each grows as the square root of the size."""
    r = math.sqrt(events / 1000)
    return {
        "broadcaster_posts": 2 + round(2 * r),
        "broadcaster_engagers": 6 + round(4 * r),  # per post
        "connector_posts": 1 + round(r / 3),
        "friend_posts": 3 + round(r),
        "connector_chats": 1 + round(r / 2),
        "listener_posts": 1 + round(r / 4),
        "listener_mentions": 3 + round(r / 2),
        "listener_messages": 3 + round(r / 2),
        "spray": 20 + round(25 * r),
        "ring": 8,
        "ring_posts": max(1, round(0.7 * r)),  # per member
        "bots": 8 + round(3 * r),
        "amplified_posts": 2 + round(r / 3),
        "sock_threads": 2 + round(r / 3),
        "sock_replies": 20 + round(20 * r),
    }


def _cast(spec: _Spec) -> dict[str, list[str]]:
    """Role -> handles. The connector's friends are background people (``u<n>``)."""
    plan = _plan(spec.events)
    _, friends = _clusters(spec)
    return {
        "broadcaster": ["potus"],
        "connector": ["julie"],
        "connector_friends": [f"u{i}" for i in friends],
        "listener": ["listener"],
        "spray_liker": ["sprayer"],
        "like_ring": [f"ring{i}" for i in range(plan["ring"])],
        "bot_amplified": ["amplified"],
        "bots": [f"bot{i}" for i in range(plan["bots"])],
        "sock_puppets": ["sock0", "sock1"],
    }


def _planted_handles(plan: dict[str, int]) -> list[str]:
    """Handles of the planted accounts, in the order of their person numbers after P."""
    return (
        ["potus", "julie", "listener", "sprayer", "amplified", "sock0", "sock1"]
        + [f"ring{i}" for i in range(plan["ring"])]
        + [f"bot{i}" for i in range(plan["bots"])]
    )


# -- the population ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Population:
    """The background people 0..n-1 and what drives their behaviour."""

    n: int
    cstart: np.ndarray  # first member of each person's cluster
    csize: np.ndarray  # size of each person's cluster
    by_activity: np.ndarray  # rank -> person, most active first
    by_attention: np.ndarray  # rank -> person, most popular first
    activity: np.ndarray  # per person: chance to be the one acting
    cum_activity: np.ndarray  # activity of people 0..i-1, for i in 0..n
    attention: np.ndarray  # per person: attention weight, mean 1 over posts
    responsive: np.ndarray  # per person: chance to answer what is addressed to them
    active_from: np.ndarray  # per person, us
    active_to: np.ndarray  # per person, us
    audience: np.ndarray  # per person: followers
    created: np.ndarray  # per person, us
    friends: np.ndarray  # the connector's twelve friends
    start_us: int
    end_us: int

    def active(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` people drawn in proportion to activity."""
        return self.by_activity[_zipf_ranks(rng, n, self.n, _ACTIVITY_EXPONENT)]

    def popular(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` people drawn in proportion to attention."""
        return self.by_attention[_zipf_ranks(rng, n, self.n, _ATTENTION_EXPONENT)]

    def mates(self, rng: np.random.Generator, who: np.ndarray) -> np.ndarray:
        """A cluster-mate of each person (never themself): one of the nearest on the
        cluster's ring, or else a member drawn in proportion to activity."""
        n = len(who)
        first = self.cstart[who]
        size = self.csize[who]
        step = 1 + (rng.geometric(0.35, n) - 1) % (size - 1)
        step = np.where(rng.random(n) < 0.5, step, size - step)
        near = first + (who - first + step) % size
        # Inverse transform on the running sum of activity over the cluster's people.
        lo, hi = self.cum_activity[first], self.cum_activity[first + size]
        drawn = np.searchsorted(self.cum_activity, lo + (hi - lo) * rng.random(n), "right") - 1
        drawn = np.clip(drawn, first, first + size - 1)
        return np.where((rng.random(n) < 0.45) & (drawn != who), drawn, near)

    def reactors(self, rng: np.random.Generator, authors: np.ndarray) -> np.ndarray:
        """Who reacts to items by ``authors``: cluster-mates, and strangers the more so the
        more popular the author."""
        rel = self.attention[authors]
        outside = rng.random(len(authors)) < 0.1 + 0.5 * rel / (rel + 5)
        who = self.mates(rng, authors)
        strangers = self.active(rng, int(outside.sum()))
        strangers = np.where(strangers == authors[outside], who[outside], strangers)
        who[outside] = strangers
        return who

    def times(self, rng: np.random.Generator, who: np.ndarray) -> np.ndarray:
        """When each person starts something: in their active period, weekly and daily."""
        lo, hi = self.active_from[who], self.active_to[who]
        return _rhythm(rng, lo + ((hi - lo) * rng.random(len(who))).astype(np.int64), lo, hi)


_ACTIVITY_EXPONENT = 0.5
_ATTENTION_EXPONENT = 0.35
_CORRELATION = 0.3  # between a person's activity and attention ranks


def _zipf_ranks(rng: np.random.Generator, n: int, size: int, s: float) -> np.ndarray:
    """Ranks 0..size-1 with P(k) = F(k + 2) - F(k + 1), F the continuous law of x^-s on
    [1, size + 1): the inverse transform of a Zipf law, one draw per uniform."""
    top = (size + 1) ** (1 - s) - 1
    x = (1 + rng.random(n) * top) ** (1 / (1 - s))
    return np.minimum(x.astype(np.int64) - 1, size - 1)


def _zipf_probabilities(size: int, s: float) -> np.ndarray:
    """P(rank k) of :func:`_zipf_ranks`."""
    edges = np.arange(1, size + 2, dtype=np.float64) ** (1 - s)
    return np.diff(edges) / (edges[-1] - edges[0])


def _people_count(events: int) -> int:
    """Background people: one per 25 events, at least 300."""
    return max(300, events // 25)


def _clusters(spec: _Spec) -> tuple[np.ndarray, np.ndarray]:
    """Sizes of the clusters of consecutive people (20-50; a short last one joins the one
    before), and the connector's twelve friends: consecutive members of one cluster."""
    n = _people_count(spec.events)
    rng = np.random.default_rng([spec.seed, *_CLUSTER_STREAM])
    sizes = rng.integers(20, 51, size=n // 20 + 2)
    ends = np.cumsum(sizes)
    k = int(np.searchsorted(ends, n))
    sizes = sizes[: k + 1].copy()
    sizes[-1] -= int(ends[k]) - n
    if sizes[-1] < 20 and len(sizes) > 1:
        sizes[-2] += sizes[-1]
        sizes = sizes[:-1]
    c = int(rng.integers(len(sizes)))
    friends = int(sizes[:c].sum()) + np.arange(12)
    return sizes, friends


def _population(spec: _Spec) -> _Population:
    n = _people_count(spec.events)
    sizes, friends = _clusters(spec)
    rng = np.random.default_rng([spec.seed, *_POPULATION_STREAM])
    start, span = spec.start_us, spec.span_us
    firsts = np.cumsum(sizes) - sizes
    cstart = np.repeat(firsts, sizes)
    csize = np.repeat(sizes, sizes)
    z = rng.standard_normal((2, n))
    by_activity = np.argsort(-z[0], kind="stable")
    by_attention = np.argsort(
        -(_CORRELATION * z[0] + math.sqrt(1 - _CORRELATION**2) * z[1]), kind="stable"
    )
    p_act = np.empty(n)
    p_act[by_activity] = _zipf_probabilities(n, _ACTIVITY_EXPONENT)
    weight = np.empty(n)
    weight[by_attention] = _zipf_probabilities(n, _ATTENTION_EXPONENT)
    attention = weight / float(np.dot(p_act, weight))
    # The popular answer less: they cannot keep up, and need not.
    responsive = rng.beta(2.2, 2.0, n) / (1 + attention / 20)
    late = rng.random(n) < 0.25
    active_from = start + np.where(late, (rng.random(n) * 0.8 * span).astype(np.int64), 0)
    leaves = rng.random(n) < 0.15
    remaining = start + span - active_from
    active_to = np.where(
        leaves,
        active_from + ((0.2 + 0.8 * rng.random(n)) * remaining).astype(np.int64),
        start + span - 1,
    )
    audience = np.round(attention * 40 * rng.lognormal(0, 0.5, n)).astype(np.int64) + 3
    created = start - (rng.uniform(1, 2000, n) * _DAY).astype(np.int64)
    return _Population(
        n=n,
        cstart=cstart,
        csize=csize,
        by_activity=by_activity,
        by_attention=by_attention,
        activity=p_act,
        cum_activity=np.concatenate([[0.0], np.cumsum(p_act)]),
        attention=attention,
        responsive=responsive,
        active_from=active_from,
        active_to=active_to,
        audience=audience,
        created=created,
        friends=friends,
        start_us=start,
        end_us=start + span,
    )


def _rhythm(rng: np.random.Generator, t: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Times moved toward weekdays and daytime (UTC), kept in [lo, hi]."""
    n = len(t)
    weekday = (t // _DAY + 3) % 7  # Monday 0; 1970-01-01 was a Thursday
    move = (weekday >= 5) & (rng.random(n) < 0.4)
    t = np.where(move, t - (weekday - rng.integers(0, 5, n)) * _DAY, t)
    by_day = rng.random(n) < 0.6
    daytime = (7 * _HOUR + 16 * _HOUR * rng.beta(2, 2, n)).astype(np.int64)
    t = np.where(by_day, (t // _DAY) * _DAY + daytime, t)
    return np.clip(t, lo, hi)


def _after(
    rng: np.random.Generator, t: np.ndarray, end_us: int, median_s: float, sigma: float
) -> np.ndarray:
    """Times a log-normal delay after ``t``; a delay that would pass the end is shrunk."""
    n = len(t)
    delay = (rng.lognormal(math.log(median_s), sigma, n) * _US).astype(np.int64)
    late = t + delay >= end_us
    room = np.maximum(end_us - 1 - t, 0)
    return np.where(late, t + (room * rng.random(n)).astype(np.int64), t + delay)


def _within(
    rng: np.random.Generator, t: np.ndarray, end_us: int, lo_s: float, hi_s: float
) -> np.ndarray:
    """Times a uniform delay in [lo_s, hi_s] after ``t``, never past the end."""
    delay = (rng.uniform(lo_s, hi_s, len(t)) * _US).astype(np.int64)
    return np.minimum(t + delay, np.maximum(end_us - 1, t))


# -- rows under construction -------------------------------------------------------------------


@dataclass(frozen=True)
class _Made:
    """Rows just added: their row numbers and what their children need."""

    idx: np.ndarray
    actor: np.ndarray
    target: np.ndarray
    ts: np.ndarray
    thread: np.ndarray
    root: np.ndarray

    def __len__(self) -> int:
        return len(self.idx)

    def take(self, mask: np.ndarray) -> _Made:
        return _Made(
            *(a[mask] for a in (self.idx, self.actor, self.target, self.ts, self.thread, self.root))
        )


_COLUMNS = ("actor", "kind", "target", "ts", "makes", "parent", "thread", "private", "qty", "root")
_DTYPES = {
    "actor": np.int32,
    "kind": np.int8,
    "target": np.int32,
    "ts": np.int64,
    "makes": np.bool_,
    "parent": np.int64,
    "thread": np.int64,
    "private": np.bool_,
    "qty": np.int32,
    "root": np.int32,
}


class _Rows:
    """Event rows as numpy columns. Persons are numbers (-1 null); a row's parent and thread
    are row numbers in the same block (-1 null); ``makes`` marks rows creating an item."""

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []
        self.n = 0

    def add(
        self,
        kind: int,
        actor: np.ndarray | int,
        ts: np.ndarray,
        *,
        target: np.ndarray | int = -1,
        makes: bool = False,
        parent: np.ndarray | int = -1,
        thread: np.ndarray | int | None = None,
        private: bool = False,
        qty: np.ndarray | int = 1,
        root: np.ndarray | int = 0,
    ) -> _Made:
        m = len(ts)
        idx = np.arange(self.n, self.n + m, dtype=np.int64)
        full = lambda v: np.broadcast_to(np.asarray(v, dtype=np.int64), (m,))  # noqa: E731
        # An item that starts something is its own thread's root.
        thread_ = full(thread) if thread is not None else idx if makes else full(-1)
        part = {
            "actor": full(actor),
            "kind": np.full(m, kind, dtype=np.int8),
            "target": full(target),
            "ts": np.asarray(ts, dtype=np.int64),
            "makes": np.full(m, makes),
            "parent": full(parent),
            "thread": thread_,
            "private": np.full(m, private),
            "qty": full(qty),
            "root": full(root),
        }
        self.parts.append(part)
        self.n += m
        return _Made(idx, part["actor"], part["target"], part["ts"], thread_, part["root"])

    def reply_to(
        self,
        kind: int,
        items: _Made,
        actor: np.ndarray,
        ts: np.ndarray,
        *,
        makes: bool,
        private: bool = False,
        qty: np.ndarray | int = 1,
    ) -> _Made:
        """Rows acting on ``items``: target the item's author, same thread and root."""
        return self.add(
            kind,
            actor,
            ts,
            target=items.actor,
            makes=makes,
            parent=items.idx,
            thread=items.thread,
            private=private,
            qty=qty,
            root=items.root,
        )

    def columns(self) -> dict[str, np.ndarray]:
        """The rows as one array per column; the builder is empty afterwards."""
        parts, self.parts, self.n = self.parts, [], 0
        if not parts:
            return {c: np.empty(0, _DTYPES[c]) for c in _COLUMNS}
        out = {}
        for c in _COLUMNS:
            out[c] = np.concatenate([p.pop(c) for p in parts]).astype(_DTYPES[c], copy=False)
        return out


def _dialogue(
    rows: _Rows,
    rng: np.random.Generator,
    first: _Made,
    answers: Callable[[int, _Made], np.ndarray],
    when: Callable[[np.ndarray], np.ndarray],
    *,
    kind: int = _REPLY,
    private: bool = False,
    depth: int = 8,
) -> list[_Made]:
    """Answers to ``first``, answers to those, ...: each by the person the item was addressed
    to, to its author. ``answers(d, items)`` says which items of level ``d`` get answered."""
    levels = []
    items = first
    for d in range(1, depth + 1):
        items = items.take(answers(d, items))
        if not len(items):
            break
        items = rows.reply_to(
            kind, items, items.target, when(items.ts), makes=True, private=private
        )
        levels.append(items)
    return levels


def _repeat(items: _Made, counts: np.ndarray) -> _Made:
    return _Made(
        *(
            np.repeat(a, counts)
            for a in (items.idx, items.actor, items.target, items.ts, items.thread, items.root)
        )
    )


# -- the background ----------------------------------------------------------------------------


def _background(pop: _Population, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Exactly ``n`` rows of everyday activity: posts and their cascades, conversations."""
    end = pop.end_us
    rows = _Rows()
    n_posts = max(1, int(0.97 * n / _ROWS_PER_POST))
    n_chats = int(_CHATS * n_posts)
    n_follows = int(_FOLLOWS * n_posts)
    # Every row belongs to a root (a post, a conversation, a follow): the window is cut to
    # size by whole roots, so no row loses the item it points at.
    authors = pop.active(rng, n_posts)
    posts = rows.add(_POST, authors, pop.times(rng, authors), makes=True, root=np.arange(n_posts))
    rel = pop.attention[authors]

    def react(kind: int, rate: float, median_s: float, makes: bool) -> _Made:
        counts = rng.poisson(rate * rel)
        on = _repeat(posts, counts)
        who = pop.reactors(rng, on.actor)
        return rows.reply_to(kind, on, who, _after(rng, on.ts, end, median_s, 1.3), makes=makes)

    react(_LIKE, _LIKES, 2 * 3600, False)
    replies = react(_REPLY, _REPLIES, 4 * 3600, True)
    react(_SHARE, _SHARES, 3 * 3600, False)
    quotes = react(_QUOTE, _QUOTES, 5 * 3600, True)
    # A quote is an item of its own: the quoter's cluster likes it now and then.
    on = _repeat(quotes, rng.poisson(0.8, len(quotes)))
    rows.reply_to(
        _LIKE, on, pop.mates(rng, on.actor), _after(rng, on.ts, end, 3 * 3600, 1.3), makes=False
    )
    # Silent audience: anonymous aggregate views of half the posts.
    viewed = posts.take(rng.random(n_posts) < _VIEWED)
    views = 1 + rng.poisson(8 * pop.attention[viewed.actor])
    rows.reply_to(_VIEW, viewed, np.full(len(viewed), -1), viewed.ts, makes=False, qty=views)
    # Mentions: a cluster-mate named in a post, who may answer it with a reply.
    named = posts.take(rng.random(n_posts) < _MENTIONS)
    mentioned = pop.mates(rng, named.actor)
    rows.add(
        _MENTION, named.actor, named.ts, target=mentioned, thread=named.thread, root=named.root
    )
    answer = rng.random(len(named)) < pop.responsive[mentioned]
    named = named.take(answer)
    replies_m = rows.reply_to(
        _REPLY, named, mentioned[answer], _after(rng, named.ts, end, 3 * 3600, 1.3), makes=True
    )

    # Back-and-forth: the person replied to answers with their responsiveness, less and
    # less the longer the exchange.
    def answered(d: int, items: _Made) -> np.ndarray:
        p = pop.responsive[items.target] * (0.8 ** (d - 1))
        return rng.random(len(items)) < p

    def later(t: np.ndarray) -> np.ndarray:
        return _after(rng, t, end, 3 * 3600, 1.6)  # minutes to days

    for first in (replies, replies_m):
        levels = _dialogue(rows, rng, first, answered, later, depth=6)
        # Appreciated giving: the person replied to likes some replies.
        for level in (first, *levels):
            liked = level.take(rng.random(len(level)) < 0.25)
            rows.reply_to(_LIKE, liked, liked.target, later(liked.ts), makes=False)
    # Private conversations, mostly with the nearest cluster-mates.
    who = pop.active(rng, n_chats)
    other = pop.mates(rng, who)
    far = rng.random(n_chats) < 0.15
    strangers = pop.popular(rng, int(far.sum()))
    other[far] = np.where(strangers == who[far], other[far], strangers)
    chats = rows.add(
        _MESSAGE,
        who,
        pop.times(rng, who),
        target=other,
        makes=True,
        private=True,
        root=n_posts + np.arange(n_chats),
    )
    _dialogue(
        rows,
        rng,
        chats,
        lambda d, m: rng.random(len(m)) < pop.responsive[m.target] * 0.9**d + 0.2,
        lambda t: _after(rng, t, end, 3600, 1.5),
        kind=_MESSAGE,
        private=True,
    )
    # Follows: of the popular, or of cluster-mates.
    who = pop.active(rng, n_follows)
    followed = np.where(
        rng.random(n_follows) < 0.5, pop.popular(rng, n_follows), pop.mates(rng, who)
    )
    followed = np.where(followed == who, pop.mates(rng, who), followed)
    rows.add(
        _FOLLOW,
        who,
        pop.times(rng, who),
        target=followed,
        root=n_posts + n_chats + np.arange(n_follows),
    )
    return _cut(pop, rng, rows.columns(), n, n_posts + n_chats + n_follows)


def _cut(
    pop: _Population, rng: np.random.Generator, cols: dict[str, np.ndarray], n: int, roots: int
) -> dict[str, np.ndarray]:
    """Exactly ``n`` rows: whole roots in random order while they fit, then likes of the
    posts kept (in proportion to their authors' attention) up to ``n``."""
    per_root = np.bincount(cols["root"], minlength=roots)
    order = rng.permutation(roots)
    fits = order[np.cumsum(per_root[order]) <= n]
    keep_root = np.zeros(roots, dtype=bool)
    keep_root[fits] = True
    keep = keep_root[cols["root"]]
    renumber = np.cumsum(keep) - 1
    out = {c: a[keep] for c, a in cols.items()}
    del cols
    for c in ("parent", "thread"):
        out[c] = np.where(out[c] >= 0, renumber[np.maximum(out[c], 0)], -1)
    missing = n - len(out["ts"])
    if missing:
        rows = _Rows()
        posts = np.flatnonzero(out["kind"] == _POST)
        if len(posts):
            w = pop.attention[out["actor"][posts]]
            at = np.searchsorted(np.cumsum(w), rng.random(missing) * w.sum(), "right")
            pick = posts[np.minimum(at, len(posts) - 1)]
            author = out["actor"][pick]
            rows.add(
                _LIKE,
                pop.reactors(rng, author),
                _after(rng, out["ts"][pick], pop.end_us, 2 * 3600, 1.3),
                target=author,
                parent=pick,
                thread=out["thread"][pick],
            )
        else:
            who = pop.active(rng, missing)
            rows.add(_POST, who, pop.times(rng, who), makes=True)
        extra = rows.columns()
        base = len(out["ts"])
        extra["thread"] = np.where(extra["kind"] == _POST, extra["thread"] + base, extra["thread"])
        out = {c: np.concatenate([out[c], extra[c]]) for c in _COLUMNS}
    return out


# -- the planted roles -------------------------------------------------------------------------


def _planted(
    pop: _Population, rng: np.random.Generator, plan: dict[str, int], events: int
) -> dict[str, Any]:
    """Rows of the planted roles. Planted accounts are persons ``pop.n + k``."""
    P = pop.n
    start, end = pop.start_us, pop.end_us
    span = end - start
    handles = _planted_handles(plan)
    me = {h: P + i for i, h in enumerate(handles)}
    rows = _Rows()

    def when(n: int, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
        t = start + ((lo + (hi - lo) * rng.random(n)) * span).astype(np.int64)
        return np.sort(_rhythm(rng, t, np.int64(start), np.int64(end - 1)))

    def hours(t: np.ndarray, lo: float = 0.25, hi: float = 5.0) -> np.ndarray:
        return _within(rng, t, end, lo * 3600, hi * 3600)

    # Broadcaster: posts; many distinct people like, reply, share, quote; mentions; follows.
    potus = me["potus"]
    # Recognisable at any size: more engagers per post than the most popular background
    # author can expect, and twice the reception of the one who can expect the most.
    per_post = _LIKES + _REPLIES + _SHARES + _QUOTES
    k = max(plan["broadcaster_engagers"], math.ceil(1.2 * per_post * pop.attention.max()))
    top = events / _ROWS_PER_POST * per_post * float((pop.activity * pop.attention).max())
    n_posts = max(plan["broadcaster_posts"], math.ceil(2 * top / k))
    posts = rows.add(_POST, potus, when(n_posts), makes=True)
    pairs = np.unique(np.repeat(np.arange(n_posts), k) * P + pop.active(rng, n_posts * k))
    on = _Made(
        *(
            a[pairs // P]
            for a in (posts.idx, posts.actor, posts.target, posts.ts, posts.thread, posts.root)
        )
    )
    fans = pairs % P
    kinds = np.searchsorted([0.7, 0.88, 0.97], rng.random(len(fans)), "right")
    for kind, code in enumerate((_LIKE, _REPLY, _SHARE, _QUOTE)):
        sel = kinds == kind
        rows.reply_to(
            code,
            on.take(sel),
            fans[sel],
            _after(rng, on.ts[sel], end, 3 * 3600, 1.2),
            makes=code in (_REPLY, _QUOTE),
        )
    rows.reply_to(_VIEW, posts, np.full(n_posts, -1), posts.ts, makes=False, qty=100 * k)
    who = pop.active(rng, 2 * n_posts)
    said = rows.add(_POST, who, when(len(who)), makes=True)
    rows.add(_MENTION, who, said.ts, target=potus, thread=said.idx)
    followers = np.unique(pop.active(rng, 2 * k))
    rows.add(_FOLLOW, followers, when(len(followers)), target=potus)

    # Connector: her posts answered by friends, she answers every reply within hours; she
    # comments on her friends' posts and they answer; private chats with them.
    julie, friends = me["julie"], pop.friends
    jp = plan["connector_posts"]
    jposts = rows.add(_POST, julie, when(jp), makes=True)
    n_rep = rng.integers(3, 6, jp)
    on = _repeat(jposts, n_rep)
    picks = np.concatenate([rng.choice(friends, m, replace=False) for m in n_rep])
    first = rows.reply_to(_REPLY, on, picks, hours(on.ts, 0.5, 8), makes=True)
    fans_like = _repeat(jposts, rng.integers(2, 5, jp))
    rows.reply_to(
        _LIKE,
        fans_like,
        rng.choice(friends, len(fans_like)),
        hours(fans_like.ts, 0.2, 12),
        makes=False,
    )
    fp = plan["friend_posts"]
    author = friends[np.arange(fp) % len(friends)]
    fposts = rows.add(_POST, author, when(fp), makes=True)
    comment = rows.reply_to(
        _REPLY, fposts, np.full(fp, julie), hours(fposts.ts, 0.2, 6), makes=True
    )
    rows.reply_to(_LIKE, fposts, np.full(fp, julie), hours(fposts.ts, 0.1, 6), makes=False)

    def julie_answers(d: int, items: _Made) -> np.ndarray:
        # Everything addressed to her is answered, and what she starts is answered by the
        # friend; then a friend answers back less and less.
        return (items.target == julie) | (d == 1) | (rng.random(len(items)) < 0.7 ** (d - 1))

    def julie_dialogue(first: _Made, kind: int) -> list[_Made]:
        private = kind == _MESSAGE
        levels = _dialogue(rows, rng, first, julie_answers, hours, kind=kind, private=private)
        # The last word is hers: a chain cut at its depth on a friend's turn gets her answer.
        last = levels[-1] if levels else first
        pending = last.take(last.target == julie)
        answer = np.full(len(pending), julie)
        rows.reply_to(kind, pending, answer, hours(pending.ts), makes=True, private=private)
        return levels

    for start_items in (first, comment):
        levels = julie_dialogue(start_items, _REPLY)
        # Appreciation both ways: friends like her answers, she likes some of theirs.
        for level in (start_items, *levels):
            liked = level.take(rng.random(len(level)) < np.where(level.actor == julie, 0.6, 0.4))
            rows.reply_to(_LIKE, liked, liked.target, hours(liked.ts), makes=False)
    jc = plan["connector_chats"]
    mate = friends[rng.integers(0, len(friends), jc)]
    opener = np.where(np.arange(jc) % 2 == 0, julie, mate)
    chats = rows.add(
        _MESSAGE,
        opener,
        when(jc),
        target=np.where(opener == julie, mate, julie),
        makes=True,
        private=True,
    )
    julie_dialogue(chats, _MESSAGE)

    # Listener: posts little; answers nearly every reply, mention and message.
    listener = me["listener"]

    def nearly(t: np.ndarray) -> np.ndarray:
        # All but one in twenty, chosen at random.
        return rng.permutation(len(t)) >= len(t) // 20

    lposts = rows.add(_POST, listener, when(plan["listener_posts"]), makes=True)
    on = _repeat(lposts, rng.integers(3, 6, len(lposts)))
    first = rows.reply_to(
        _REPLY, on, pop.active(rng, len(on)), _after(rng, on.ts, end, 4 * 3600, 1.2), makes=True
    )
    ok = nearly(first.ts)
    rows.reply_to(
        _REPLY,
        first.take(ok),
        np.full(int(ok.sum()), listener),
        _after(rng, first.ts[ok], end, 2 * 3600, 1.0),
        makes=True,
    )
    who = pop.active(rng, plan["listener_mentions"])
    said = rows.add(_POST, who, when(len(who)), makes=True)
    rows.add(_MENTION, who, said.ts, target=listener, thread=said.idx)
    ok = nearly(said.ts)
    rows.reply_to(
        _REPLY,
        said.take(ok),
        np.full(int(ok.sum()), listener),
        _after(rng, said.ts[ok], end, 2 * 3600, 1.0),
        makes=True,
    )
    who = pop.active(rng, plan["listener_messages"])
    msgs = rows.add(_MESSAGE, who, when(len(who)), target=listener, makes=True, private=True)
    ok = nearly(msgs.ts)
    rows.reply_to(
        _MESSAGE,
        msgs.take(ok),
        np.full(int(ok.sum()), listener),
        _after(rng, msgs.ts[ok], end, 2 * 3600, 1.0),
        makes=True,
        private=True,
    )

    # Spray-liker: one like on one post each of distinct strangers, within minutes.
    strangers = rng.choice(P, min(plan["spray"], P), replace=False)
    sposts = rows.add(_POST, strangers, pop.times(rng, strangers), makes=True)
    rows.reply_to(
        _LIKE,
        sposts,
        np.full(len(sposts), me["sprayer"]),
        _after(rng, sposts.ts, end, 20 * 60, 1.0),
        makes=False,
    )

    # Like ring: every member likes every post of every other member, and nobody else does.
    ring = np.array([me[f"ring{i}"] for i in range(plan["ring"])])
    authors = np.repeat(ring, plan["ring_posts"])
    rposts = rows.add(_POST, authors, when(len(authors)), makes=True)
    on = _repeat(rposts, np.full(len(rposts), len(ring) - 1))
    others = np.array([[o for o in ring if o != a] for a in ring])
    likers = others[np.searchsorted(ring, rposts.actor)].ravel()
    rows.reply_to(_LIKE, on, likers, _after(rng, on.ts, end, 30 * 60, 1.0), makes=False)

    # Bot amplification: bots created late like every late post of one account and share
    # most of them, within minutes; they do nothing else.
    bots = np.array([me[f"bot{i}"] for i in range(plan["bots"])])
    aposts = rows.add(_POST, me["amplified"], when(plan["amplified_posts"], 0.74, 0.99), makes=True)
    on = _repeat(aposts, np.full(len(aposts), len(bots)))
    amp = np.tile(bots, len(aposts))
    rows.reply_to(_LIKE, on, amp, _after(rng, on.ts, end, 5 * 60, 1.0), makes=False)
    shared = rng.random(len(on)) < 0.6
    on = on.take(shared)
    rows.reply_to(_SHARE, on, amp[shared], _after(rng, on.ts, end, 8 * 60, 1.0), makes=False)

    # Sock-puppets: threads of long reply chains between the two, and nobody else.
    socks = np.array([me["sock0"], me["sock1"]])
    st = plan["sock_threads"]
    roots = rows.add(_POST, socks[np.arange(st) % 2], when(st), makes=True, root=np.arange(st))
    length = 1 + rng.multinomial(plan["sock_replies"] - st, np.full(st, 1 / st))
    first = rows.reply_to(
        _REPLY,
        roots,
        socks[1 - np.arange(st) % 2],
        _after(rng, roots.ts, end, 20 * 60, 1.0),
        makes=True,
    )
    _dialogue(
        rows,
        rng,
        first,
        lambda d, m: d < length[m.root],
        lambda t: _after(rng, t, end, 15 * 60, 1.0),
        depth=int(length.max()),
    )

    cols = rows.columns()
    people = _planted_people(pop, rng, plan, handles)
    return {"rows": cols, "people": people}


def _planted_people(
    pop: _Population, rng: np.random.Generator, plan: dict[str, int], handles: list[str]
) -> dict[str, np.ndarray]:
    """Audience sizes and creation times of the planted accounts."""
    start, span = pop.start_us, pop.end_us - pop.start_us
    audience = {
        "potus": 1000 * pop.n,
        "julie": 180,
        "listener": 90,
        "sprayer": 35,
        "amplified": 5000,
        "sock0": 12,
        "sock1": 9,
    }
    n = len(handles)
    created = start - (rng.uniform(200, 3000, n) * _DAY).astype(np.int64)
    aud = np.array([audience.get(h, 40) for h in handles], dtype=np.int64)
    is_bot = np.array([h.startswith("bot") for h in handles])
    # Bots appear shortly before the amplified posts begin (74% of the span).
    bot_start = start + int(0.72 * span)
    created[is_bot] = bot_start + (rng.random(int(is_bot.sum())) * 0.02 * span).astype(np.int64)
    aud[is_bot] = rng.integers(0, 6, int(is_bot.sum()))
    return {"created": created, "audience": aud}


# -- Arrow -------------------------------------------------------------------------------------


_KIND_ARRAY = pa.array(_KIND_NAMES, pa.string())
_VISIBILITY = pa.array(["public", "private"], pa.string())


def _prefixed(prefix: str, numbers: pa.Array) -> pa.Array:
    """``prefix`` + each number as text (null stays null), vectorised.

    >>> _prefixed("s0-", pa.array([1, None, 20])).to_pylist()
    ['s0-1', None, 's0-20']
    """
    return pc.binary_replace_slice(pc.cast(numbers, pa.string()), 0, 0, prefix)


def _people_ids(pop: _Population, handles: list[str]) -> pa.Array:
    background = _prefixed(_PREFIX + "u", pa.array(np.arange(pop.n, dtype=np.int64)))
    planted = pa.array([_PREFIX + h for h in handles], pa.string())
    return pa.concat_arrays([background, planted])


def _batch(
    cols: dict[str, np.ndarray], own: np.ndarray, first: int, prefix: str, ids: pa.Array
) -> pa.RecordBatch:
    """Rows of a block as a record batch of :data:`EVENTS`.

    ``own`` are the rows' numbers in their block (parents and threads refer to such
    numbers); block row ``k`` is event ``first + k``.
    """
    n = len(cols["ts"])

    def ref(rows: np.ndarray) -> pa.Array:
        nums = pa.array(rows + first, mask=rows < 0)
        return _prefixed(prefix, nums)

    def person(p: np.ndarray) -> pa.Array:
        return pc.take(ids, pa.array(p, mask=p < 0))

    event_id = ref(own)
    null = pa.scalar(None, pa.string())
    columns = {
        "event_id": event_id,
        "ts": pa.array(cols["ts"], pa.int64()).cast(TS_TYPE),
        "platform": pa.repeat(pa.scalar(PLATFORM, pa.string()), n),
        "actor": person(cols["actor"]),
        "kind": pc.take(_KIND_ARRAY, pa.array(cols["kind"])),
        "target": person(cols["target"]),
        "content_id": pc.if_else(pa.array(cols["makes"]), event_id, null),
        "parent_id": ref(cols["parent"]),
        "thread_id": ref(cols["thread"]),
        "visibility": pc.take(_VISIBILITY, pa.array(cols["private"].view(np.int8))),
        "quantity": pa.array(cols["qty"], pa.int64()),
    }
    arrays = [columns.get(f.name, pa.nulls(n, f.type)) for f in EVENTS]
    return pa.RecordBatch.from_arrays(arrays, schema=EVENTS)


def _people_batch(
    ids: pa.Array,
    rows: np.ndarray,
    handles: pa.Array,
    names: pa.Array,
    audience: np.ndarray,
    created: np.ndarray,
) -> pa.RecordBatch:
    n = len(rows)
    arrays = [
        pc.take(ids, pa.array(rows)),
        pa.repeat(pa.scalar(PLATFORM, pa.string()), n),
        handles,
        names,
        pa.array(audience, pa.int64()),
        pa.array(created, pa.int64()).cast(TS_TYPE),
        pa.nulls(n, pa.string()),
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=PEOPLE)


#: Rows per record batch handed out: Arrow works fastest on batches that fit in cache, and
#: the store inserts a row group of DuckDB's as it is.
_BATCH_ROWS = ROW_GROUP_ROWS


def _slices(n: int, size: int) -> Iterator[tuple[int, int]]:
    for lo in range(0, n, size):
        yield lo, min(n, lo + size)


def _chunks(spec: _Spec) -> Iterator[Chunk]:
    plan = _plan(spec.events)
    pop = _population(spec)
    handles = _planted_handles(plan)
    ids = _people_ids(pop, handles)
    path = Path(spec.prefix.rstrip("-"))
    seen = np.zeros(len(ids), dtype=bool)
    done = 0

    def emit(cols: dict[str, np.ndarray], lo: int, hi: int) -> Chunk:
        nonlocal done
        part = {c: a[lo:hi] for c, a in cols.items()}
        # Parents and threads are row numbers of the whole block: shift to this slice.
        batch = _batch(part, np.arange(lo, hi, dtype=np.int64), done - lo, spec.prefix, ids)
        for c in ("actor", "target"):
            p = part[c]
            seen[p[p >= 0]] = True
        done += hi - lo
        return Chunk("events", batch, path, done)

    planted = _planted(pop, np.random.default_rng([spec.seed, *_PLANTED_STREAM]), plan, spec.events)
    cols = planted["rows"]
    n_planted = len(cols["ts"])
    if n_planted >= spec.events:  # pragma: no cover - _plan keeps it under half at 1000
        raise AssertionError(f"planted roles need {n_planted} events of {spec.events}")
    for lo, hi in _slices(n_planted, min(spec.window, _BATCH_ROWS)):
        yield emit(cols, lo, hi)
    rest = spec.events - n_planted
    windows = -(-rest // spec.window)
    for w in range(windows):
        n = rest // windows + (w < rest % windows)
        block = _background(pop, np.random.default_rng([spec.seed, w]), n)
        for lo, hi in _slices(n, min(spec.window, _BATCH_ROWS)):
            yield emit(block, lo, hi)
    # People: everyone who appeared, with what the platform would say about them.
    rows = np.flatnonzero(seen)
    P = pop.n
    planted_people = planted["people"]
    for lo, hi in _slices(len(rows), spec.window):
        part = rows[lo:hi]
        bg = part < P
        handles_ = pc.utf8_slice_codeunits(pc.take(ids, pa.array(part)), len(_PREFIX))
        names = _display_names(handles_)
        bi = np.where(bg, part, 0)
        pi = np.where(bg, 0, part - P)
        audience = np.where(bg, pop.audience[bi], planted_people["audience"][pi])
        created = np.where(bg, pop.created[bi], planted_people["created"][pi])
        batch = _people_batch(ids, part, handles_, names, audience, created)
        yield Chunk("people", batch, path, done)


def _display_names(handles: pa.Array) -> pa.Array:
    """'u12' -> 'User 12', 'ring3' -> 'Ring3', 'potus' -> 'POTUS', 'julie' -> 'Julie'."""
    user = pc.starts_with(handles, "u")
    named = pc.utf8_capitalize(handles)
    users = pc.binary_replace_slice(handles, 0, 1, "User ")
    out = pc.if_else(user, users, named)
    return pc.if_else(pc.equal(handles, "potus"), pa.scalar("POTUS"), out)
