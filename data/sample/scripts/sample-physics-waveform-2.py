"""Standing wave with three loops on a 1.2 m string fixed at both ends."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

length, loops = 1.2, 3
x = np.linspace(0, length, 500)
envelope = 0.18 * np.sin(loops * np.pi * x / length)

fig, ax = plt.subplots(figsize=(8, 4.6))
ax.plot([0, length], [0, 0], color="lightgray", lw=0.9, ls=":")
ax.plot(x, envelope, color="#1f5fa8", lw=2.2)
ax.plot(x, -envelope, color="#1f5fa8", lw=2.2, ls="--")

# Rigid supports at both ends.
for wall_x, side in ((0.0, -1), (length, 1)):
    ax.add_patch(
        Rectangle(
            (wall_x if side > 0 else wall_x - 0.05, -0.3),
            0.05,
            0.6,
            facecolor="#bdbdbd",
            edgecolor="black",
            hatch="///",
            lw=1.2,
        )
    )
    ax.text(
        wall_x + side * 0.03, 0.34, "fixed end", fontsize=11, ha="right" if side < 0 else "left", va="bottom"
    )

for k in range(loops + 1):
    node_x = k * length / loops
    ax.plot(node_x, 0, "ko", ms=5, zorder=4)
    # Below the node, between the two diverging curves; end labels nudged inward from the walls.
    if k in (0, loops):
        ax.text(node_x + (0.035 if k == 0 else -0.035), -0.12, "N", fontsize=12, ha="center", va="top")
    else:
        ax.text(node_x, -0.05, "N", fontsize=12, ha="center", va="top")
for k in range(loops):
    ax.text((k + 0.5) * length / loops, 0.215, "A", fontsize=12, ha="center", va="bottom")

dim_y = -0.42
for end in (0.0, length):
    ax.plot([end, end], [-0.3, dim_y - 0.04], color="gray", lw=0.8, ls=":")
ax.annotate(
    "",
    xy=(0, dim_y),
    xytext=(length, dim_y),
    arrowprops=dict(arrowstyle="<|-|>", lw=1.2, color="black", mutation_scale=12),
)
ax.text(length / 2, dim_y - 0.03, "L = 1.2 m", fontsize=13, ha="center", va="top")
ax.text(length / 2, 0.5, "wave speed v = 240 m/s", fontsize=13, ha="center", va="bottom")

ax.set_xlim(-0.25, length + 0.25)
ax.set_ylim(-0.62, 0.65)
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
