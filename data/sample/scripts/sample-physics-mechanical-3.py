"""Seesaw balance: two children on a uniform plank pivoted at its centre."""

import matplotlib.pyplot as plt
from matplotlib.patches import Polygon, Rectangle

fig, ax = plt.subplots(figsize=(8, 5))

plank_y, plank_t = 1.6, 0.16
ax.add_patch(Rectangle((-3.6, plank_y), 7.2, plank_t, facecolor="#d9c7a7", edgecolor="black", lw=1.5))
ax.add_patch(
    Polygon([(0, plank_y), (-0.6, 0), (0.6, 0)], closed=True, facecolor="#9e9e9e", edgecolor="black", lw=1.5)
)
ax.plot([-4.2, 4.2], [0, 0], color="black", lw=1.6)
ax.text(0.75, 0.55, "pivot", fontsize=11, color="dimgray")

top = plank_y + plank_t
left_x, right_x = -2.0, 1.8  # the right child is drawn at a schematic, unknown distance
ax.add_patch(Rectangle((left_x - 0.45, top), 0.9, 0.85, facecolor="#c9daf0", edgecolor="black", lw=1.5))
ax.text(left_x, top + 0.42, "30 kg", fontsize=12, ha="center", va="center")
ax.add_patch(Rectangle((right_x - 0.5, top), 1.0, 1.0, facecolor="#f5d5b8", edgecolor="black", lw=1.5))
ax.text(right_x, top + 0.5, "40 kg", fontsize=12, ha="center", va="center")

# Loads the children put on the plank (equal to their weights), acting straight down.
arrow = dict(arrowstyle="-|>", lw=2.0, color="#c0392b", mutation_scale=18)
for x, name in ((left_x, "$m_1g$"), (right_x, "$m_2g$")):
    ax.annotate("", xy=(x, plank_y - 1.0), xytext=(x, plank_y), arrowprops=arrow)
    ax.text(x + 0.15, plank_y - 0.75, name, fontsize=13, color="#c0392b")

# Distances from the pivot, measured above the children.
dim_y = 3.45
for x, start in ((left_x, top + 0.95), (0.0, top), (right_x, top + 1.1)):
    ax.plot([x, x], [start, dim_y + 0.15], color="gray", lw=0.9, ls="--")
dim = dict(arrowstyle="<|-|>", lw=1.2, color="black", mutation_scale=12)
ax.annotate("", xy=(left_x, dim_y), xytext=(0, dim_y), arrowprops=dim)
ax.text(left_x / 2, dim_y + 0.12, "2.0 m", fontsize=12, ha="center", va="bottom")
ax.annotate("", xy=(right_x, dim_y), xytext=(0, dim_y), arrowprops=dim)
ax.text(right_x / 2, dim_y + 0.12, "x = ?", fontsize=12, ha="center", va="bottom")

ax.set_xlim(-4.3, 4.3)
ax.set_ylim(-0.3, 4.2)
ax.set_aspect("equal")
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
