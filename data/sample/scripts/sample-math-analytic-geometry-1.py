# Triangle with vertices A(-2, 1), B(4, 3), C(1, -3) on a coordinate grid.
import matplotlib.pyplot as plt

pts = {"A": (-2, 1), "B": (4, 3), "C": (1, -3)}
label_offset = {"A": (-0.25, 0.35), "B": (0.2, 0.35), "C": (0.3, -0.35)}
label_align = {"A": "right", "B": "left", "C": "left"}

fig, ax = plt.subplots(figsize=(6.5, 6))
ax.set_xlim(-4.5, 6.5)
ax.set_ylim(-4.5, 5.5)
# Same hyphen-minus on ticks as in the point labels; no "0" ticks (the origin is labelled O).
plt.rcParams["axes.unicode_minus"] = False
ax.set_xticks([v for v in range(-4, 6) if v != 0])
ax.set_yticks([v for v in range(-4, 5) if v != 0])
ax.grid(True, color="#dddddd", lw=0.8)
ax.tick_params(labelsize=11)
for side in ("top", "right"):
    ax.spines[side].set_visible(False)
# Put the axes through the origin.
ax.spines["left"].set_position("zero")
ax.spines["bottom"].set_position("zero")
ax.plot(1, 0, ">k", transform=ax.get_yaxis_transform(), clip_on=False)
ax.plot(0, 1, "^k", transform=ax.get_xaxis_transform(), clip_on=False)
ax.text(6.3, -0.25, "x", fontsize=14, ha="right", va="top")
ax.text(-0.3, 5.4, "y", fontsize=14, ha="right", va="top")
ax.text(-0.15, -0.15, "O", fontsize=12, ha="right", va="top")

xs, ys = zip(*(pts[k] for k in "ABCA"), strict=True)
ax.fill(xs, ys, color="tab:blue", alpha=0.12)
ax.plot(xs, ys, color="tab:blue", lw=2)
for name, (x, y) in pts.items():
    ax.plot(x, y, "o", color="black", ms=6, zorder=3)
    dx, dy = label_offset[name]
    ax.text(
        x + dx,
        y + dy,
        f"{name}({x}, {y})",
        fontsize=14,
        ha=label_align[name],
        va="center",
        bbox=dict(facecolor="white", edgecolor="none", pad=1),
    )

ax.set_aspect("equal")
fig.tight_layout()
fig.savefig("figure.png")
