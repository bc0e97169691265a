"""The workflow's state machine as inline SVG: states in layers by their distance from the
initial states, each transition a path with the id `edge-N` (N: the model's edge index),
so that the page's script can draw a counterexample or a trace on it by those ids."""
from __future__ import annotations

from html import escape

import networkx as nx

from wfcheck.spec.ir_text import describe_action
from wfcheck.spec.model import Model

COLUMN, ROW, RADIUS_X, RADIUS_Y, MARGIN = 190, 130, 62, 22, 60


def layout(model: Model) -> dict[str, tuple[float, float]]:
    """State -> centre: the column is the shortest distance from an initial state (states
    no initial state reaches come last), the row the order of declaration in that column."""
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(model.states)
    graph.add_edges_from((e.source, e.target) for e in model.edges)
    depth = nx.single_source_shortest_path_length(graph, model.initial)
    last = max(depth.values(), default=-1) + 1
    columns: dict[int, list[str]] = {}
    for state in model.states:
        columns.setdefault(depth.get(state, last), []).append(state)
    return {name: (MARGIN + RADIUS_X + col * COLUMN, MARGIN + RADIUS_Y + row * ROW)
            for col, names in columns.items() for row, name in enumerate(names)}


def _path(a, b, bend: float) -> tuple[str, float, float]:
    """An arc from a to b bent sideways by `bend` px, and where its label goes."""
    (x1, y1), (x2, y2) = a, b
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    dx, dy = x2 - x1, y2 - y1
    length = max((dx * dx + dy * dy) ** 0.5, 1.0)
    cx, cy = mx - dy / length * bend, my + dx / length * bend
    # start and end on the ellipses' rims, towards the control point
    def rim(x, y, tx, ty):
        vx, vy = tx - x, ty - y
        scale = 1 / max(((vx / RADIUS_X) ** 2 + (vy / RADIUS_Y) ** 2) ** 0.5, 1e-9)
        return x + vx * scale, y + vy * scale
    sx, sy = rim(x1, y1, cx, cy)
    ex, ey = rim(x2, y2, cx, cy)
    return f"M{sx:.1f},{sy:.1f} Q{cx:.1f},{cy:.1f} {ex:.1f},{ey:.1f}", (sx + 2 * cx + ex) / 4, (sy + 2 * cy + ey) / 4 - 5


def _loop(centre, nth: int) -> tuple[str, float, float]:
    """A state's nth self-loop: above the state, then below, each pair wider than the last."""
    x, y = centre
    side = -1 if nth % 2 == 0 else 1
    rim = y + side * RADIUS_Y
    reach = 30 + 18 * (nth // 2)
    spread = 18 + 14 * (nth // 2)
    return (f"M{x - 14:.1f},{rim:.1f} C{x - spread - 22:.1f},{rim + side * reach:.1f} "
            f"{x + spread + 22:.1f},{rim + side * reach:.1f} {x + 14:.1f},{rim:.1f}",
            x, rim + side * reach * 0.8 + (4 if side > 0 else -2))


def short_label(action) -> str:
    """The action as a transition names it: `tool.outcome`, `message a to b`, ..."""
    if action.kind in ("tool", "event"):
        return action.name + (f".{action.outcome}" if action.outcome else "")
    word = "handoff" if action.kind == "handoff" else "message"
    return f"{word} {action.agent} to {action.receiver}"


def render_svg(model: Model) -> str:
    places = layout(model)
    width = max((x for x, _ in places.values()), default=0) + RADIUS_X + MARGIN
    height = max((y for _, y in places.values()), default=0) + RADIUS_Y + MARGIN
    seen: dict[tuple[str, str], int] = {}
    edges = []
    for edge in model.edges:
        key = (edge.source, edge.target)
        nth = seen[key] = seen.get(key, -1) + 1
        if edge.source == edge.target:
            d, lx, ly = _loop(places[edge.source], nth)
        else:
            back = 1 if places[edge.source][0] > places[edge.target][0] else 0
            d, lx, ly = _path(places[edge.source], places[edge.target], (18 + 26 * nth) * (1 - 2 * back)
                              if nth or back or places[edge.source][1] != places[edge.target][1] else 0)
        label = escape(short_label(edge.action))
        edges.append(f'<g class="edge" id="edge-{edge.index}" data-line="{edge.span.line}">'
                     f'<title>{escape(describe_action(edge.action))} ({edge.source} → {edge.target}, line {edge.span.line})</title>'
                     f'<path d="{d}" marker-end="url(#arrow)"/>'
                     f'<text x="{lx:.1f}" y="{ly:.1f}">{label}</text></g>')
    states = []
    for state in model.states:
        x, y = places[state]
        kind = " initial" * (state == model.initial) + " final" * (state in model.finals)
        states.append(f'<g class="state{kind}" id="state-{escape(state)}" data-line="{model.state_span(state).line}">'
                      f'<ellipse cx="{x:.1f}" cy="{y:.1f}" rx="{RADIUS_X}" ry="{RADIUS_Y}"/>'
                      f'<text x="{x:.1f}" y="{y + 4:.1f}">{escape(state)}</text></g>')
    return (f'<svg class="diagram" xmlns="http://www.w3.org/2000/svg" viewBox="0 -40 {width:.0f} {height + 40:.0f}" '
            f'width="{width:.0f}" height="{height + 40:.0f}" role="img" aria-label="state diagram of {escape(model.name)}">'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" '
            'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>'
            + "".join(edges) + "".join(states) + "</svg>")
