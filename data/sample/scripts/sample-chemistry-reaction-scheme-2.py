"""Contact process: S -> SO2 -> SO3 -> H2SO4, with conditions, the step-2 conversion and the sulfur feed."""
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 3.2))
ax.set_xlim(0, 12.4)
ax.set_ylim(0.4, 3.6)
ax.axis("off")

species = [
    (0.7, "S", "sulfur"),
    (4.3, "SO₂", "sulfur dioxide"),
    (7.9, "SO₃", "sulfur trioxide"),
    (11.5, "H₂SO₄", "sulfuric acid"),
]
Y = 2.2
for x, formula, name in species:
    ax.text(x, Y, formula, ha="center", va="center", fontsize=17, weight="bold")
    ax.text(x, Y - 0.75, name, ha="center", va="center", fontsize=12, color="#444444")
ax.text(0.7, 0.85, "64.0 t", ha="center", va="center", fontsize=14, color="#1f4e9a",
        bbox=dict(boxstyle="round,pad=0.3", fc="#eef3fb", ec="#1f4e9a"))

arrows = [
    (1.2, 3.4, ["+ O₂", "burn in air"], "conversion 100%"),
    (5.0, 7.2, ["+ O₂, V₂O₅", "450 °C, 2 atm"], "conversion 96%"),
    (8.6, 10.6, ["absorb in conc.", "H₂SO₄, + H₂O"], "conversion 100%"),
]
for i, (x0, x1, above, below) in enumerate(arrows, start=1):
    ax.annotate("", xy=(x1, Y), xytext=(x0, Y),
                arrowprops=dict(arrowstyle="-|>", lw=1.8, color="black", mutation_scale=20))
    mid = (x0 + x1) / 2
    ax.text(mid, Y + 0.22, "\n".join(above), ha="center", va="bottom", fontsize=12, linespacing=1.4)
    ax.text(mid, Y - 0.22, below, ha="center", va="top", fontsize=12, color="#b03a2e")
    ax.text(mid, 3.35, f"Step {i}", ha="center", va="center", fontsize=12, color="#666666", style="italic")

fig.tight_layout()
fig.savefig("figure.png")
