"""Bent water molecule: O-H bond lengths, H-O-H bond angle and the two lone pairs on O."""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Arc, Circle

BOND_PM = 96.0
ANGLE_DEG = 104.5
half = np.radians(ANGLE_DEG / 2)
oxygen = np.array([0.0, 0.0])
h_left = oxygen + BOND_PM * np.array([-np.sin(half), -np.cos(half)])
h_right = oxygen + BOND_PM * np.array([np.sin(half), -np.cos(half)])

fig, ax = plt.subplots(figsize=(7, 4.6))
ax.set_aspect("equal")
ax.axis("off")

for h in (h_left, h_right):
    ax.plot([oxygen[0], h[0]], [oxygen[1], h[1]], color="black", lw=3, zorder=1)
ax.add_patch(Circle(oxygen, 17, fc="#d9534f", ec="black", lw=1.5, zorder=2))
ax.text(*oxygen, "O", ha="center", va="center", fontsize=18, color="white", weight="bold", zorder=3)
for h in (h_left, h_right):
    ax.add_patch(Circle(h, 12, fc="white", ec="black", lw=1.5, zorder=2))
    ax.text(*h, "H", ha="center", va="center", fontsize=15, zorder=3)

# two lone pairs on O, drawn as dot pairs pointing up-left and up-right (tetrahedral-like)
for direction_deg in (125, 55):
    d = np.radians(direction_deg)
    centre = oxygen + 26 * np.array([np.cos(d), np.sin(d)])
    perp = np.array([-np.sin(d), np.cos(d)])
    for s in (-1, 1):
        ax.add_patch(Circle(centre + s * 5 * perp, 2.8, color="black"))
ax.annotate("2 lone pairs", xy=(oxygen + 31 * np.array([np.cos(np.radians(55)), np.sin(np.radians(55))])),
            xytext=(55, 48), fontsize=13, ha="left", va="center",
            arrowprops=dict(arrowstyle="-", color="grey", lw=1))

# H-O-H bond angle
start = np.degrees(np.arctan2(h_left[1], h_left[0])) % 360
end = np.degrees(np.arctan2(h_right[1], h_right[0])) % 360
ax.add_patch(Arc(oxygen, 56, 56, theta1=start, theta2=end, color="#1f4e9a", lw=1.6))
ax.text(0, -42, "104.5°", ha="center", va="center", fontsize=14, color="#1f4e9a")

# O-H bond lengths, written outside each bond
for h in (h_left, h_right):
    mid = (oxygen + h) / 2
    normal = np.array([-h[1], h[0]]) / BOND_PM
    if normal[1] < 0:  # the side away from the bond angle
        normal = -normal
    ax.text(*(mid + 24 * normal), "96 pm", ha="center", va="center", fontsize=14)

ax.text(-22, 10, "δ−", fontsize=13, ha="right", va="bottom", color="#444444")
ax.text(h_left[0] - 16, h_left[1] - 10, "δ+", fontsize=13, ha="right", va="top", color="#444444")
ax.text(h_right[0] + 16, h_right[1] - 10, "δ+", fontsize=13, ha="left", va="top", color="#444444")

ax.set_xlim(-130, 130)
ax.set_ylim(-85, 62)
ax.set_title("Water molecule, H2O", fontsize=15)
fig.tight_layout()
fig.savefig("figure.png")
