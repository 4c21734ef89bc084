"""The event log: one table every source becomes, and its two companions.

Every importer turns its source into rows of :data:`EVENTS`; the store keeps them; the
measures read them. Nothing else about a source survives import, so this module is the
contract between all three.

Columns of ``events`` (see DESIGN.md, "One data model: the event log"):

``event_id``
    Stable id from the source, unique within its platform. An importer may leave it null;
    the store then uses a hash of the row. Where an importer says its ids may repeat (an edge
    list has no ids: two identical rows are two real events), the store numbers repeats
    within one import ``id``, ``id#1``, ``id#2`` ... so that importing the same input twice
    adds nothing while distinct events are never merged.
``ts``
    When, UTC, microsecond precision.
``platform``
    Which community the event belongs to (``stackexchange``, ``snap``, or the user's
    ``--platform`` name). Person ids and item ids are unique within a platform.
``actor``
    Platform-qualified id of who acted (``platform:raw-id``), or null when the source does
    not say (anonymous votes, aggregate view counts): such rows are reception for the
    target and never form a tie. One exception: an ``accept`` with a null actor is filled by
    the store with the author of its thread's root (the asker), as Stack Exchange records
    acceptances as anonymous votes.
``kind``
    One of :data:`KINDS`.
``target``
    Platform-qualified id of the person acted toward: the author of the item acted on, or
    the person mentioned, messaged or followed. Null where unknown; an importer may leave it
    null when the item acted on (``parent_id``) is itself in the log, and the store fills it
    with that item's author.
``content_id``
    The item this event created (a post, a reply, a message), if any.
``parent_id``
    The item acted on (the post liked, replied to, shared).
``thread_id``
    The conversation's root item. Left null, the store takes the parent's thread.
``visibility``
    ``public`` or ``private`` (direct messages, e-mail between two people).
``quantity``
    How many events this row stands for: 1, except for aggregates a source only gives as
    totals (a post's view count).
``subtype``
    The source's own name for what happened (``a2q``, ``VoteTypeId=3``, ``RT``), so that no
    distinction the source makes is lost by mapping it to a kind.
``text``
    Optional content; used only to detect echoes (links, tags, phrases).
``source``
    Which import brought the row: ``format:file-name:sha256-prefix``. Set by the store.
"""

from __future__ import annotations

from types import MappingProxyType

import pyarrow as pa

__all__ = [
    "EVENTS",
    "IDENTITIES",
    "KINDS",
    "PEOPLE",
    "TS_TYPE",
    "VISIBILITIES",
    "person_id",
]

#: What each event kind means. The first eleven are DESIGN.md's; the last four keep what
#: vote-based sources (Stack Exchange) record beyond likes, so importers never drop events.
KINDS: MappingProxyType[str, str] = MappingProxyType(
    {
        "post": "a new item that starts a thread",
        "reply": "an answer or comment on someone's item",
        "like": "an up-vote, favourite, reaction or like on someone's item",
        "share": "a re-post of someone's item without comment (boost, retweet)",
        "quote": "a re-post of someone's item with comment",
        "mention": "naming a person in an item",
        "message": "a private message to a person",
        "follow": "subscribing to a person",
        "view": "reading or seeing an item (often anonymous and aggregate)",
        "accept": "an asker accepts an answer",
        "edit": "improving an item (on someone else's item: help)",
        "dislike": "a down-vote on someone's item",
        "bookmark": "saving someone's item for later (a Stack Exchange favourite)",
        "bounty": "offering reputation to draw answers to an item",
        "moderate": "a moderation act on an item: flag, close, delete, review",
    }
)

VISIBILITIES = ("public", "private")

TS_TYPE = pa.timestamp("us", tz="UTC")

EVENTS = pa.schema(
    [
        pa.field("event_id", pa.string()),
        pa.field("ts", TS_TYPE, nullable=False),
        pa.field("platform", pa.string(), nullable=False),
        pa.field("actor", pa.string()),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("target", pa.string()),
        pa.field("content_id", pa.string()),
        pa.field("parent_id", pa.string()),
        pa.field("thread_id", pa.string()),
        pa.field("visibility", pa.string(), nullable=False),
        pa.field("quantity", pa.int64(), nullable=False),
        pa.field("subtype", pa.string()),
        pa.field("text", pa.string()),
        pa.field("source", pa.string()),
    ]
)

PEOPLE = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("platform", pa.string(), nullable=False),
        pa.field("handle", pa.string()),
        pa.field("display_name", pa.string()),
        pa.field("audience_size", pa.int64()),
        pa.field("created_at", TS_TYPE),
        pa.field("attributes", pa.string()),  # JSON object of source-specific fields
    ]
)

IDENTITIES = pa.schema(
    [
        pa.field("person", pa.string(), nullable=False),  # the one person
        pa.field("account", pa.string(), nullable=False),  # one of their platform ids
        pa.field("origin", pa.string()),  # how the link was made
    ]
)


def person_id(platform: str, raw: object) -> str:
    """The platform-qualified id of a person.

    >>> person_id("snap", 42)
    'snap:42'
    """
    return f"{platform}:{raw}"
