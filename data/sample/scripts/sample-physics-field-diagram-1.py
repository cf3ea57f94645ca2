"""Electric field lines of +4.0 μC and -2.0 μC point charges 30 cm apart, midpoint P marked."""

import math

import matplotlib.pyplot as plt
from matplotlib.patches import Circle

charges = [(0.0, 0.0, 4.0), (30.0, 0.0, -2.0)]  # x (cm), y (cm), q (μC)
x_min, x_max, y_min, y_max = -22.0, 52.0, -26.0, 26.0
start_radius, step = 1.6, 0.25


def direction(x, y):
    ex = ey = 0.0
    for cx, cy, q in charges:
        dx, dy = x - cx, y - cy
        r3 = (dx * dx + dy * dy) ** 1.5
        ex += q * dx / r3
        ey += q * dy / r3
    norm = math.hypot(ex, ey)
    return ex / norm, ey / norm


def trace(x, y):
    """Follow E from a point near the positive charge until it ends on the negative one or leaves the frame."""
    xs, ys = [x], [y]
    for _ in range(3000):
        # Longer steps far from the charges; lines that loop back onto q2 are followed outside the frame.
        h = step * max(1.0, math.hypot(x - 15.0, y) / 25.0)
        k1 = direction(x, y)
        k2 = direction(x + 0.5 * h * k1[0], y + 0.5 * h * k1[1])
        x, y = x + h * k2[0], y + h * k2[1]
        xs.append(x)
        ys.append(y)
        if math.hypot(x - 30.0, y) < start_radius or math.hypot(x - 15.0, y) > 400.0:
            break
    return xs, ys


fig, ax = plt.subplots(figsize=(8, 5.8))
line_count = 12
for i in range(line_count):
    angle = 2 * math.pi * (i + 0.5) / line_count
    xs, ys = trace(start_radius * math.cos(angle), start_radius * math.sin(angle))
    ax.plot(xs, ys, color="#555555", lw=1.1, zorder=1)
    # Arrowhead a fixed path length from the + charge, pointing along E.
    j = min(len(xs) - 2, 30)
    ax.annotate(
        "",
        xy=(xs[j + 1], ys[j + 1]),
        xytext=(xs[j], ys[j]),
        arrowprops=dict(arrowstyle="-|>", color="#555555", lw=1.1, mutation_scale=14),
    )

for (cx, cy, _q), colour, sign in zip(charges, ("#c0392b", "#1f5fa8"), ("+", "−"), strict=True):
    ax.add_patch(Circle((cx, cy), 1.6, facecolor=colour, edgecolor="black", lw=1.0, zorder=3))
    ax.text(cx, cy, sign, color="white", fontsize=15, ha="center", va="center", weight="bold", zorder=4)

box = dict(boxstyle="round,pad=0.3", facecolor="white", edgecolor="none")
ax.text(0, -4.6, "$q_1$ = +4.0 μC", fontsize=12, ha="center", va="top", bbox=box, zorder=5)
ax.text(30, -4.6, "$q_2$ = -2.0 μC", fontsize=12, ha="center", va="top", bbox=box, zorder=5)

ax.plot(15, 0, "ko", ms=6, zorder=5)
ax.text(15, 1.3, "P", fontsize=13, ha="center", va="bottom", weight="bold", bbox=box, zorder=5)

# Separation of the charges, with P at the midpoint.
dim_y = -22.0
for x in (0.0, 30.0):
    ax.plot([x, x], [-8.5, dim_y - 1.0], color="#999999", lw=0.8, ls=":", zorder=2)
ax.annotate(
    "",
    xy=(0, dim_y),
    xytext=(30, dim_y),
    arrowprops=dict(arrowstyle="<|-|>", lw=1.2, color="black", mutation_scale=12),
    zorder=5,
)
ax.text(15, dim_y + 0.6, "30 cm", fontsize=12, ha="center", va="bottom", bbox=box, zorder=5)

ax.set_xlim(x_min, x_max)
ax.set_ylim(y_min, y_max)
ax.set_aspect("equal")
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
