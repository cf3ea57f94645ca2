# Rectangular box ABCD-EFGH: AB = 12 cm, BC = 4 cm, AE = 3 cm, with space diagonal AG.
# Oblique (cabinet-style) projection: receding edges at 40° drawn at 0.6 of true length.
import matplotlib.pyplot as plt
import numpy as np

LENGTH, DEPTH, HEIGHT = 12.0, 4.0, 3.0
k = 0.6 * DEPTH * np.array([np.cos(np.radians(40)), np.sin(np.radians(40))])
up = np.array([0.0, HEIGHT])
A = np.array([0.0, 0.0])
B = np.array([LENGTH, 0.0])
C, D = B + k, A + k
E, F, G, H = A + up, B + up, C + up, D + up

fig, ax = plt.subplots(figsize=(8, 4.6))
solid = dict(color="black", lw=2)
hidden = dict(color="black", lw=1.3, ls=(0, (5, 4)))
for P, Q in ((A, B), (B, C), (B, F), (A, E), (E, F), (F, G), (C, G), (E, H), (H, G)):
    ax.plot(*zip(P, Q, strict=True), **solid)
for P, Q in ((A, D), (D, C), (D, H)):
    ax.plot(*zip(P, Q, strict=True), **hidden)
ax.plot(*zip(A, G, strict=True), color="tab:red", lw=1.8, ls=(0, (6, 3)))

ax.text(*(A + B) / 2 + np.array([0, -0.45]), "12 cm", fontsize=14, ha="center", va="center")
ax.text(*(A + E) / 2 + np.array([-0.75, 0]), "3 cm", fontsize=14, ha="center", va="center")
ax.text(*(B + C) / 2 + np.array([0.75, -0.2]), "4 cm", fontsize=14, ha="center", va="center")

offsets = {
    "A": (-0.35, -0.3),
    "B": (0.2, -0.35),
    "C": (0.35, -0.05),
    "D": (-0.35, 0.2),
    "E": (-0.3, 0.25),
    "F": (0.0, 0.35),
    "G": (0.3, 0.25),
    "H": (-0.3, 0.25),
}
for name, P in zip("ABCDEFGH", (A, B, C, D, E, F, G, H), strict=True):
    dx, dy = offsets[name]
    ax.text(P[0] + dx, P[1] + dy, name, fontsize=15, fontweight="bold", ha="center", va="center")

ax.set_aspect("equal")
ax.set_xlim(-1.5, 15.0)
ax.set_ylim(-1.0, 5.3)
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
