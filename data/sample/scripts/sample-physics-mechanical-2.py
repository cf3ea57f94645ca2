"""Block on a frictionless table pulled by a hanging block over a pulley at the table edge."""

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, Polygon, Rectangle

fig, ax = plt.subplots(figsize=(8, 5.8))

# Table top and legs.
ax.add_patch(Rectangle((0.0, -0.35), 6.2, 0.35, facecolor="#d9c7a7", edgecolor="black", lw=1.4))
for leg_x in (0.4, 5.55):
    ax.add_patch(Rectangle((leg_x, -4.2), 0.25, 3.85, facecolor="#d9c7a7", edgecolor="black", lw=1.2))
ax.plot([-0.4, 8.4], [-4.2, -4.2], color="black", lw=1.6)

# Pulley clamped to the table's right edge.
pulley_x, pulley_y, radius = 6.65, 0.45, 0.35
ax.add_patch(
    Polygon(
        [(6.2, -0.1), (6.2, 0.2), (pulley_x, pulley_y)],
        closed=True,
        facecolor="#9e9e9e",
        edgecolor="black",
        lw=1.0,
    )
)
ax.add_patch(Circle((pulley_x, pulley_y), radius, facecolor="#bdbdbd", edgecolor="black", lw=1.4, zorder=3))
ax.plot(pulley_x, pulley_y, "ko", ms=3, zorder=4)

# Block A on the table, block B hanging.
string_y = pulley_y + radius
ax.add_patch(Rectangle((1.6, 0.0), 1.9, 1.3, facecolor="#c9daf0", edgecolor="black", lw=1.6))
ax.text(2.55, 0.9, "A", fontsize=14, ha="center", va="center", weight="bold")
ax.text(2.55, 0.4, "3.0 kg", fontsize=12, ha="center", va="center")
hang_x = pulley_x + radius
ax.add_patch(Rectangle((hang_x - 0.6, -3.1), 1.2, 1.2, facecolor="#f5d5b8", edgecolor="black", lw=1.6))
ax.text(hang_x, -2.3, "B", fontsize=14, ha="center", va="center", weight="bold")
ax.text(hang_x, -2.75, "2.0 kg", fontsize=12, ha="center", va="center")

# Light inextensible string.
ax.plot([3.5, pulley_x], [string_y, string_y], color="black", lw=1.3)
ax.plot([hang_x, hang_x], [pulley_y, -1.9], color="black", lw=1.3)

# Tension on each block acts along the string, away from the block.
arrow = dict(arrowstyle="-|>", lw=2.2, color="#c0392b", mutation_scale=18)
ax.annotate("", xy=(4.75, string_y), xytext=(3.5, string_y), arrowprops=arrow, zorder=5)
ax.text(4.1, string_y + 0.2, "T", fontsize=13, color="#c0392b", style="italic", ha="center")
ax.annotate("", xy=(hang_x, -0.85), xytext=(hang_x, -1.9), arrowprops=arrow, zorder=5)
ax.text(hang_x + 0.2, -1.4, "T", fontsize=13, color="#c0392b", style="italic", va="center")

ax.text(0.95, -0.75, "frictionless table", fontsize=12, style="italic", va="center")
ax.text(0.0, 2.6, "g = 9.8 m/s²", fontsize=12)

ax.set_xlim(-0.6, 8.6)
ax.set_ylim(-4.5, 3.1)
ax.set_aspect("equal")
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
