# Grouped frequency table of a class's mathematics test scores.
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

header = ("Score", "Number of students")
rows = [("50-59", "4"), ("60-69", "9"), ("70-79", "12"), ("80-89", "10"), ("90-99", "5")]
col_w = (2.4, 3.6)
row_h = 0.7

fig, ax = plt.subplots(figsize=(6, 5))
n_rows = len(rows) + 1
for r, cells in enumerate([header] + rows):
    y = (n_rows - 1 - r) * row_h
    x = 0.0
    for c, text in enumerate(cells):
        shade = "#dbe8f6" if r == 0 else ("#f7f7f7" if r % 2 == 0 else "white")
        ax.add_patch(Rectangle((x, y), col_w[c], row_h, facecolor=shade, edgecolor="black", lw=1.2))
        ax.text(
            x + col_w[c] / 2,
            y + row_h / 2,
            text,
            fontsize=14,
            ha="center",
            va="center",
            fontweight="bold" if r == 0 else "normal",
        )
        x += col_w[c]

ax.text(
    sum(col_w) / 2, n_rows * row_h + 0.35, "Mathematics test scores", fontsize=15, ha="center", va="center"
)
ax.set_xlim(-0.2, sum(col_w) + 0.2)
ax.set_ylim(-0.2, n_rows * row_h + 0.7)
ax.set_aspect("equal")
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
