"""Rock-salt (NaCl) cubic unit cell in oblique projection: Cl- on fcc sites, Na+ on edge centres + body centre."""
import itertools

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

DEPTH_SCALE, DEPTH_ANGLE = 0.5, np.radians(35)


def project(p):
    """Cabinet projection: x right, y up, z into the page drawn up-right at half scale."""
    x, y, z = p
    return np.array([x + DEPTH_SCALE * z * np.cos(DEPTH_ANGLE), y + DEPTH_SCALE * z * np.sin(DEPTH_ANGLE)])


fig, ax = plt.subplots(figsize=(7.5, 6))
ax.set_aspect("equal")
ax.axis("off")

# faint half-cell grid lines (the Na-Cl bonds along the cube axes)
for u, v in itertools.product((0, 0.5, 1), repeat=2):
    for axis in range(3):
        a = [u, v]
        a.insert(axis, 0.0)
        b = [u, v]
        b.insert(axis, 1.0)
        pa, pb = project(a), project(b)
        on_edge = sum(c in (0, 1) for c in (u, v)) == 2
        ax.plot([pa[0], pb[0]], [pa[1], pb[1]], color="black" if on_edge else "#bbbbbb",
                lw=1.6 if on_edge else 0.8, zorder=1)

sites = []
for p in itertools.product((0, 0.5, 1), repeat=3):
    halves = sum(c == 0.5 for c in p)
    # fcc Cl- sites: corners (no halves) and face centres (two halves); Na+: edge centres (one) and body centre (three)
    ion = "Cl" if halves in (0, 2) else "Na"
    sites.append((p, ion))
# draw back to front (large z first), then bottom to top
sites.sort(key=lambda s: (-s[0][2], s[0][1], s[0][0]))
for p, ion in sites:
    xy = project(p)
    if ion == "Cl":
        ax.add_patch(plt.Circle(xy, 0.085, fc="#4caf50", ec="black", lw=1, zorder=3))
    else:
        ax.add_patch(plt.Circle(xy, 0.05, fc="#7e57c2", ec="black", lw=1, zorder=3))

# edge length a along the front bottom edge
y0 = -0.2
ax.annotate("", xy=(0, y0), xytext=(1, y0), arrowprops=dict(arrowstyle="<->", lw=1.4))
for x in (0, 1):
    ax.plot([x, x], [y0 - 0.04, -0.1], color="black", lw=0.8)
ax.text(0.5, y0 - 0.06, "a = 564 pm", ha="center", va="top", fontsize=14)

legend = [
    Line2D([], [], marker="o", ls="", ms=16, mfc="#4caf50", mec="black", label="Cl⁻   M = 35.45 g/mol"),
    Line2D([], [], marker="o", ls="", ms=10, mfc="#7e57c2", mec="black", label="Na⁺   M = 22.99 g/mol"),
]
ax.legend(handles=legend, loc="lower right", bbox_to_anchor=(1.03, 0.0), fontsize=12, frameon=False)
ax.set_xlim(-0.2, 1.75)
ax.set_ylim(-0.42, 1.4)
ax.set_title("Rock-salt (NaCl) unit cell", fontsize=15)
fig.tight_layout()
fig.savefig("figure.png")
