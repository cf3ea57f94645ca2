# Isosceles trapezoid ABCD with AB ∥ DC, AB = 14 cm, DC = 8 cm, AD = BC = 5 cm (drawn to scale).
import matplotlib.pyplot as plt
import numpy as np

AB, DC, LEG = 14.0, 8.0, 5.0
overhang = (AB - DC) / 2
height = np.sqrt(LEG**2 - overhang**2)  # used only to place D and C; never written
A = np.array([0.0, 0.0])
B = np.array([AB, 0.0])
C = np.array([overhang + DC, height])
D = np.array([overhang, height])
centre = (A + B + C + D) / 4

fig, ax = plt.subplots(figsize=(8, 4.2))
ax.fill(*zip(A, B, C, D, strict=True), color="#e8eef7", zorder=0)
ax.plot(*zip(A, B, C, D, A, strict=True), color="black", lw=2)


def parallel_arrow(P, Q):
    """Single arrowhead at the middle of PQ: the textbook mark for parallel sides."""
    m = (P + Q) / 2
    d = (Q - P) / np.linalg.norm(Q - P)
    ax.annotate(
        "",
        xy=m + 0.25 * d,
        xytext=m - 0.25 * d,
        arrowprops=dict(arrowstyle="-|>", color="black", lw=1.5, mutation_scale=16),
    )


def equal_tick(P, Q, size=0.22):
    """Short stroke across the middle of PQ marking equal sides."""
    m = (P + Q) / 2
    d = (Q - P) / np.linalg.norm(Q - P)
    n = np.array([-d[1], d[0]])
    ax.plot(*zip(m - size * n, m + size * n, strict=True), color="black", lw=1.8)


def side_label(P, Q, text, offset=0.5):
    m = (P + Q) / 2
    d = Q - P
    n = np.array([-d[1], d[0]]) / np.linalg.norm(d)
    if np.dot(n, m - centre) < 0:
        n = -n
    ax.text(*(m + offset * n), text, fontsize=14, ha="center", va="center")


parallel_arrow(A, B)
parallel_arrow(D, C)
equal_tick(A, D)
equal_tick(B, C)
side_label(A, B, "14 cm")
side_label(D, C, "8 cm")
side_label(A, D, "5 cm", offset=0.7)
side_label(B, C, "5 cm", offset=0.7)

for name, P, off in (
    ("A", A, (-0.35, -0.3)),
    ("B", B, (0.35, -0.3)),
    ("C", C, (0.35, 0.3)),
    ("D", D, (-0.35, 0.3)),
):
    ax.text(P[0] + off[0], P[1] + off[1], name, fontsize=16, fontweight="bold", ha="center", va="center")

ax.set_aspect("equal")
ax.set_xlim(-1.3, 15.3)
ax.set_ylim(-1.2, 5.0)
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
