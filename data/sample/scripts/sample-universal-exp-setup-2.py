# Acid-base titration: a burette of 0.100 mol/L NaOH above a conical flask holding 25.0 mL of
# HCl with phenolphthalein; burette readings before and at the end point are given.
import matplotlib.pyplot as plt
from matplotlib.patches import Polygon, Rectangle

fig, ax = plt.subplots(figsize=(7.5, 6))
XB = 3.0  # burette / flask axis
TUBE_W = 0.36
Y0, Y50 = 8.6, 3.6  # heights of the 0 mL and 50 mL marks
Y_TUBE_TOP, Y_TUBE_BOT = 9.7, 3.2

# Stand: base, rod and clamp arm.
ax.add_patch(Rectangle((0.3, 0.0), 4.9, 0.15, facecolor="#777777", edgecolor="black"))
ax.add_patch(Rectangle((0.85, 0.15), 0.14, 9.85, facecolor="#999999", edgecolor="black"))
ax.add_patch(Rectangle((0.99, 9.09), XB - 0.99 - TUBE_W / 2, 0.12, facecolor="#999999", edgecolor="black"))
ax.add_patch(
    Rectangle(
        (XB - TUBE_W / 2 - 0.08, 8.94), TUBE_W + 0.16, 0.42, facecolor="#555555", edgecolor="black", zorder=4
    )
)

# Burette: NaOH filled to the 0.00 mL mark, then the glass outline, scale, stopcock and tip.
ax.add_patch(
    Rectangle((XB - TUBE_W / 2, Y_TUBE_BOT), TUBE_W, Y0 - Y_TUBE_BOT, facecolor="#d6eaf8", edgecolor="none")
)
ax.add_patch(
    Rectangle(
        (XB - TUBE_W / 2, Y_TUBE_BOT), TUBE_W, Y_TUBE_TOP - Y_TUBE_BOT, fill=False, edgecolor="black", lw=1.5
    )
)
for ml in range(0, 51):
    y = Y0 - (Y0 - Y50) * ml / 50
    length = 0.18 if ml % 10 == 0 else (0.12 if ml % 5 == 0 else 0.07)
    ax.plot([XB - TUBE_W / 2, XB - TUBE_W / 2 + length], [y, y], color="black", lw=0.7)
    if ml % 10 == 0:
        ax.text(XB - TUBE_W / 2 - 0.08, y, str(ml), fontsize=10, ha="right", va="center")
ax.add_patch(
    Polygon(
        [(XB - TUBE_W / 2, Y_TUBE_BOT), (XB + TUBE_W / 2, Y_TUBE_BOT), (XB + 0.06, 2.75), (XB - 0.06, 2.75)],
        facecolor="#d6eaf8",
        edgecolor="black",
        lw=1.2,
    )
)
ax.add_patch(Rectangle((XB - 0.32, 2.45), 0.64, 0.12, facecolor="#444444", edgecolor="black"))
ax.add_patch(Rectangle((XB - 0.06, 1.55), 0.12, 1.2, facecolor="#d6eaf8", edgecolor="black", lw=1.0))

# Conical flask on a white tile, acid (colourless with indicator) inside.
ax.add_patch(Rectangle((XB - 1.6, 0.15), 3.2, 0.18, facecolor="white", edgecolor="black"))
neck, base, y_neck, y_shoulder = 0.32, 1.25, 2.05, 1.45
flask = [
    (XB - neck, y_neck),
    (XB - neck, y_shoulder),
    (XB - base, 0.33),
    (XB + base, 0.33),
    (XB + neck, y_shoulder),
    (XB + neck, y_neck),
]
liquid_top = 0.85
frac = (liquid_top - 0.33) / (y_shoulder - 0.33)
w_top = base + (neck - base) * frac
ax.add_patch(
    Polygon(
        [(XB - base, 0.33), (XB + base, 0.33), (XB + w_top, liquid_top), (XB - w_top, liquid_top)],
        facecolor="#e4eef5",
        edgecolor="none",
    )
)
ax.plot(*zip(*flask, strict=True), color="black", lw=1.6)

# Labels with leader lines.
lead = dict(arrowstyle="-", color="grey", lw=0.9)
ax.annotate(
    "NaOH(aq), 0.100 mol/L",
    xy=(XB + TUBE_W / 2, 7.6),
    xytext=(4.2, 8.2),
    fontsize=13,
    va="center",
    arrowprops=lead,
)
ax.annotate(
    "25.0 mL HCl(aq)\n+ phenolphthalein",
    xy=(XB + 0.7, 0.6),
    xytext=(4.7, 1.3),
    fontsize=13,
    va="center",
    arrowprops=lead,
)
ax.text(XB - TUBE_W / 2 - 0.08, Y50 - 0.4, "mL", fontsize=11, ha="right", va="center")

readings = "Burette readings\nInitial: 0.00 mL\nFinal (end point): 21.50 mL"
ax.text(
    4.2,
    5.4,
    readings,
    fontsize=13,
    va="center",
    ha="left",
    linespacing=1.6,
    bbox=dict(boxstyle="round,pad=0.5", facecolor="#f7f7f7", edgecolor="black"),
)

ax.set_aspect("equal")
ax.set_xlim(0.1, 9.6)
ax.set_ylim(-0.2, 10.1)
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
