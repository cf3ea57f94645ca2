"""One PCR cycle (denaturation -> annealing -> extension) with temperatures, start copies and cycle number."""
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

fig, ax = plt.subplots(figsize=(8, 6))
ax.set_xlim(0, 10)
ax.set_ylim(0, 7.5)
ax.set_aspect("equal")
ax.axis("off")

BLUE, GREEN, RED = "#1565c0", "#2e7d32", "#c62828"


def panel(cx, cy, title, temp):
    ax.add_patch(FancyBboxPatch((cx - 1.6, cy - 1.0), 3.2, 2.0, boxstyle="round,pad=0.05",
                                fc="#fafafa", ec="grey", lw=1))
    ax.text(cx, cy + 0.72, title, ha="center", va="center", fontsize=13, weight="bold")
    ax.text(cx, cy - 0.75, temp, ha="center", va="center", fontsize=14, color=RED)


def strand(x0, x1, y, colour, lw=3):
    ax.plot([x0, x1], [y, y], color=colour, lw=lw, solid_capstyle="butt")


# 1 denaturation: the two strands separate
cx, cy = 5.0, 5.9
panel(cx, cy, "1  Denaturation", "94 °C")
strand(cx - 1.2, cx + 1.2, cy + 0.25, BLUE)
strand(cx - 1.2, cx + 1.2, cy - 0.3, GREEN)
ax.annotate("", xy=(cx, cy + 0.45), xytext=(cx, cy + 0.05), arrowprops=dict(arrowstyle="->", lw=1))
ax.annotate("", xy=(cx, cy - 0.5), xytext=(cx, cy - 0.1), arrowprops=dict(arrowstyle="->", lw=1))

# 2 annealing: primers bind to the 3' ends of each single strand
cx, cy = 7.9, 2.2
panel(cx, cy, "2  Annealing", "55 °C")
strand(cx - 1.2, cx + 1.2, cy + 0.25, BLUE)
strand(cx - 1.2, cx + 1.2, cy - 0.3, GREEN)
strand(cx - 1.2, cx - 0.7, cy + 0.08, RED, lw=4)
strand(cx + 0.7, cx + 1.2, cy - 0.13, RED, lw=4)

# 3 extension: DNA polymerase extends the primers
cx, cy = 2.1, 2.2
panel(cx, cy, "3  Extension", "72 °C")
strand(cx - 1.2, cx + 1.2, cy + 0.25, BLUE)
strand(cx - 1.2, cx + 1.2, cy - 0.3, GREEN)
strand(cx - 1.2, cx - 0.7, cy + 0.08, RED, lw=4)
strand(cx - 0.7, cx + 0.5, cy + 0.08, GREEN, lw=2.5)
strand(cx + 0.7, cx + 1.2, cy - 0.13, RED, lw=4)
strand(cx - 0.5, cx + 0.7, cy - 0.13, BLUE, lw=2.5)

for start, end, rad in (((6.7, 5.2), (7.9, 3.35), -0.3), ((6.2, 1.6), (3.8, 1.6), -0.35),
                        ((2.1, 3.35), (3.3, 5.2), -0.3)):
    ax.add_patch(FancyArrowPatch(start, end, connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>",
                                 mutation_scale=18, lw=1.8, color="#455a64"))
ax.text(5.0, 3.3, "one cycle", ha="center", va="center", fontsize=13, style="italic", color="#455a64")

ax.text(0.1, 7.2, "Start: 50 copies of target DNA", ha="left", va="center", fontsize=12)
ax.text(9.9, 7.2, "Run: 25 cycles", ha="right", va="center", fontsize=12)
ax.plot([], [], color=RED, lw=4, label="primer")
ax.plot([], [], color="#607d8b", lw=2.5, label="new DNA (thin lines)")
ax.legend(loc="lower center", bbox_to_anchor=(0.5, 0.04), ncol=2, fontsize=11, frameon=False)
ax.set_title("Polymerase chain reaction (PCR)", fontsize=14)
fig.tight_layout()
fig.savefig("figure.png")
