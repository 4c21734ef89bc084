"""PageRank: the sparse kernel and the portable table loop, on graphs checked by hand, and
held equal to each other on a random graph (DESIGN.md, "Engines").

Damping d = 0.85 and N nodes: r_v = (1 - d)/N + d (sum_{u->v} r_u p_uv + dangling/N).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narrowcast.engines import DuckDBRunner, pagerank_sparse
from narrowcast.measures.network import DAMPING, TOLERANCE
from narrowcast.measures.score import pagerank_loop

Edges = list[tuple[int, int, float]]

#: How close the iteration gets to the exact ranks: it stops once a step moves them less
#: than TOLERANCE in total, which leaves them within TOLERANCE * d / (1 - d) of the limit.
CLOSE = TOLERANCE * DAMPING / (1 - DAMPING)


def _sparse(edges: Edges) -> dict[int, float]:
    src, dst, weight = (np.array(c) for c in zip(*edges, strict=True)) if edges else ([],) * 3
    nodes, ranks = pagerank_sparse(
        np.asarray(src, dtype=np.int64),
        np.asarray(dst, dtype=np.int64),
        np.asarray(weight, dtype=np.float64),
    )
    return dict(zip(nodes.tolist(), ranks.tolist(), strict=True))


def _runner(edges: Edges, kernel: str) -> tuple[DuckDBRunner, object]:
    con = duckdb.connect()
    data = pa.table(
        {
            "src": pa.array([e[0] for e in edges], pa.int32()),
            "dst": pa.array([e[1] for e in edges], pa.int32()),
            "weight": pa.array([float(e[2]) for e in edges], pa.float64()),
        }
    )
    con.register("data", data)
    con.execute("CREATE TABLE edges AS SELECT * FROM data")
    runner = DuckDBRunner(con, kernel=kernel)
    return runner, runner.ibis.table("edges")


def _as_dict(ranks: pa.Table) -> dict[int, float]:
    nodes, values = ranks.column("node").to_pylist(), ranks.column("pagerank").to_pylist()
    return dict(zip(nodes, values, strict=True))


def _tables(edges: Edges) -> dict[int, float]:
    """The portable loop of joins (:func:`pagerank_loop`) on the runner's DuckDB."""
    runner, table = _runner(edges, "tables")
    return _as_dict(runner.to_arrow(pagerank_loop(runner, table, "pr")))


def _runner_sparse(edges: Edges) -> dict[int, float]:
    """What the scoring calls: ``DuckDBRunner.pagerank`` with its default sparse kernel."""
    runner, table = _runner(edges, "sparse")
    return _as_dict(runner.to_arrow(runner.pagerank(table, "pr")))


ALGORITHMS = pytest.mark.parametrize("pagerank", [_sparse, _tables, _runner_sparse])


@ALGORITHMS
def test_a_directed_cycle_ranks_everyone_equally(pagerank):
    """0 -> 1 -> 2 -> 0: by symmetry 1/3 each."""
    ranks = pagerank([(0, 1, 1.0), (1, 2, 1.0), (2, 0, 1.0)])
    assert ranks == pytest.approx({0: 1 / 3, 1: 1 / 3, 2: 1 / 3}, abs=CLOSE)


@ALGORITHMS
def test_a_star_into_a_dangling_centre(pagerank):
    """1 -> 0 and 2 -> 0; the centre 0 has no out-edge and spreads its rank evenly.
    r_0 = 0.05 + 0.85 (r_1 + r_2 + r_0/3) with r_1 + r_2 = 1 - r_0 gives r_0 = 0.9 / (47/30)
    = 27/47; each leaf 0.05 + 0.85 r_0 / 3 = 10/47."""
    ranks = pagerank([(1, 0, 1.0), (2, 0, 1.0)])
    assert ranks == pytest.approx({0: 27 / 47, 1: 10 / 47, 2: 10 / 47}, abs=CLOSE)


#: Node 1 splits its weight 3 : 1 between 0 and 2; 2 links to 0; 0 dangles.
#: r_1 = 0.05 + 0.85 r_0 / 3 (only 0's even spread reaches 1),
#: r_2 = 0.05 + 0.85 (r_1 / 4 + r_0 / 3), and r_0 = 1 - r_1 - r_2, give
#: r_0 = 4269/7809, r_1 = 1600/7809, r_2 = 1940/7809.
SPLIT = {0: 4269 / 7809, 1: 1600 / 7809, 2: 1940 / 7809}


@ALGORITHMS
def test_weights_split_a_nodes_rank(pagerank):
    """1 -> 0 (weight 3), 1 -> 2 (weight 1), 2 -> 0: see :data:`SPLIT`."""
    ranks = pagerank([(1, 0, 3.0), (1, 2, 1.0), (2, 0, 1.0)])
    assert ranks == pytest.approx(SPLIT, abs=CLOSE)


@ALGORITHMS
def test_repeated_pairs_are_summed_and_zero_weights_dropped(pagerank):
    """The weight-3 edge given as 1 + 2, plus an edge of weight 0 to a node 9 that then
    does not exist: the same ranks as :data:`SPLIT`."""
    ranks = pagerank([(1, 0, 1.0), (1, 0, 2.0), (1, 2, 1.0), (2, 0, 1.0), (2, 9, 0.0)])
    assert ranks == pytest.approx(SPLIT, abs=CLOSE)


@ALGORITHMS
def test_no_edges_no_ranks(pagerank):
    assert pagerank([]) == {}


def _random_edges(seed: int = 7, n_edges: int = 200, n_nodes: int = 60) -> Edges:
    """About 200 weighted edges with repeats, some zero weights and dangling nodes."""
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n_nodes, n_edges)
    dst = rng.integers(0, n_nodes + 10, n_edges)  # nodes 60-69 only receive: dangling
    weight = rng.random(n_edges).round(3)
    weight[rng.random(n_edges) < 0.05] = 0.0
    return [(int(s), int(d), float(w)) for s, d, w in zip(src, dst, weight, strict=True)]


@pytest.fixture(scope="module")
def random_ranks() -> dict[str, dict[int, float]]:
    edges = _random_edges()
    return {"sparse": _sparse(edges), "tables": _tables(edges), "runner": _runner_sparse(edges)}


def test_ranks_sum_to_one(random_ranks):
    for ranks in random_ranks.values():
        assert sum(ranks.values()) == pytest.approx(1.0, abs=1e-12)


def test_the_sparse_kernel_equals_the_table_loop(random_ranks):
    """The engine-specific kernel is allowed only where a test holds it equal to the portable
    one (DESIGN.md): same nodes, ranks equal to 1e-9."""
    sparse, tables, runner = (random_ranks[k] for k in ("sparse", "tables", "runner"))
    assert set(sparse) == set(tables) == set(runner)
    assert len(sparse) > 50
    for node, rank in tables.items():
        assert sparse[node] == pytest.approx(rank, abs=1e-9)
        assert runner[node] == pytest.approx(rank, abs=1e-9)


def test_received_teleport_leaves_accounts_nobody_points_to_without_rank():
    """Bots b1, b2 point at a; a and c point at each other. With teleport only to nodes
    someone points to, the bots hold no rank, so what they give a is nothing: a and c
    share everything, half each."""
    src = np.array([10, 11, 1, 3])
    dst = np.array([1, 1, 3, 1])
    nodes, ranks = pagerank_sparse(src, dst, np.ones(4), teleport="received")
    r = dict(zip(nodes.tolist(), ranks.tolist(), strict=True))
    assert r[10] == pytest.approx(0.0) and r[11] == pytest.approx(0.0)
    assert r[1] == pytest.approx(0.5) and r[3] == pytest.approx(0.5)


def test_trusted_received_teleport_lands_by_the_largest_trust_pointing():
    """a and b point at each other, trust 1 each; c and d point at each other, trust 0.25
    each (fresh accounts). Two closed pairs: each keeps its teleport share, 1 / 1.25 and
    0.25 / 1.25. Without trust the two pairs would be alike, half each. A repeated edge
    counts its largest trust once: d -> c again with trust 0.1 changes nothing."""
    src = np.array([1, 2, 3, 4, 4])
    dst = np.array([2, 1, 4, 3, 3])
    trust = np.array([1.0, 1.0, 0.25, 0.25, 0.1])
    nodes, ranks = pagerank_sparse(src, dst, np.ones(5), teleport="received", trust=trust)
    r = dict(zip(nodes.tolist(), ranks.tolist(), strict=True))
    assert r[1] + r[2] == pytest.approx(0.8)
    assert r[3] + r[4] == pytest.approx(0.2)
    nodes, ranks = pagerank_sparse(src[:4], dst[:4], np.ones(4), teleport="received")
    assert ranks.tolist() == pytest.approx([0.25] * 4)


@settings(max_examples=50, deadline=None)
@given(
    edges=st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 12), st.floats(0.01, 5.0)),
        min_size=1,
        max_size=40,
    ),
    trust=st.floats(1e-6, 1.0),
)
def test_equal_trust_everywhere_is_no_trust_at_all(edges, trust):
    """Only how trust differs between nodes matters: the same trust on every edge lands a
    jump exactly where the plain received teleport does."""
    src, dst, w = (np.array(c) for c in zip(*edges, strict=True))
    plain = pagerank_sparse(src, dst, w, teleport="received")
    even = pagerank_sparse(src, dst, w, teleport="received", trust=np.full(len(w), trust))
    assert even[0].tolist() == plain[0].tolist()
    assert even[1] == pytest.approx(plain[1], abs=1e-12)


@pytest.mark.parametrize("teleport", ["received", "trusted", "degree"])
def test_each_teleport_is_the_same_in_both_kernels(teleport):
    """Both kernels check the change every CHECK_EVERY steps and stop at the same one, so
    they agree to rounding, not merely to the tolerance."""
    rng = np.random.default_rng(3)
    src, dst = rng.integers(0, 60, 200), rng.integers(0, 60, 200)
    keep = src != dst
    src, dst, w = src[keep], dst[keep], rng.random(keep.sum())
    columns = {"src": src, "dst": dst, "weight": w}
    trust = None
    if teleport == "trusted":  # received, by the trust of those pointing (one per source)
        teleport, trust = "received", rng.random(60)[src]
        columns["trust"] = trust
    nodes, sparse = pagerank_sparse(src, dst, w, teleport=teleport, trust=trust)
    con = duckdb.connect()
    con.register("e", pa.table(columns))
    con.execute("CREATE TABLE edges AS SELECT * FROM e")
    ranks = {}
    for kernel in ("tables", "sparse"):  # the runner's sparse kernel reads the trust too
        runner = DuckDBRunner(con, kernel=kernel)
        edges = runner.ibis.table("edges")
        ranks[kernel] = _as_dict(runner.to_arrow(runner.pagerank(edges, "t", teleport=teleport)))
        runner.close()
    for node, rank in zip(nodes.tolist(), sparse.tolist(), strict=True):
        assert ranks["tables"][node] == pytest.approx(rank, rel=1e-12)
        assert ranks["sparse"][node] == pytest.approx(rank, rel=1e-12)


def test_degree_teleport_gives_a_closed_pair_little():
    """A pair a<->b and a triangle c, d, e (all mutual): 8 directed edges. With teleport in
    proportion to out-degree (2 for the pair, 6 for the triangle), and no edge between
    them, each component keeps its teleport share: the pair 2/8, the triangle 6/8."""
    src = np.array([1, 2, 3, 4, 4, 5, 5, 3])
    dst = np.array([2, 1, 4, 3, 5, 4, 3, 5])
    nodes, ranks = pagerank_sparse(src, dst, np.ones(8), teleport="degree")
    r = dict(zip(nodes.tolist(), ranks.tolist(), strict=True))
    assert r[1] + r[2] == pytest.approx(2 / 8)
    assert r[3] + r[4] + r[5] == pytest.approx(6 / 8)


def test_the_loop_keeps_only_its_last_ranks():
    """Each step's ranks are read by the next step alone: the loop drops them, and its
    graph, as it goes, so that a hundred steps do not hold a hundred tables."""
    edges = [(0, 1, 1.0), (1, 2, 2.0), (2, 0, 1.0), (2, 3, 1.0)]
    runner, table = _runner(edges, "tables")
    ranks = _as_dict(runner.to_arrow(pagerank_loop(runner, table, "pr")))
    assert ranks == pytest.approx(_sparse(edges), abs=CLOSE)
    temp = [
        r[0]
        for r in runner.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE temporary"
        ).fetchall()
    ]
    assert len([t for t in temp if t.split("_")[-1].startswith("r")]) == 1, temp
    assert not [t for t in temp if t.endswith(("_links", "_nodes"))], temp
    runner.close()
