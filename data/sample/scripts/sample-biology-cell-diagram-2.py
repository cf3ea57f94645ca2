"""A turgid plant cell placed in a sucrose solution, with the two water potentials labelled."""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, Ellipse, FancyBboxPatch, Rectangle

fig, ax = plt.subplots(figsize=(8, 4.2))
ax.set_aspect("equal")
ax.axis("off")

# beaker of solution
ax.add_patch(Rectangle((0, 0), 12, 8, fc="#e3f0fb", ec="none"))
ax.plot([0, 0, 12, 12], [8.6, 0, 0, 8.6], color="black", lw=2.5)
ax.plot([0, 12], [8, 8], color="#5b8db8", lw=1.2)

# plant cell: wall, membrane, cytoplasm, central vacuole, nucleus, chloroplasts
x0, y0, w, h = 3.0, 2.0, 5.2, 4.2
ax.add_patch(FancyBboxPatch((x0, y0), w, h, boxstyle="round,pad=0,rounding_size=0.35",
                            fc="#c8e6c9", ec="#2e7d32", lw=6))
ax.add_patch(FancyBboxPatch((x0 + 0.18, y0 + 0.18), w - 0.36, h - 0.36,
                            boxstyle="round,pad=0,rounding_size=0.25", fc="#f1f8e9", ec="#33691e", lw=1.2))
ax.add_patch(FancyBboxPatch((x0 + 0.8, y0 + 0.75), w - 1.9, h - 1.5,
                            boxstyle="round,pad=0,rounding_size=0.5", fc="#dff3fb", ec="#4a7f9c", lw=1.4))
ax.add_patch(Circle((x0 + w - 0.62, y0 + h - 0.9), 0.36, fc="#d7c6e8", ec="#4a3b6b", lw=1.4))
chloroplasts = [(x0 + 0.45, y0 + 1.2, 90), (x0 + 0.45, y0 + 2.9, 90), (x0 + 2.0, y0 + 0.42, 0),
                (x0 + 3.6, y0 + h - 0.42, 0), (x0 + w - 0.45, y0 + 1.4, 90), (x0 + 1.5, y0 + h - 0.42, 0)]
for cx, cy, ang in chloroplasts:
    ax.add_patch(Ellipse((cx, cy), 0.75, 0.32, angle=ang, fc="#66bb6a", ec="#1b5e20", lw=1))


def label(text, xy, xytext, ha):
    ax.annotate(text, xy=xy, xytext=xytext, fontsize=12, ha=ha, va="center",
                arrowprops=dict(arrowstyle="-", color="#555555", lw=0.9))


label("cell wall", (x0 - 0.05, y0 + 3.6), (-0.6, 7.2), "right")
label("cell membrane", (x0 + 0.2, y0 + 2.1), (-0.6, 5.0), "right")
label("chloroplast", (x0 + 0.45, y0 + 0.85), (-0.6, 1.6), "right")
label("central vacuole", (x0 + w - 1.1, y0 + 2.3), (13.0, 4.4), "left")
label("nucleus", (x0 + w - 0.4, y0 + h - 0.75), (13.0, 6.6), "left")

ax.text(x0 + w / 2 - 0.4, y0 + h / 2 + 0.25, "ψ cell =\n-0.6 MPa", ha="center", va="center",
        fontsize=14, color="#1f4e9a", linespacing=1.3)
ax.text(10.2, 1.1, "ψ solution =\n-0.9 MPa", ha="center", va="center", fontsize=14,
        color="#1f4e9a", linespacing=1.3)
ax.text(6.0, 7.4, "sucrose solution", ha="center", va="center", fontsize=13, color="#2b5b84")
ax.set_xlim(-4.6, 15.8)
ax.set_ylim(-0.4, 9.0)
fig.tight_layout()
fig.savefig("figure.png")
