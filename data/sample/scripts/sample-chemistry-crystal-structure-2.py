"""Body-centred cubic unit cell of iron in oblique projection: 8 corner atoms and 1 body-centre atom."""
import itertools

import matplotlib.pyplot as plt
import numpy as np

DEPTH_SCALE, DEPTH_ANGLE = 0.5, np.radians(35)


def project(p):
    """Cabinet projection: x right, y up, z into the page drawn up-right at half scale."""
    x, y, z = p
    return np.array([x + DEPTH_SCALE * z * np.cos(DEPTH_ANGLE), y + DEPTH_SCALE * z * np.sin(DEPTH_ANGLE)])


fig, ax = plt.subplots(figsize=(7.5, 6))
ax.set_aspect("equal")
ax.axis("off")

corners = list(itertools.product((0, 1), repeat=3))
for a, b in itertools.combinations(corners, 2):
    if sum(x != y for x, y in zip(a, b)) == 1:  # cube edge
        pa, pb = project(a), project(b)
        # the three edges meeting at the hidden back-bottom-left corner are dashed
        back_hidden = (0, 0, 1) in (a, b)
        ax.plot([pa[0], pb[0]], [pa[1], pb[1]], color="black", lw=1.6,
                ls="--" if back_hidden else "-", zorder=1)

atoms = [(p, "corner") for p in corners] + [((0.5, 0.5, 0.5), "body")]
atoms.sort(key=lambda s: (-s[0][2], s[0][1], s[0][0]))
for p, kind in atoms:
    xy = project(p)
    colour = "#9e9e9e" if kind == "corner" else "#607d8b"
    ax.add_patch(plt.Circle(xy, 0.11, fc=colour, ec="black", lw=1.2, zorder=3))
    ax.add_patch(plt.Circle(xy + np.array([-0.03, 0.03]), 0.03, fc="white", ec="none", alpha=0.6, zorder=4))

ax.annotate("body-centre Fe atom", xy=project((0.5, 0.5, 0.5)) + np.array([0.09, 0.06]),
            xytext=(1.62, 1.05), fontsize=13, ha="left", va="center",
            arrowprops=dict(arrowstyle="-", color="grey", lw=1))
ax.annotate("corner Fe atom", xy=project((1, 0, 0)) + np.array([0.1, -0.04]),
            xytext=(1.62, -0.06), fontsize=13, ha="left", va="center",
            arrowprops=dict(arrowstyle="-", color="grey", lw=1))

y0 = -0.25
ax.annotate("", xy=(0, y0), xytext=(1, y0), arrowprops=dict(arrowstyle="<->", lw=1.4))
for x in (0, 1):
    ax.plot([x, x], [y0 - 0.04, -0.13], color="black", lw=0.8)
ax.text(0.5, y0 - 0.06, "a = 287 pm", ha="center", va="top", fontsize=14)

ax.text(1.62, 0.5, "Iron (Fe)\nM = 55.85 g/mol", fontsize=13, ha="left", va="center", linespacing=1.5)
ax.set_xlim(-0.2, 2.55)
ax.set_ylim(-0.5, 1.45)
ax.set_title("Unit cell: body-centred cubic (bcc)", fontsize=15)
fig.tight_layout()
fig.savefig("figure.png")
