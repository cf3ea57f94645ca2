"""Elliptical comet orbit with the Sun at one focus: perihelion 0.50 AU, aphelion 3.5 AU."""

import matplotlib.pyplot as plt
import numpy as np

perihelion, aphelion = 0.50, 3.5  # AU, measured from the Sun
a = (perihelion + aphelion) / 2
c = a - perihelion
b = np.sqrt(a * a - c * c)
sun_x = c  # ellipse centred at the origin, Sun at the right-hand focus

fig, ax = plt.subplots(figsize=(8, 5.4))
t = np.linspace(0, 2 * np.pi, 400)
ax.plot(a * np.cos(t), b * np.sin(t), color="#1f5fa8", lw=2.0)
ax.plot([-a - 0.1, a + 0.1], [0, 0], color="gray", lw=0.8, ls="--")

ax.scatter([sun_x], [0], s=420, color="#f5b700", edgecolor="#c77d00", zorder=4)
ax.text(sun_x - 0.05, 0.3, "Sun", fontsize=13, ha="center", va="bottom")

for x, name, ha, dx in ((a, "perihelion", "left", 0.1), (-a, "aphelion", "right", -0.1)):
    ax.plot(x, 0, "ko", ms=5, zorder=4)
    ax.text(x + dx, 0.12, name, fontsize=12, ha=ha, va="bottom")

# Comet on the orbit, moving anticlockwise, tail pointing away from the Sun.
phi = np.radians(115)
comet = np.array([a * np.cos(phi), b * np.sin(phi)])
away = comet - np.array([sun_x, 0.0])
away /= np.linalg.norm(away)
ax.plot(
    *zip(comet, comet + 0.45 * away, strict=True), color="#9e9e9e", lw=4, solid_capstyle="round", zorder=3
)
ax.plot(*comet, "o", color="#555555", ms=8, zorder=5)
ax.text(comet[0] + 0.12, comet[1] + 0.24, "comet", fontsize=12, ha="left", va="bottom")
velocity = np.array([-a * np.sin(phi), b * np.cos(phi)])
velocity /= np.linalg.norm(velocity)
outward = np.array([velocity[1], -velocity[0]])  # anticlockwise motion: right of velocity is outward
start = comet - 0.2 * outward + 0.15 * velocity  # inside the orbit, clear of the tail
ax.annotate(
    "",
    xy=start + 0.6 * velocity,
    xytext=start,
    arrowprops=dict(arrowstyle="-|>", lw=1.8, color="#c0392b", mutation_scale=16),
    zorder=5,
)

# Distances from the Sun, below the orbit.
dim_y = -b - 0.35
dim = dict(arrowstyle="<|-|>", lw=1.1, color="black", mutation_scale=11)
for x in (-a, sun_x, a):
    ax.plot([x, x], [-0.15, dim_y - 0.1], color="gray", lw=0.8, ls=":")
ax.annotate("", xy=(-a, dim_y), xytext=(sun_x, dim_y), arrowprops=dim)
ax.text((sun_x - a) / 2, dim_y - 0.08, "3.5 AU", fontsize=12, ha="center", va="top")
ax.annotate("", xy=(sun_x, dim_y), xytext=(a, dim_y), arrowprops=dim)
ax.text((sun_x + a) / 2, dim_y - 0.08, "0.50 AU", fontsize=12, ha="center", va="top")

ax.set_xlim(-a - 1.2, a + 1.3)
ax.set_ylim(-b - 0.85, b + 0.5)
ax.set_aspect("equal")
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
