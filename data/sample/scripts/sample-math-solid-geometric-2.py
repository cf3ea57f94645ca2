# Grain silo: a cylinder (radius 3 m, height 8 m) capped by a cone of height 4 m.
# Drawn to scale; circles appear as ellipses (viewed slightly from above), hidden arcs dashed.
import matplotlib.pyplot as plt
import numpy as np

R, H_CYL, H_CONE = 3.0, 8.0, 4.0
b = 1.1  # semi-minor axis of the projected circles
t_front = np.linspace(np.pi, 2 * np.pi, 200)
t_back = np.linspace(0, np.pi, 200)

fig, ax = plt.subplots(figsize=(5.6, 6))
ink = dict(color="black", lw=2, solid_capstyle="round")
hidden = dict(color="black", lw=1.2, ls=(0, (5, 4)))

# Base circle: front half visible, back half hidden.
ax.plot(R * np.cos(t_front), b * np.sin(t_front), **ink)
ax.plot(R * np.cos(t_back), b * np.sin(t_back), **hidden)
# Cylinder walls.
ax.plot([-R, -R], [0, H_CYL], **ink)
ax.plot([R, R], [0, H_CYL], **ink)

# Rim where cone meets cylinder. From the apex (0, H_CYL + H_CONE) the cone's outline touches
# the rim ellipse where its polar line y - H_CYL = b^2 / H_CONE cuts it.
y_touch = b**2 / H_CONE
x_touch = R * np.sqrt(1 - (y_touch / b) ** 2)
t_touch = np.arcsin(y_touch / b)
t_rim_front = np.linspace(np.pi - t_touch, 2 * np.pi + t_touch, 200)
t_rim_back = np.linspace(t_touch, np.pi - t_touch, 200)
ax.plot(R * np.cos(t_rim_front), H_CYL + b * np.sin(t_rim_front), **ink)
ax.plot(R * np.cos(t_rim_back), H_CYL + b * np.sin(t_rim_back), **hidden)
apex = (0.0, H_CYL + H_CONE)
ax.plot([-x_touch, apex[0], x_touch], [H_CYL + y_touch, apex[1], H_CYL + y_touch], **ink)

# Radius of the base and the cone's axis (hidden, dashed), centre points.
ax.plot([0, R], [0, 0], color="tab:blue", lw=1.6)
ax.plot(0, 0, "o", color="black", ms=4)
ax.plot(0, H_CYL, "o", color="black", ms=4)
ax.plot([0, 0], [H_CYL, H_CYL + H_CONE], color="tab:blue", lw=1.4, ls=(0, (4, 3)))
ax.text(R / 2, 0.1, "3 m", fontsize=13, ha="center", va="bottom", color="tab:blue")
ax.text(0.25, H_CYL + H_CONE / 2 - 0.3, "4 m", fontsize=14, ha="left", va="center", color="tab:blue")

# Dimension line for the cylinder height, outside the right wall.
xd = R + 1.0
ax.annotate(
    "",
    xy=(xd, 0),
    xytext=(xd, H_CYL),
    arrowprops=dict(arrowstyle="<|-|>", color="black", lw=1.2, mutation_scale=12),
)
for y in (0, H_CYL):
    ax.plot([R + 0.2, xd + 0.3], [y, y], color="grey", lw=0.8)
ax.text(xd + 0.25, H_CYL / 2, "8 m", fontsize=14, ha="left", va="center")

ax.set_aspect("equal")
ax.set_xlim(-4.0, 6.0)
ax.set_ylim(-1.6, 12.8)
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
