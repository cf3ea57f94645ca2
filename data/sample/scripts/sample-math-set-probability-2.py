# Probability tree: machine A makes 60% of items (3% defective), machine B 40% (5% defective).
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

fig, ax = plt.subplots(figsize=(8, 5.2))
root = (0.4, 3.0)
BOX_W, BOX_H = 1.5, 0.6
X_BOX = 4.1  # centre of the machine boxes
X_LEAF = 7.0
machines = {"Machine A": (4.6, "0.6"), "Machine B": (1.4, "0.4")}
outcomes = {
    "Machine A": [("Defective", 5.4, "0.03"), ("Not defective", 3.8, "0.97")],
    "Machine B": [("Defective", 2.2, "0.05"), ("Not defective", 0.6, "0.95")],
}


def branch(p, q, prob, above):
    """Draw a branch p->q and write its probability beside the middle of it."""
    ax.plot([p[0], q[0]], [p[1], q[1]], color="black", lw=1.6)
    mx, my = (p[0] + q[0]) / 2, (p[1] + q[1]) / 2
    ax.text(
        mx,
        my + (0.22 if above else -0.22),
        prob,
        fontsize=13,
        ha="center",
        va="bottom" if above else "top",
        color="tab:blue",
    )


ax.plot(*root, "o", color="black", ms=6)
for i, (name, (y, prob)) in enumerate(machines.items()):
    branch(root, (X_BOX - BOX_W / 2, y), prob, above=(i == 0))
    ax.add_patch(
        FancyBboxPatch(
            (X_BOX - BOX_W / 2, y - BOX_H / 2),
            BOX_W,
            BOX_H,
            boxstyle="round,pad=0,rounding_size=0.1",
            facecolor="#f2f2f2",
            edgecolor="black",
            lw=1.2,
        )
    )
    ax.text(X_BOX, y, name, fontsize=13, ha="center", va="center")
    for j, (leaf, y_leaf, p_leaf) in enumerate(outcomes[name]):
        branch((X_BOX + BOX_W / 2, y), (X_LEAF - 0.05, y_leaf), p_leaf, above=(j == 0))
        ax.text(X_LEAF, y_leaf, leaf, fontsize=13, ha="left", va="center")

ax.text(X_BOX, 5.9, "Machine", fontsize=12, ha="center", color="grey")
ax.text(X_LEAF + 0.95, 5.9, "Quality", fontsize=12, ha="center", color="grey")

ax.set_xlim(0, 9.6)
ax.set_ylim(0.0, 6.2)
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
