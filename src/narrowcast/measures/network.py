"""PageRank as table operations: one power-iteration step is a join and a group-by.

The step is defined here once; an engine runs the loop (materialising each step) or, where
measured speed demands it, a kernel of its own that a test holds equal to this one.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

__all__ = ["DAMPING", "pagerank_graph", "pagerank_step"]

#: The probability of following an edge rather than jumping anywhere (Page et al.).
DAMPING = 0.85


def pagerank_graph(edges: ir.Table) -> tuple[ir.Table, ir.Table]:
    """The nodes and the row-normalised edges of a weighted directed graph.

    ``edges`` has ``src``, ``dst``, ``weight`` (> 0; repeated pairs are summed). Returns
    ``nodes`` (``node``) and ``links`` (``src``, ``dst``, ``p`` = weight / out-weight of
    src).
    """
    e = edges.filter(edges.weight > 0).group_by(["src", "dst"]).agg(weight=lambda x: x.weight.sum())
    out = e.group_by("src").agg(out=e.weight.sum())
    links = e.join(out, "src").select("src", "dst", p=e.weight / out.out)
    nodes = e.select(node=e.src).union(e.select(node=e.dst)).distinct()
    return nodes, links


def pagerank_step(
    nodes: ir.Table, links: ir.Table, ranks: ir.Table, n: int, damping: float = DAMPING
) -> ir.Table:
    """One step of the power iteration.

    .. math:: r'_v = \\frac{1-d}{N} + d\\Big(\\sum_{u \\to v} r_u p_{uv}
              + \\frac{1}{N}\\sum_{u\\ \\mathrm{dangling}} r_u\\Big)

    where :math:`p_{uv}` is u's share of weight toward v and dangling nodes (no out-edges)
    spread their rank evenly. Ranks sum to 1.

    References
    ----------
    .. [1] Page, Brin, Motwani, Winograd, "The PageRank citation ranking: bringing order to
       the web", Stanford InfoLab (1999).
    .. [2] Langville, Meyer, "Deeper inside PageRank", Internet Math. 1(3) (2004).
    """
    flow = (
        links.join(ranks, links.src == ranks.node)
        .group_by(links.dst)
        .agg(inflow=lambda x: (x.p * x.pagerank).sum())
    )
    sources = links.select(node=links.src).distinct()
    dangling = ranks.anti_join(sources, "node").pagerank.sum().fill_null(0.0)
    joined = nodes.left_join(flow, nodes.node == flow.dst)
    return joined.select(
        node=joined.node,
        pagerank=(1.0 - damping) / n
        + damping * (joined.inflow.fill_null(0.0) + dangling.as_scalar() / n),
    )


def initial_ranks(nodes: ir.Table, n: int) -> ir.Table:
    """Every node starts at 1/N."""
    return nodes.mutate(pagerank=ibis.literal(1.0 / n))


__all__ += ["initial_ranks"]
