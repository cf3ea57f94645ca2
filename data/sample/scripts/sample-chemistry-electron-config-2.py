"""Bohr shell diagrams of a sodium atom (2, 8, 1) and a chlorine atom (2, 8, 7) before they react."""
import matplotlib.pyplot as plt
import numpy as np

SHELL_RADII = (1.0, 1.6, 2.2)


def positions(n_electrons, radius, start_deg=90):
    """Electrons in pairs at the four compass points (Lewis style), singles first."""
    slots = [start_deg, start_deg - 90, start_deg - 180, start_deg - 270]
    pts = []
    if n_electrons == 2:  # first shell: the pair on opposite sides
        angles = [start_deg, start_deg + 180]
        return [radius * np.array([np.cos(np.radians(a)), np.sin(np.radians(a))]) for a in angles]
    counts = [0, 0, 0, 0]
    for k in range(n_electrons):
        counts[k % 4] += 1
    for slot, c in zip(slots, counts):
        offsets = {0: [], 1: [0], 2: [-11, 11]}[c]
        for off in offsets:
            a = np.radians(slot + off)
            pts.append(radius * np.array([np.cos(a), np.sin(a)]))
    return pts


def atom(ax, centre, nucleus_label, shells, colour):
    cx, cy = centre
    ax.add_patch(plt.Circle(centre, 0.55, fc=colour, ec="black", lw=1.3))
    ax.text(cx, cy, nucleus_label, ha="center", va="center", fontsize=12, linespacing=1.2)
    for r, n in zip(SHELL_RADII, shells):
        ax.add_patch(plt.Circle(centre, r, fc="none", ec="#555555", lw=1.1))
        for p in positions(n, r):
            ax.add_patch(plt.Circle((cx + p[0], cy + p[1]), 0.1, fc="#1f4e9a", ec="black", lw=0.6))


fig, ax = plt.subplots(figsize=(8, 4.8))
ax.set_aspect("equal")
ax.axis("off")
atom(ax, (-3.0, 0.0), "11p\n12n", (2, 8, 1), "#f5d67b")
atom(ax, (3.0, 0.0), "17p\n18n", (2, 8, 7), "#a8d5a2")
ax.text(-3.0, -2.75, "sodium atom, Na", ha="center", va="center", fontsize=14)
ax.text(-3.0, -3.35, "2, 8, 1", ha="center", va="center", fontsize=14, color="#1f4e9a")
ax.text(3.0, -2.75, "chlorine atom, Cl", ha="center", va="center", fontsize=14)
ax.text(3.0, -3.35, "2, 8, 7", ha="center", va="center", fontsize=14, color="#1f4e9a")
ax.plot([], [], "o", color="#1f4e9a", label="electron")
ax.legend(loc="upper center", fontsize=12, frameon=False, bbox_to_anchor=(0.5, 1.0))
ax.set_xlim(-5.6, 5.6)
ax.set_ylim(-3.7, 2.5)
fig.tight_layout()
fig.savefig("figure.png")
