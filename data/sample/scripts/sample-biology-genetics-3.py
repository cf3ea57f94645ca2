"""Punnett square for pink x pink snapdragons (incomplete dominance): gametes, offspring genotypes and colours."""
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

R, W = r"C$^{\mathrm{R}}$", r"C$^{\mathrm{W}}$"
COLOURS = {"red": "#e57373", "pink": "#f8bbd0", "white": "#ffffff"}

fig, ax = plt.subplots(figsize=(7.5, 6))
ax.set_aspect("equal")
ax.axis("off")

cell = 2.0
x0, y0 = 2.0, 0.5  # bottom-left of the 2 x 2 grid
top_gametes = [R, W]   # from parent 1 (columns)
side_gametes = [R, W]  # from parent 2 (rows, top to bottom)
for i, g_row in enumerate(side_gametes):
    for j, g_col in enumerate(top_gametes):
        alleles = sorted([g_col, g_row], key=lambda a: a != R)  # write C^R first
        phenotype = {0: "white", 1: "pink", 2: "red"}[alleles.count(R)]
        x, y = x0 + j * cell, y0 + (1 - i) * cell
        ax.add_patch(Rectangle((x, y), cell, cell, fc=COLOURS[phenotype], ec="black", lw=1.8))
        ax.text(x + cell / 2, y + cell * 0.6, alleles[0] + alleles[1], ha="center", va="center", fontsize=18)
        ax.text(x + cell / 2, y + cell * 0.27, phenotype, ha="center", va="center", fontsize=13)
for j, g in enumerate(top_gametes):
    ax.text(x0 + (j + 0.5) * cell, y0 + 2 * cell + 0.35, g, ha="center", va="center", fontsize=18, color="#1f4e9a")
for i, g in enumerate(side_gametes):
    ax.text(x0 - 0.4, y0 + (1.5 - i) * cell, g, ha="center", va="center", fontsize=18, color="#1f4e9a")

ax.text(x0 + cell, y0 + 2 * cell + 1.0, "Parent 1: pink, " + R + W, ha="center",
        va="center", fontsize=13)
ax.text(x0 - 1.1, y0 + cell, "Parent 2: pink, " + R + W, ha="center", va="center",
        fontsize=13, rotation=90)
ax.text(x0 - 0.45, y0 + 2 * cell + 0.4, "gametes", ha="center", va="center", fontsize=11,
        style="italic", color="#1f4e9a")
ax.text(x0 + cell, y0 + 2 * cell + 1.75, "Snapdragon flower colour (incomplete dominance)", ha="center",
        va="center", fontsize=14)
ax.text(x0 + cell, y0 - 0.45, "Offspring grown: 240 seeds", ha="center", va="center", fontsize=13)
ax.set_xlim(0.2, 7.6)
ax.set_ylim(-0.2, 7.0)
fig.tight_layout()
fig.savefig("figure.png")
