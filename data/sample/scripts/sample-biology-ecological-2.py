"""Simplified global carbon cycle: reservoirs (boxes) and annual fluxes (arrows, Gt C per year)."""
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 6))
ax.axis("off")
ax.set_xlim(-0.3, 10.5)
ax.set_ylim(0, 7.2)

BOXES = {  # name: (centre x, centre y, half width, half height, colour)
    "atm": (5.0, 6.4, 2.6, 0.42, "#e3f2fd"),
    "plants": (1.4, 3.8, 1.1, 0.4, "#c8e6c9"),
    "soil": (1.4, 0.8, 1.4, 0.5, "#d7ccc8"),
    "fossil": (5.6, 0.8, 1.0, 0.4, "#cfd8dc"),
    "ocean": (8.6, 3.0, 1.0, 0.45, "#b3e5fc"),
}
TEXT = {
    "atm": "Atmosphere (CO₂): 750 Gt C",
    "plants": "Land plants",
    "soil": "Soil and dead\norganic matter",
    "fossil": "Fossil fuels",
    "ocean": "Ocean",
}
for key, (x, y, hw, hh, colour) in BOXES.items():
    ax.add_patch(plt.Rectangle((x - hw, y - hh), 2 * hw, 2 * hh, fc=colour, ec="black", lw=1.3))
    ax.text(x, y, TEXT[key], ha="center", va="center", fontsize=13, linespacing=1.2)


def flux(start, end, text, text_xy, ha):
    ax.annotate("", xy=end, xytext=start,
                arrowprops=dict(arrowstyle="-|>", lw=1.8, color="#37474f", mutation_scale=16))
    ax.text(*text_xy, text, ha=ha, va="center", fontsize=12, color="#b03a2e", linespacing=1.2)


TOP = 6.4 - 0.42  # underside of the atmosphere box
flux((2.9, TOP), (1.0, 4.2), "photosynthesis\n120", (1.25, 5.35), "right")
flux((1.8, 4.2), (3.5, TOP), "respiration\n60", (2.75, 4.55), "left")
flux((1.4, 3.4), (1.4, 1.3), "litter fall\n60", (1.52, 2.35), "left")
flux((2.8, 1.25), (4.9, TOP), "decomposition\n60", (3.92, 3.0), "left")
flux((5.6, 1.2), (5.6, TOP), "combustion\n9", (5.72, 2.0), "left")
flux((6.9, TOP), (8.3, 3.45), "ocean uptake\n92", (7.62, 4.0), "right")
flux((9.0, 3.45), (7.5, TOP), "ocean release\n90", (8.85, 4.9), "left")

ax.text(10.4, 0.35, "Fluxes in Gt C per year", ha="right", va="center", fontsize=12, style="italic")
ax.set_title("A simplified carbon cycle", fontsize=14)
fig.tight_layout()
fig.savefig("figure.png")
