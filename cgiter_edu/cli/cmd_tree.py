"""``cgiter-edu tree``: print a hierarchy, or save it as JSON.

Example::

    $ cgiter-edu tree --tree kubernetes
"""

from __future__ import annotations

import argparse

from .. import shapes
from ..clihelpers import load_tree


def cmd_tree(args: argparse.Namespace) -> int:
    h = load_tree(args.tree)
    if args.json:
        print(h.to_json())
        return 0
    for c in h.cgroups():
        print(f"{c.id:>8} {'  ' * c.level}{c.name or '/'}{'  (dead)' if c.dead else ''}")
    return 0


def setup_tree(p: argparse.ArgumentParser) -> None:
    p.description = ("Print a hierarchy, one cgroup a line: its id, then its name indented "
                     "by level, dead ones marked; or save it as JSON, which --tree FILE.json "
                     "reads back exactly.")
    p.epilog = ("examples:\n  cgiter-edu tree --tree kubernetes\n"
                "  cgiter-edu tree --tree kubernetes --json > k8s.json && "
                "cgiter-edu walk --tree k8s.json\n")
    p.add_argument("--tree", default="systemd", metavar="SHAPE|FILE.json",
                   help="the hierarchy: a shape (" + ", ".join(shapes.BY_NAME) + "), sysfs "
                        "(this machine's cgroup v2 tree) or a saved JSON file "
                        "(default: systemd)")
    p.add_argument("--json", action="store_true", help="print Hierarchy.to_json()")
    p.set_defaults(func=cmd_tree)


