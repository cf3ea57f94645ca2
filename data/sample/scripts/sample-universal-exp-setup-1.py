# Simple-pendulum experiment for measuring g: string length 0.80 m, released at 10° from the
# vertical; a stopwatch reads 35.9 s for 20 complete oscillations. Drawn to scale (metres).
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Arc, Circle, FancyBboxPatch, Rectangle

L, THETA = 0.80, np.radians(10.0)
pivot = np.array([0.55, 1.02])
along = np.array([np.sin(THETA), -np.cos(THETA)])  # unit vector down the string
bob = pivot + L * along

fig, ax = plt.subplots(figsize=(7.5, 6))
# Retort stand: base, rod, arm and clamp.
ax.add_patch(Rectangle((-0.12, 0.0), 0.42, 0.04, facecolor="#777777", edgecolor="black"))
ax.add_patch(Rectangle((-0.005, 0.04), 0.02, 1.06, facecolor="#999999", edgecolor="black"))
ax.add_patch(Rectangle((0.0, 1.015), pivot[0] + 0.03, 0.02, facecolor="#999999", edgecolor="black"))
ax.add_patch(Rectangle((pivot[0] - 0.035, 1.00), 0.07, 0.05, facecolor="#555555", edgecolor="black"))

# Vertical reference, string, bob, angle.
ax.plot([pivot[0], pivot[0]], [pivot[1], pivot[1] - L - 0.05], color="grey", lw=1.1, ls=(0, (5, 4)))
ax.plot(*zip(pivot, bob, strict=True), color="black", lw=1.4)
ax.add_patch(Circle(bob, 0.03, facecolor="#c0392b", edgecolor="black", lw=1.2, zorder=3))
ax.add_patch(Arc(pivot, 0.5, 0.5, theta1=-90, theta2=-90 + np.degrees(THETA), color="tab:blue", lw=1.6))
ax.text(pivot[0] + 0.065, pivot[1] - 0.27, "10°", fontsize=14, color="tab:blue", ha="left", va="center")

# Length dimension parallel to the string, offset to its right.
normal = np.array([np.cos(THETA), np.sin(THETA)])
p1, p2 = pivot + 0.11 * normal, bob + 0.11 * normal
ax.annotate(
    "", xy=p2, xytext=p1, arrowprops=dict(arrowstyle="<|-|>", color="black", lw=1.1, mutation_scale=12)
)
for end in (pivot, bob):
    ax.plot(*zip(end + 0.03 * normal, end + 0.14 * normal, strict=True), color="grey", lw=0.8)
mid = (p1 + p2) / 2 + 0.03 * normal
ax.text(*mid, "L = 0.80 m", fontsize=14, ha="left", va="center")

# Stopwatch with its reading and what it timed.
sw = np.array([1.12, 0.30])
ax.add_patch(Rectangle((sw[0] - 0.018, sw[1] + 0.13), 0.036, 0.04, facecolor="#555555", edgecolor="black"))
ax.add_patch(Circle(sw, 0.14, facecolor="#eeeeee", edgecolor="black", lw=1.6))
ax.add_patch(
    FancyBboxPatch(
        (sw[0] - 0.095, sw[1] - 0.04),
        0.19,
        0.08,
        boxstyle="round,pad=0,rounding_size=0.01",
        facecolor="#d9f0d3",
        edgecolor="black",
        lw=1.0,
    )
)
ax.text(*sw, "35.9 s", fontsize=14, ha="center", va="center")
ax.text(sw[0], sw[1] - 0.2, "Time for\n20 oscillations", fontsize=13, ha="center", va="top")

ax.set_aspect("equal")
ax.set_xlim(-0.2, 1.45)
ax.set_ylim(-0.08, 1.15)
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
