# Ellipse with foci F1(-4, 0), F2(4, 0) passing through P(0, 3); focal radii PF1, PF2 drawn.
import matplotlib.pyplot as plt
import numpy as np

c, P = 4.0, np.array([0.0, 3.0])
a = np.hypot(c, P[1])  # PF1 = PF2 = a when P is on the minor axis
b = np.sqrt(a**2 - c**2)  # only used to draw the curve; never written
F1, F2 = np.array([-c, 0.0]), np.array([c, 0.0])

fig, ax = plt.subplots(figsize=(7.5, 5))
t = np.linspace(0, 2 * np.pi, 400)
ax.plot(a * np.cos(t), b * np.sin(t), color="tab:blue", lw=2)

# Coordinate axes with arrowheads, no ticks: the figure gives only the labelled points.
arrow = dict(arrowstyle="-|>", color="black", lw=1.2, mutation_scale=14)
ax.annotate("", xy=(6.6, 0), xytext=(-6.6, 0), arrowprops=arrow)
ax.annotate("", xy=(0, 4.4), xytext=(0, -4.0), arrowprops=arrow)
ax.text(6.6, -0.3, "x", fontsize=14, ha="right", va="top")
ax.text(-0.25, 4.4, "y", fontsize=14, ha="right", va="top")
ax.text(-0.15, -0.15, "O", fontsize=13, ha="right", va="top")

ax.plot(*zip(F1, P, F2, strict=True), color="tab:red", lw=1.5, ls=(0, (5, 3)))
for Q in (F1, F2, P):
    ax.plot(*Q, "o", color="black", ms=6, zorder=3)
ax.text(F1[0], -0.35, "F₁(-4, 0)", fontsize=14, ha="center", va="top")
ax.text(F2[0], -0.35, "F₂(4, 0)", fontsize=14, ha="center", va="top")
ax.text(P[0] + 0.25, P[1] + 0.2, "P(0, 3)", fontsize=14, ha="left", va="bottom")

ax.set_aspect("equal")
ax.set_xlim(-6.8, 6.8)
ax.set_ylim(-4.2, 4.6)
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
