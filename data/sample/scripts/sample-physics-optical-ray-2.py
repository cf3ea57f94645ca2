"""Light ray striking an air-glass boundary at 40° to the normal (refracted ray left to find)."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Arc, Rectangle

incidence = np.radians(40)
fig, ax = plt.subplots(figsize=(7.5, 6))

ax.add_patch(Rectangle((-5, -4.2), 10, 4.2, facecolor="#d6ebf7", edgecolor="none"))
ax.plot([-5, 5], [0, 0], color="black", lw=1.6)
ax.plot([0, 0], [-3.8, 3.8], color="gray", lw=1.1, ls="--")
ax.text(0.12, 3.75, "normal", fontsize=11, color="dimgray", va="top")

start = 4.6 * np.array([-np.sin(incidence), np.cos(incidence)])
ax.plot([start[0], 0], [start[1], 0], color="#c0392b", lw=2.0)
mid = start / 2
ax.annotate(
    "",
    xy=mid - 0.05 * start,
    xytext=mid,
    arrowprops=dict(arrowstyle="-|>", color="#c0392b", lw=1.6, mutation_scale=20),
)
ax.text(
    start[0] - 0.15, start[1] + 0.1, "incident ray", fontsize=11, color="#c0392b", ha="center", va="bottom"
)

ax.add_patch(Arc((0, 0), 2.6, 2.6, theta1=90, theta2=130, lw=1.3))
label_angle = np.radians(110)
ax.text(1.75 * np.cos(label_angle), 1.75 * np.sin(label_angle), "40°", fontsize=13, ha="center", va="center")
ax.plot(0, 0, "ko", ms=4)
ax.text(0.15, 0.12, "O", fontsize=12)
ax.text(0.5, -1.6, "θ = ?", fontsize=13, ha="left", va="center")

ax.text(2.2, 2.4, "air", fontsize=13, ha="left")
ax.text(2.2, 1.8, "n = 1.00", fontsize=13, ha="left")
ax.text(2.2, -2.2, "glass", fontsize=13, ha="left")
ax.text(2.2, -2.8, "n = 1.50", fontsize=13, ha="left")

ax.set_xlim(-5, 5)
ax.set_ylim(-4.2, 4.4)
ax.set_aspect("equal")
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
