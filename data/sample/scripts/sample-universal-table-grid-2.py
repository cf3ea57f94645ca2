# Street grid 5 blocks wide and 4 blocks tall; routes go from A (bottom-left) to B (top-right),
# moving only east or north; the intersection 2 blocks east and 1 block north of A is closed.
import matplotlib.pyplot as plt

WIDE, TALL = 5, 4
CLOSED = (2, 1)

fig, ax = plt.subplots(figsize=(7.5, 5.6))
for x in range(WIDE + 1):
    ax.plot([x, x], [0, TALL], color="#555555", lw=1.6)
for y in range(TALL + 1):
    ax.plot([0, WIDE], [y, y], color="#555555", lw=1.6)
for x in range(WIDE + 1):
    for y in range(TALL + 1):
        ax.plot(x, y, "o", color="#555555", ms=4)

ax.plot(0, 0, "o", color="tab:blue", ms=11)
ax.plot(WIDE, TALL, "o", color="tab:green", ms=11)
ax.text(-0.2, -0.2, "A", fontsize=17, fontweight="bold", ha="right", va="top")
ax.text(WIDE + 0.2, TALL + 0.2, "B", fontsize=17, fontweight="bold", ha="left", va="bottom")

# Closed intersection: a red cross with its label in the block to its upper right.
ax.plot(*CLOSED, marker="X", color="tab:red", ms=18, mec="white", mew=1.2)
ax.text(CLOSED[0] + 0.5, CLOSED[1] + 0.5, "Closed", fontsize=13, color="tab:red", ha="center", va="center")

# Dimension arrows for the grid size.
dim = dict(arrowstyle="<|-|>", color="black", lw=1.2, mutation_scale=12)
ax.annotate("", xy=(0, -0.75), xytext=(WIDE, -0.75), arrowprops=dim)
ax.text(WIDE / 2, -0.95, "5 blocks", fontsize=14, ha="center", va="top")
ax.annotate("", xy=(WIDE + 0.6, 0), xytext=(WIDE + 0.6, TALL), arrowprops=dim)
ax.text(WIDE + 0.75, TALL / 2, "4 blocks", fontsize=14, ha="left", va="center")

# Compass hint: routes may only go east or north.
ax.annotate(
    "",
    xy=(-0.55, 1.3),
    xytext=(-0.55, 0.5),
    arrowprops=dict(arrowstyle="-|>", color="grey", lw=1.2, mutation_scale=12),
)
ax.text(-0.55, 1.4, "N", fontsize=12, color="grey", ha="center", va="bottom")

ax.set_aspect("equal")
ax.set_xlim(-1.0, WIDE + 2.3)
ax.set_ylim(-1.6, TALL + 0.7)
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
