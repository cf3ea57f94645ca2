"""Rectangular P-V cycle A→B→C→D→A between 1.0 L and 4.0 L, 100 kPa and 300 kPa."""

import matplotlib.pyplot as plt

corners = {"A": (1.0, 100.0), "B": (1.0, 300.0), "C": (4.0, 300.0), "D": (4.0, 100.0)}
order = ["A", "B", "C", "D", "A"]

fig, ax = plt.subplots(figsize=(7.5, 5.6))
for spine in ("top", "right"):
    ax.spines[spine].set_visible(False)
ax.spines["left"].set_position(("data", 0))
ax.spines["bottom"].set_position(("data", 0))
ax.plot(1, 0, ">k", transform=ax.get_yaxis_transform(), clip_on=False)
ax.plot(0, 1, "^k", transform=ax.get_xaxis_transform(), clip_on=False)
ax.text(0.12, 372, "P", fontsize=14, va="top")
ax.text(5.15, 14, "V", fontsize=14, ha="right")

for start, end in zip(order, order[1:], strict=False):
    (x0, y0), (x1, y1) = corners[start], corners[end]
    ax.plot([x0, x1], [y0, y1], color="#1f5fa8", lw=2.2)
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    ax.annotate(
        "",
        xy=(mx + 0.02 * (x1 - x0), my + 0.02 * (y1 - y0)),
        xytext=(mx, my),
        arrowprops=dict(arrowstyle="-|>", color="#1f5fa8", lw=1.8, mutation_scale=20),
    )

offsets = {"A": (-0.18, -16), "B": (-0.18, 12), "C": (0.12, 12), "D": (0.12, -16)}
for name, (x, y) in corners.items():
    ax.plot(x, y, "o", color="#1f5fa8", ms=6)
    dx, dy = offsets[name]
    ax.text(x + dx, y + dy, name, fontsize=14, ha="center", va="center", weight="bold")

# Guide lines to the axes.
for x in (1.0, 4.0):
    ax.plot([x, x], [0, 100.0], color="gray", ls="--", lw=0.9, zorder=0)
for y in (100.0, 300.0):
    ax.plot([0, 1.0], [y, y], color="gray", ls="--", lw=0.9, zorder=0)

ax.set_xticks([1.0, 4.0], ["1.0 L", "4.0 L"], fontsize=12)
ax.set_yticks([100.0, 300.0], ["100 kPa", "300 kPa"], fontsize=12)
ax.set_xlim(0, 5.2)
ax.set_ylim(0, 380)
fig.tight_layout()
fig.savefig("figure.png")
