"""Satellite in a circular orbit 400 km above Earth (altitude exaggerated, not to scale)."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, Rectangle

earth_r, orbit_r = 3.0, 4.3  # drawing units; the altitude is exaggerated for clarity
fig, ax = plt.subplots(figsize=(7, 6))

ax.add_patch(Circle((0, 0), earth_r, facecolor="#cfe3f3", edgecolor="#1f5fa8", lw=1.6))
ax.add_patch(Circle((0, 0), orbit_r, facecolor="none", edgecolor="gray", lw=1.2, ls="--"))
ax.plot(0, 0, "ko", ms=4)
ax.text(0, 1.15, "Earth", fontsize=14, ha="center", va="center", weight="bold")
ax.text(0, 0.55, "M = 5.97 × 10$^{24}$ kg", fontsize=12, ha="center", va="center")

# Earth's radius drawn down-left from the centre.
angle = np.radians(225)
ax.annotate(
    "",
    xy=(earth_r * np.cos(angle), earth_r * np.sin(angle)),
    xytext=(0, 0),
    arrowprops=dict(arrowstyle="-|>", lw=1.3, color="black", mutation_scale=12),
)
ax.text(-1.25, -0.75, "R = 6370 km", fontsize=12, ha="center", va="center", rotation=45)

# Altitude, measured radially at the top.
dim = dict(arrowstyle="<|-|>", lw=1.2, color="black", mutation_scale=11)
ax.annotate("", xy=(0, earth_r), xytext=(0, orbit_r), arrowprops=dim)
ax.text(0.15, (earth_r + orbit_r) / 2, "h = 400 km", fontsize=12, ha="left", va="center")

# Satellite on the orbit with its (unknown) orbital velocity, tangent to the orbit.
sat_angle = np.radians(35)
sat = orbit_r * np.array([np.cos(sat_angle), np.sin(sat_angle)])
ax.add_patch(Rectangle(sat - 0.13, 0.26, 0.26, facecolor="#555555", edgecolor="black", zorder=4))
for side in (-1, 1):
    panel = sat + side * 0.4 * np.array([np.cos(sat_angle), np.sin(sat_angle)])
    ax.plot(*zip(sat, panel, strict=True), color="#1f5fa8", lw=3.5, zorder=3)
ax.text(sat[0] + 0.25, sat[1] - 0.45, "satellite", fontsize=12, ha="left", va="top")
tangent = np.array([-np.sin(sat_angle), np.cos(sat_angle)])
tip = sat + 1.6 * tangent
ax.annotate(
    "",
    xy=tip,
    xytext=sat + 0.2 * tangent,
    arrowprops=dict(arrowstyle="-|>", lw=2.0, color="#c0392b", mutation_scale=18),
)
ax.text(tip[0] + 0.15, tip[1] + 0.05, "v = ?", fontsize=13, color="#c0392b", ha="left", va="bottom")
ax.text(-4.9, -4.9, "not to scale", fontsize=10, color="dimgray", style="italic")

ax.set_xlim(-5.0, 5.6)
ax.set_ylim(-5.0, 5.2)
ax.set_aspect("equal")
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
