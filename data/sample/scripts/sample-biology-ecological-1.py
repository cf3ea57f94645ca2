"""Grassland food web; arrows point from food to consumer (direction of energy flow)."""
import matplotlib.pyplot as plt
import numpy as np

NODES = {  # name: (x, y) - producers at the bottom, top predator at the top
    "grass": (4.0, 0.0),
    "rabbit": (1.0, 1.6),
    "mouse": (4.0, 1.6),
    "grasshopper": (7.0, 1.6),
    "frog": (7.0, 3.2),
    "snake": (5.2, 4.4),
    "hawk": (2.4, 5.6),
}
EATEN_BY = [("grass", "rabbit"), ("grass", "mouse"), ("grass", "grasshopper"),
            ("grasshopper", "frog"), ("frog", "snake"), ("mouse", "snake"),
            ("mouse", "hawk"), ("rabbit", "hawk"), ("snake", "hawk")]
HALF_H = 0.28


def half_width(name):
    return 0.085 * len(name) + 0.3


def edge_point(name, toward):
    """Where the line from this node's centre toward `toward` leaves its box."""
    c = np.array(NODES[name])
    d = np.array(toward) - c
    scale = min(half_width(name) / abs(d[0]) if d[0] else np.inf, HALF_H / abs(d[1]) if d[1] else np.inf)
    return c + d * scale


fig, ax = plt.subplots(figsize=(8, 6))
ax.axis("off")
for food, consumer in EATEN_BY:
    start = edge_point(food, NODES[consumer])
    end = edge_point(consumer, NODES[food])
    ax.annotate("", xy=end, xytext=start,
                arrowprops=dict(arrowstyle="-|>", lw=1.5, color="#333333", mutation_scale=16,
                                shrinkA=2, shrinkB=2))
for name, (x, y) in NODES.items():
    fc = "#c8e6c9" if name == "grass" else "#fff3e0"
    ax.add_patch(plt.Rectangle((x - half_width(name), y - HALF_H), 2 * half_width(name), 2 * HALF_H,
                               fc=fc, ec="black", lw=1.3, zorder=3))
    ax.text(x, y, name, ha="center", va="center", fontsize=14, zorder=4)
ax.text(4.0, -0.62, "50,000 kJ/m²/yr fixed by grass", ha="center", va="center", fontsize=14, color="#2e7d32")
ax.text(8.6, 5.6, "Energy transfer\nbetween trophic\nlevels: 10%", ha="center", va="center",
        fontsize=12, bbox=dict(boxstyle="round,pad=0.4", fc="#f5f5f5", ec="grey"))
ax.set_title("Grassland food web (arrows show energy flow)", fontsize=14)
ax.set_xlim(-0.5, 9.8)
ax.set_ylim(-1.0, 6.2)
fig.tight_layout()
fig.savefig("figure.png")
