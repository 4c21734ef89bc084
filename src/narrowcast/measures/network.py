"""PageRank as table operations: one power-iteration step is a join and a group-by.

The step is defined here once; an engine runs the loop (materialising each step) or, where
measured speed demands it, a kernel of its own that a test holds equal to this one.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

__all__ = [
    "CHECK_EVERY",
    "DAMPING",
    "MAX_ITERATIONS",
    "TOLERANCE",
    "checked",
    "pagerank_graph",
    "pagerank_step",
    "stops",
]

#: The probability of following an edge rather than jumping anywhere (Page et al.).
DAMPING = 0.85

#: The power iteration stops at the first check where the last step moved the ranks less
#: than this in total (L1; the ranks sum to 1), or after :data:`MAX_ITERATIONS` steps.
TOLERANCE = 1e-10
#: The change is checked every this many steps, on every engine, so that every engine runs
#: the same steps (on Spark a check is a job of its own).
CHECK_EVERY = 10
MAX_ITERATIONS = 100


def stops(step: int, change: float | None, *, tol: float = TOLERANCE) -> bool:
    """Whether the power iteration stops after ``step`` (1, 2, ...) steps, the last of which
    moved the ranks by ``change`` (L1; None where not measured).

    >>> stops(10, 1e-11), stops(7, 1e-11), stops(20, 1e-3), stops(100, None)
    (True, False, False, True)
    """
    if step >= MAX_ITERATIONS:
        return True
    return checked(step) and change is not None and change < tol


def checked(step: int) -> bool:
    """Whether the change of step ``step`` is measured (:func:`stops` needs it)."""
    return step % CHECK_EVERY == 0 or step >= MAX_ITERATIONS


TELEPORTS = ("uniform", "received", "degree")


def pagerank_graph(edges: ir.Table, teleport: str = "uniform") -> tuple[ir.Table, ir.Table]:
    """The nodes and the row-normalised edges of a weighted directed graph.

    ``edges`` has ``src``, ``dst``, ``weight`` (> 0; repeated pairs are summed). Returns
    ``nodes`` (``node``; ``teleport``: where a random jump lands, summing to 1; ``dangling``:
    whether the node has no out-edge) and ``links`` (``src``, ``dst``, ``p`` = weight /
    out-weight of src).

    ``teleport`` ``uniform`` lands anywhere; ``received`` only on nodes that some other
    node points to, so that a crowd of fresh accounts nobody engages with has no rank of
    its own to hand on (the giver's standing, in the spirit of TrustRank: Gyöngyi,
    Garcia-Molina, Pedersen, "Combating web spam with TrustRank", VLDB 2004), and where
    ``edges`` has a ``trust`` column (> 0, the pointing node's), in proportion to the
    largest trust of those pointing to it, so that trust enters where established nodes
    point; ``degree`` on nodes in proportion to how many others they point to.
    """
    if "trust" not in edges.columns:  # every pointing node alike
        edges = edges.mutate(trust=ibis.literal(1.0))
    e = (
        edges.filter(edges.weight > 0)
        .group_by(["src", "dst"])
        .agg(weight=lambda x: x.weight.sum(), trust=lambda x: x.trust.max())
    )
    out = e.group_by("src").agg(out=e.weight.sum())
    links = e.join(out, "src").select("src", "dst", p=e.weight / out.out)
    nodes = e.select(node=e.src).union(e.select(node=e.dst)).distinct()
    # Each source's count of distinct out-edges: none makes a node dangling.
    deg = e.group_by(node=e.src).agg(hit=lambda x: x.count().cast("float64"))
    nodes = nodes.left_join(deg, "node").drop("node_right")
    nodes = nodes.mutate(dangling=nodes.hit.isnull())
    if teleport == "uniform":
        hits, mass = ibis.literal(1.0), nodes.count().as_scalar()
    else:
        if teleport == "degree":
            hits = nodes.hit.fill_null(0.0)
        else:
            pointed = e.group_by(node=e.dst).agg(pointed=lambda x: x.trust.max())
            nodes = nodes.left_join(pointed, "node").drop("node_right")
            hits = nodes.pointed.fill_null(0.0)
        mass = hits.sum().as_scalar()
    return nodes.select("node", "dangling", teleport=hits / mass), links


def pagerank_step(links: ir.Table, ranks: ir.Table, damping: float = DAMPING) -> ir.Table:
    """One step of the power iteration.

    .. math:: r'_v = (1-d)\\,t_v + d\\Big(\\sum_{u \\to v} r_u p_{uv}
              + t_v\\sum_{u\\ \\mathrm{dangling}} r_u\\Big)

    where :math:`p_{uv}` is u's share of weight toward v, :math:`t_v` the node's teleport
    share (1/N when uniform) and dangling nodes (no out-edges) spread their rank as the
    teleport does. Ranks sum to 1. ``links`` are those of :func:`pagerank_graph`;
    ``ranks`` has every node with its ``dangling``, ``teleport`` and ``pagerank``
    (:func:`initial_ranks`, then each step's result).

    The rank flowing along the links and each node's own row are summed in one group-by
    over their union: on Spark one shuffle a step fewer than a group-by of the flow joined
    back to the nodes.

    References
    ----------
    .. [1] Page, Brin, Motwani, Winograd, "The PageRank citation ranking: bringing order to
       the web", Stanford InfoLab (1999).
    .. [2] Langville, Meyer, "Deeper inside PageRank", Internet Math. 1(3) (2004).
    """
    j = links.join(ranks, links.src == ranks.node)
    flow = j.select(
        node=j.dst,
        dangling=ibis.null("boolean"),
        teleport=ibis.null("float64"),
        inflow=j.p * j.pagerank,
    )
    own = ranks.select("node", "dangling", "teleport", inflow=ibis.literal(0.0))
    u = own.union(flow)
    g = u.group_by("node").agg(
        dangling=u.dangling.max(), teleport=u.teleport.max(), inflow=u.inflow.sum()
    )
    dangling = ranks.filter(ranks.dangling).pagerank.sum().fill_null(0.0)
    return g.select(
        "node",
        "dangling",
        "teleport",
        pagerank=(1.0 - damping) * g.teleport
        + damping * (g.inflow + dangling.as_scalar() * g.teleport),
    )


def initial_ranks(nodes: ir.Table) -> ir.Table:
    """Every node starts at its teleport share."""
    return nodes.mutate(pagerank=nodes.teleport)


__all__ += ["TELEPORTS", "initial_ranks"]
