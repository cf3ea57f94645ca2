"""Energy-flow diagram of a Carnot engine between a 500 K and a 300 K reservoir."""

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrow, FancyBboxPatch, Rectangle

fig, ax = plt.subplots(figsize=(7.5, 6))

ax.add_patch(Rectangle((0.5, 7.6), 7.0, 1.6, facecolor="#f6d3cf", edgecolor="black", lw=1.5))
ax.text(4.0, 8.65, "Hot reservoir", fontsize=13, ha="center", va="center")
ax.text(4.0, 8.1, "$T_H$ = 500 K", fontsize=13, ha="center", va="center")
ax.add_patch(Rectangle((0.5, 0.0), 7.0, 1.6, facecolor="#d6e4f5", edgecolor="black", lw=1.5))
ax.text(4.0, 1.05, "Cold reservoir", fontsize=13, ha="center", va="center")
ax.text(4.0, 0.5, "$T_C$ = 300 K", fontsize=13, ha="center", va="center")

ax.add_patch(
    FancyBboxPatch(
        (2.6, 3.9), 2.8, 1.4, boxstyle="round,pad=0.15", facecolor="#eeeeee", edgecolor="black", lw=1.5
    )
)
ax.text(4.0, 4.6, "Carnot engine", fontsize=13, ha="center", va="center")

arrow = dict(width=0.22, head_width=0.6, head_length=0.45, length_includes_head=True, color="#555555")
ax.add_patch(FancyArrow(4.0, 7.6, 0.0, -2.15, **arrow))  # heat in from the hot reservoir
ax.add_patch(FancyArrow(4.0, 3.75, 0.0, -2.15, **arrow))  # heat out to the cold reservoir
ax.add_patch(FancyArrow(5.55, 4.6, 2.0, 0.0, **arrow))  # work output
ax.text(4.35, 6.55, "$Q_H$ = 1000 J", fontsize=13, ha="left", va="center")
ax.text(4.35, 2.7, "$Q_C$", fontsize=13, ha="left", va="center")
ax.text(6.55, 5.05, "W = ?", fontsize=13, ha="center", va="bottom")

ax.set_xlim(0.3, 8.2)
ax.set_ylim(-0.2, 9.4)
ax.set_aspect("equal")
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
