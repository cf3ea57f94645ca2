"""Two-step synthesis ethene -> ethanol -> ethanoic acid with reagents, conditions and step yields."""
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 3.4))
ax.set_xlim(0, 10)
ax.set_ylim(0.5, 3.9)
ax.axis("off")

species = [
    (1.0, "CH₂=CH₂", "ethene"),
    (5.0, "CH₃CH₂OH", "ethanol"),
    (9.0, "CH₃COOH", "ethanoic acid"),
]
for x, formula, name in species:
    ax.text(x, 2.2, formula, ha="center", va="center", fontsize=16, weight="bold")
    ax.text(x, 1.55, name, ha="center", va="center", fontsize=13, color="#444444")
ax.text(1.0, 0.9, "14.0 g", ha="center", va="center", fontsize=14, color="#1f4e9a",
        bbox=dict(boxstyle="round,pad=0.3", fc="#eef3fb", ec="#1f4e9a"))

arrows = [
    (2.15, 3.75, ["H₂O(g), H₃PO₄", "300 °C, 60 atm"], "yield 80%"),
    (6.35, 7.75, ["K₂Cr₂O₇, H₂SO₄", "reflux"], "yield 75%"),
]
for x0, x1, above, below in arrows:
    ax.annotate("", xy=(x1, 2.2), xytext=(x0, 2.2),
                arrowprops=dict(arrowstyle="-|>", lw=1.8, color="black", mutation_scale=20))
    mid = (x0 + x1) / 2
    ax.text(mid, 2.45, "\n".join(above), ha="center", va="bottom", fontsize=12, linespacing=1.4)
    ax.text(mid, 1.95, below, ha="center", va="top", fontsize=13, color="#b03a2e")

for x, step in ((2.95, "Step 1: hydration"), (7.05, "Step 2: oxidation")):
    ax.text(x, 3.55, step, ha="center", va="center", fontsize=12, color="#666666", style="italic")
fig.tight_layout()
fig.savefig("figure.png")
