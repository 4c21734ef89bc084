"""narrowcast: social influence as people experience it.

Broadcast (what a person receives) and relating (what they give, whether they listen and
answer, how mutual their ties are), side by side, from one event log, with each person's
circle of connections that matter most to them.
"""

__version__ = "0.1.0"

from narrowcast.api import (
    Scores,
    circle,
    demo,
    export_log,
    fit,
    gives,
    history,
    import_files,
    info,
    link,
    link_suggestions,
    load_scores,
    rising,
    score,
    score_parquet,
    show,
    suggest,
    tie_events,
    top,
    unlink,
)

__all__ = [
    "Scores",
    "__version__",
    "circle",
    "demo",
    "export_log",
    "fit",
    "gives",
    "history",
    "import_files",
    "info",
    "link",
    "link_suggestions",
    "load_scores",
    "rising",
    "score",
    "score_parquet",
    "show",
    "suggest",
    "tie_events",
    "top",
    "unlink",
]
