# Triangle ABC given by two sides and the included angle (SAS): AB = 7 cm, AC = 5 cm, angle A = 60°.
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Arc

AB, AC, ANGLE_A = 7.0, 5.0, 60.0
A = np.array([0.0, 0.0])
B = np.array([AB, 0.0])
C = AC * np.array([np.cos(np.radians(ANGLE_A)), np.sin(np.radians(ANGLE_A))])
centroid = (A + B + C) / 3

fig, ax = plt.subplots(figsize=(7, 5))
ax.fill(*zip(A, B, C, strict=True), color="#e8eef7", zorder=0)
ax.plot(*zip(A, B, C, A, strict=True), color="black", lw=2)

# Angle mark at A (drawn to scale).
ax.add_patch(Arc(A, 1.5, 1.5, theta1=0, theta2=ANGLE_A, color="tab:blue", lw=1.8))
mid = np.radians(ANGLE_A / 2)
ax.text(
    1.15 * np.cos(mid), 1.15 * np.sin(mid), "60°", fontsize=14, color="tab:blue", ha="center", va="center"
)


def side_label(P, Q, text, offset=0.45):
    """Write a length beside segment PQ, pushed away from the triangle's interior."""
    m = (P + Q) / 2
    d = Q - P
    n = np.array([-d[1], d[0]]) / np.linalg.norm(d)
    if np.dot(n, m - centroid) < 0:
        n = -n
    ax.text(*(m + offset * n), text, fontsize=14, ha="center", va="center")


side_label(A, B, "7 cm")
side_label(A, C, "5 cm")

for name, P, off in (("A", A, (-0.35, -0.25)), ("B", B, (0.3, -0.25)), ("C", C, (0.0, 0.35))):
    ax.text(P[0] + off[0], P[1] + off[1], name, fontsize=16, ha="center", va="center", fontweight="bold")

ax.set_aspect("equal")
ax.set_xlim(-1.2, 8.0)
ax.set_ylim(-1.0, 5.2)
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
