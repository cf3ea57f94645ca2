# Intersecting chords AB and CD of a circle meet at E: AE = 4 cm, EB = 6 cm, CE = 3 cm.
# The circle (radius 6 cm) and chord directions are constructed so the figure is exact:
# AE*EB = CE*ED = R^2 - OE^2 = 24.
import matplotlib.pyplot as plt
import numpy as np

R = 6.0
AE, EB, CE = 4.0, 6.0, 3.0
power = AE * EB  # = R^2 - OE^2
OE = np.sqrt(R**2 - power)
ED = power / CE  # only used to place D on the circle; never written
phi = np.radians(235.0)  # direction of E from the centre
E = OE * np.array([np.cos(phi), np.sin(phi)])


def unit(angle):
    return np.array([np.cos(angle), np.sin(angle)])


# For a line E + t*u, the two circle intersections have t1 + t2 = -2 E.u; pick u to fit.
u_ab = unit(phi + np.arccos(-(EB - AE) / 2 / OE))
u_cd = unit(phi - np.arccos(-(ED - CE) / 2 / OE))
A, B = E - AE * u_ab, E + EB * u_ab
C, D = E - CE * u_cd, E + ED * u_cd

fig, ax = plt.subplots(figsize=(6.5, 6))
t = np.linspace(0, 2 * np.pi, 400)
ax.plot(R * np.cos(t), R * np.sin(t), color="black", lw=2)
ax.plot(*zip(A, B, strict=True), color="black", lw=1.8)
ax.plot(*zip(C, D, strict=True), color="black", lw=1.8)
for P in (A, B, C, D, E):
    ax.plot(*P, "o", color="black", ms=5)


def point_label(P, name, dist=0.55):
    """Put a vertex name just outside the circle, along the radius through P."""
    ax.text(
        *(P * (1 + dist / np.linalg.norm(P))), name, fontsize=16, fontweight="bold", ha="center", va="center"
    )


for name, P in (("A", A), ("B", B), ("C", C), ("D", D)):
    point_label(P, name)


def seg_label(P, Q, text, side, offset=0.5):
    """Write a length beside segment PQ on the given side (+1 left of P->Q, -1 right)."""
    m = (P + Q) / 2
    d = (Q - P) / np.linalg.norm(Q - P)
    n = side * np.array([-d[1], d[0]])
    ax.text(*(m + offset * n), text, fontsize=14, ha="center", va="center", color="tab:blue")


seg_label(A, E, "4 cm", side=1)
seg_label(E, B, "6 cm", side=1)
seg_label(C, E, "3 cm", side=1, offset=0.8)
ax.text(E[0] + 0.5, E[1] - 0.6, "E", fontsize=16, fontweight="bold", ha="center", va="center")

ax.set_aspect("equal")
ax.set_xlim(-7.2, 7.2)
ax.set_ylim(-7.2, 7.2)
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
