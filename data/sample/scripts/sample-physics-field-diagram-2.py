"""A proton entering a uniform magnetic field directed into the page."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

fig, ax = plt.subplots(figsize=(8, 5.4))

# Field region: crosses mean B points into the page.
x0, x1, y0, y1 = 3.0, 10.0, 0.0, 6.0
ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor="#f3f6fb", edgecolor="#1f5fa8", lw=1.3, ls="--"))
for x in np.arange(x0 + 0.5, x1, 1.0):
    for y in np.arange(y0 + 0.5, y1, 1.0):
        ax.text(x, y, "×", fontsize=15, color="#1f5fa8", ha="center", va="center")
ax.text(
    (x0 + x1) / 2, y1 + 0.35, "B = 0.20 T (into page)", fontsize=13, ha="center", va="bottom", color="#1f5fa8"
)

# Proton at the field boundary, velocity perpendicular to B.
proton = np.array([0.8, 1.5])
ax.plot(*proton, "o", color="#c0392b", ms=13, zorder=4)
ax.text(*proton, "+", color="white", fontsize=12, ha="center", va="center", weight="bold", zorder=5)
ax.text(proton[0], proton[1] - 0.55, "proton", fontsize=12, ha="center", va="top")
ax.annotate(
    "",
    xy=(x0 - 0.05, proton[1]),
    xytext=proton + np.array([0.25, 0.0]),
    arrowprops=dict(arrowstyle="-|>", lw=2.2, color="#c0392b", mutation_scale=20),
    zorder=3,
)
ax.text(proton[0] - 0.3, proton[1] + 0.45, "v = 4.0 × 10$^5$ m/s", fontsize=12, ha="left", va="bottom")

ax.set_xlim(-0.4, 10.4)
ax.set_ylim(-0.6, 7.0)
ax.set_aspect("equal")
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
