"""The faces people look at: a local web dashboard (``narrowcast serve``) and a
self-contained HTML report (``narrowcast report``), both over the scored store, read-only.

``data`` builds what they show from the library (``narrowcast.scoring``), ``server`` serves
it with the packaged ``static/`` page, ``report`` writes it into one file. Nothing else in
narrowcast imports this package but the command line.
"""

from narrowcast.faces.report import write_report
from narrowcast.faces.server import DEFAULT_PORT, make_server

__all__ = ["DEFAULT_PORT", "make_server", "write_report"]
