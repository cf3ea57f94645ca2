"""Labelled drawing of an animal cell with the drawn cell width, drawn nucleus diameter and magnification."""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Arc, Circle, Ellipse

rng = np.random.default_rng(7)
fig, ax = plt.subplots(figsize=(8, 5))
ax.set_aspect("equal")
ax.axis("off")

CELL_W, CELL_H = 10.0, 7.0
NUC_C, NUC_R = np.array([-1.2, 0.2]), 1.2  # nucleus diameter 2.4 = 12/50 of the cell width

ax.add_patch(Ellipse((0, 0), CELL_W, CELL_H, fc="#fdf6e3", ec="black", lw=2))
ax.add_patch(Circle(NUC_C, NUC_R, fc="#d7c6e8", ec="#4a3b6b", lw=2))
ax.add_patch(Circle(NUC_C, NUC_R - 0.1, fc="none", ec="#4a3b6b", lw=0.8))
ax.add_patch(Circle(NUC_C + np.array([0.25, -0.2]), 0.38, fc="#6b4f9e", ec="none"))

# rough ER: concentric arcs beside the nucleus, studded with ribosomes
for k, r in enumerate((1.55, 1.85, 2.15)):
    ax.add_patch(Arc(NUC_C, 2 * r, 2 * r, theta1=-65, theta2=40, color="#2e7d6b", lw=1.6))
    for t in np.radians(np.linspace(-60, 35, 8)):
        ax.add_patch(Circle(NUC_C + (r + 0.07) * np.array([np.cos(t), np.sin(t)]), 0.045, color="#333333"))

# Golgi apparatus: stack of curved cisternae
g = np.array([2.6, 1.6])
for k in range(4):
    ax.add_patch(Arc(g + np.array([0, -0.22 * k]), 1.6 - 0.15 * k, 0.7, theta1=200, theta2=340,
                     color="#c0792b", lw=3.2))

# mitochondria with cristae
for centre, angle in (((2.4, -1.8), 20), ((-3.3, -1.4), -30), ((0.6, 2.45), 0)):
    ax.add_patch(Ellipse(centre, 1.3, 0.6, angle=angle, fc="#f4b6a6", ec="#8c2f1c", lw=1.5))
    a = np.radians(angle)
    u = np.array([np.cos(a), np.sin(a)])
    v = np.array([-np.sin(a), np.cos(a)])
    pts = [np.array(centre) + (-0.45 + 0.15 * i) * u + (0.15 if i % 2 else -0.15) * v for i in range(7)]
    ax.plot([p[0] for p in pts], [p[1] for p in pts], color="#8c2f1c", lw=1)

for centre in ((3.6, 0.0), (-0.6, -2.3)):  # lysosomes
    ax.add_patch(Circle(centre, 0.28, fc="#9fc5e8", ec="#1f4e9a", lw=1.3))

free = []  # free ribosomes scattered in the cytoplasm, away from the organelles
while len(free) < 40:
    p = rng.uniform([-4.5, -3.0], [4.5, 3.0])
    if (p[0] / 4.6) ** 2 + (p[1] / 3.2) ** 2 < 1 and np.linalg.norm(p - NUC_C) > 2.5 and np.linalg.norm(p - g) > 1.1 and np.linalg.norm(p - np.array([3.6, 0.0])) > 0.5:
        free.append(p)
for p in free:
    ax.add_patch(Circle(p, 0.045, color="#333333"))


def label(text, xy, xytext, ha):
    ax.annotate(text, xy=xy, xytext=xytext, fontsize=12, ha=ha, va="center",
                arrowprops=dict(arrowstyle="-", color="#555555", lw=0.9))


label("nucleus", NUC_C + np.array([-0.9, 0.6]), (-7.0, 2.6), "right")
label("nucleolus", NUC_C + np.array([0.1, -0.35]), (-7.0, 0.9), "right")
label("mitochondrion", (-3.6, -1.3), (-7.0, -1.0), "right")
label("cell membrane", (-3.2, -2.7), (-7.0, -2.8), "right")
label("rough endoplasmic\nreticulum", NUC_C + np.array([1.95, 0.9]), (6.0, 3.0), "left")
label("Golgi apparatus", g + np.array([0.7, 0.05]), (6.0, 1.6), "left")
label("lysosome", (3.88, 0.0), (6.0, 0.2), "left")
RIBOSOME = np.array([3.5, -0.85])
ax.add_patch(Circle(RIBOSOME, 0.06, color="#333333"))
label("ribosome", RIBOSOME + np.array([0.06, 0]), (6.0, -1.0), "left")
label("cytoplasm", (1.0, -2.6), (6.0, -2.6), "left")

# drawn sizes (measured on the drawing)
yb = -4.0
ax.annotate("", xy=(-CELL_W / 2, yb), xytext=(CELL_W / 2, yb), arrowprops=dict(arrowstyle="<->", lw=1.3))
for x in (-CELL_W / 2, CELL_W / 2):
    ax.plot([x, x], [yb - 0.2, -0.3], color="grey", lw=0.7, ls=":")
ax.text(0, yb - 0.2, "50 mm", ha="center", va="top", fontsize=13)
yn = NUC_C[1] + NUC_R + 0.3
ax.annotate("", xy=(NUC_C[0] - NUC_R, yn), xytext=(NUC_C[0] + NUC_R, yn),
            arrowprops=dict(arrowstyle="<->", lw=1.1, color="#4a3b6b"))
ax.text(NUC_C[0] - 0.35, yn + 0.12, "12 mm", ha="center", va="bottom", fontsize=12, color="#4a3b6b")

ax.set_title("Animal cell (drawing)     Magnification: × 2000", fontsize=14)
ax.set_xlim(-9.6, 9.6)
ax.set_ylim(-4.7, 3.9)
fig.tight_layout()
fig.savefig("figure.png")
