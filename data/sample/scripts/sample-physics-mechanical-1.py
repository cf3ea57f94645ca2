"""Block sliding down a rough 30° incline: incline, block, free-body forces, given values."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Arc, Polygon

theta = np.radians(30)
length = 10.0
height = length * np.tan(theta)
down_slope = np.array([np.cos(theta), -np.sin(theta)])
outward_normal = np.array([np.sin(theta), np.cos(theta)])

fig, ax = plt.subplots(figsize=(8, 5.6))
ax.add_patch(
    Polygon([(0, 0), (length, 0), (0, height)], closed=True, facecolor="#ececec", edgecolor="black", lw=1.6)
)
ax.plot([-0.6, length + 1.0], [0, 0], color="black", lw=1.6)

# Block resting on the slope; `contact` is the middle of its bottom face.
side = 2.0
contact = np.array([0.0, height]) + 4.6 * down_slope
corners = [
    contact - side / 2 * down_slope,
    contact + side / 2 * down_slope,
    contact + side / 2 * down_slope + side * outward_normal,
    contact - side / 2 * down_slope + side * outward_normal,
]
ax.add_patch(Polygon(corners, closed=True, facecolor="#c9daf0", edgecolor="black", lw=1.6, zorder=3))
centre = contact + side / 2 * outward_normal
ax.text(
    *(centre + 0.5 * outward_normal - 0.1 * down_slope),
    "5.0 kg",
    rotation=-30,
    ha="center",
    va="center",
    fontsize=12,
    zorder=6,
)


def force(tail, tip, colour):
    ax.annotate(
        "",
        xy=tip,
        xytext=tail,
        zorder=5,
        arrowprops=dict(arrowstyle="-|>", lw=2.2, color=colour, mutation_scale=20),
    )


# Weight from the centre of mass, straight down.
weight_tip = centre + np.array([0.0, -2.6])
ax.plot(*centre, "o", color="#c0392b", ms=4, zorder=6)
force(centre, weight_tip, "#c0392b")
ax.text(weight_tip[0] + 0.2, weight_tip[1] + 0.15, "mg", fontsize=13, color="#c0392b", style="italic")
# Normal force from the contact face, perpendicular to the slope.
normal_tail = contact + 0.7 * down_slope
normal_tip = normal_tail + 3.0 * outward_normal
force(normal_tail, normal_tip, "#1f5fa8")
ax.text(normal_tip[0] + 0.15, normal_tip[1] + 0.05, "N", fontsize=13, color="#1f5fa8", style="italic")
# Kinetic friction along the contact face, up the slope (opposes the sliding).
friction_tail = contact - side / 2 * down_slope + 0.06 * outward_normal
friction_tip = friction_tail - 2.0 * down_slope
force(friction_tail, friction_tip, "#1e8449")
ax.text(friction_tip[0] - 0.15, friction_tip[1] + 0.3, "f", fontsize=13, color="#1e8449", style="italic")

# Direction of motion, drawn beside the block.
motion_tail = contact + (side / 2 + 0.5) * down_slope + 0.55 * outward_normal
ax.annotate(
    "",
    xy=motion_tail + 1.6 * down_slope,
    xytext=motion_tail,
    arrowprops=dict(arrowstyle="->", lw=1.4, color="dimgray"),
)
ax.text(
    *(motion_tail + 0.9 * down_slope + 0.45 * outward_normal),
    "motion",
    rotation=-30,
    ha="center",
    va="center",
    fontsize=11,
    color="dimgray",
)

ax.add_patch(Arc((length, 0), 3.2, 3.2, theta1=150, theta2=180, lw=1.3))
ax.text(length - 2.25, 0.42, "30°", fontsize=13, ha="center", va="center")
ax.text(1.6, 1.0, "μk = 0.20", fontsize=13)
ax.text(7.6, 5.2, "g = 9.8 m/s²", fontsize=12)

ax.set_xlim(-0.8, 11.2)
ax.set_ylim(-0.6, 7.2)
ax.set_aspect("equal")
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
