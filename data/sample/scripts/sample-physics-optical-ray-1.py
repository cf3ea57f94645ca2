"""Converging lens (f = 10 cm) with a 4.0 cm object 15 cm in front; principal rays up to the frame edge."""

import matplotlib.pyplot as plt
from matplotlib.patches import Ellipse

f, u, h = 10.0, 15.0, 4.0  # focal length, object distance, object height (cm)
x_end = 23.0  # rays leave the frame here, before they meet

fig, ax = plt.subplots(figsize=(8, 5.6))
ax.axhline(0, color="black", lw=1.0, zorder=1)
ax.add_patch(Ellipse((0, 0), 1.4, 18.0, facecolor="#d6ebf7", edgecolor="#1f5fa8", lw=1.5, zorder=2))
ax.text(0, 9.6, "converging lens", fontsize=12, ha="center", va="bottom")

# Focal-point labels sit where no ray passes.
for x, dx, dy, ha, va in ((-f, 0.5, 0.5, "left", "bottom"), (f, -0.5, -0.5, "right", "top")):
    ax.plot(x, 0, "ko", ms=5, zorder=4)
    ax.text(x + dx, dy, "F", fontsize=13, ha=ha, va=va)

# Object: upright arrow on the axis.
ax.annotate(
    "",
    xy=(-u, h),
    xytext=(-u, 0),
    arrowprops=dict(arrowstyle="-|>", lw=2.6, color="#c0392b", mutation_scale=20),
    zorder=5,
)
ax.text(-u - 0.4, h + 0.5, "object", fontsize=11, ha="center", va="bottom", color="#c0392b")

ray = dict(color="#e67e22", lw=1.4, zorder=3)


def ray_with_arrow(xs, ys):
    ax.plot(xs, ys, **ray)
    for i in range(len(xs) - 1):
        mx, my = (xs[i] + xs[i + 1]) / 2, (ys[i] + ys[i + 1]) / 2
        dx, dy = xs[i + 1] - xs[i], ys[i + 1] - ys[i]
        ax.annotate(
            "",
            xy=(mx + 0.02 * dx, my + 0.02 * dy),
            xytext=(mx, my),
            arrowprops=dict(arrowstyle="-|>", color=ray["color"], lw=1.2, mutation_scale=13),
            zorder=3,
        )


# 1) parallel to the axis, refracted through the far focal point
ray_with_arrow([-u, 0, x_end], [h, h, h - h / f * x_end])
# 2) through the optical centre, undeviated
ray_with_arrow([-u, x_end], [h, -h / u * x_end])
# 3) through the near focal point, refracted parallel to the axis
y_at_lens = h - h / (u - f) * u
ray_with_arrow([-u, 0, x_end], [h, y_at_lens, y_at_lens])

dim = dict(arrowstyle="<|-|>", lw=1.1, color="black", mutation_scale=11)
ax.annotate("", xy=(-u, -10.2), xytext=(0, -10.2), arrowprops=dim)
ax.text(-u / 2, -10.5, "15 cm", fontsize=12, ha="center", va="top")
ax.plot([-u, -u], [-0.3, -10.6], color="gray", lw=0.8, ls=":")
ax.annotate("", xy=(0, 6.3), xytext=(f, 6.3), arrowprops=dim)
ax.text(f / 2, 6.6, "f = 10 cm", fontsize=12, ha="center", va="bottom")
ax.plot([f, f], [0.3, 6.6], color="gray", lw=0.8, ls=":")
ax.annotate("", xy=(-u - 2.2, h), xytext=(-u - 2.2, 0), arrowprops=dim)
ax.text(-u - 2.6, h / 2, "4.0 cm", fontsize=12, ha="right", va="center")

ax.set_xlim(-24, x_end)
ax.set_ylim(-12.5, 11.5)
ax.set_aspect("equal")
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
