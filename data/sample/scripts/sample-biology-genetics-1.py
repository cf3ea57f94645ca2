"""Drosophila testcross for two linked genes: parental chromosomes and the four offspring classes with counts."""
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

fig = plt.figure(figsize=(8, 6))
top = fig.add_axes([0.02, 0.6, 0.96, 0.38])
top.set_xlim(0, 10)
top.set_ylim(0, 4)
top.axis("off")


def chromosome(ax, x, alleles, colour):
    ax.add_patch(FancyBboxPatch((x - 0.12, 0.9), 0.24, 2.3, boxstyle="round,pad=0,rounding_size=0.12",
                                fc=colour, ec="black", lw=1.2))
    for y, allele in zip((2.6, 1.5), alleles):
        ax.plot([x - 0.12, x + 0.12], [y, y], color="black", lw=2)
        ax.text(x + 0.22, y, allele, ha="left", va="center", fontsize=14, style="italic")


chromosome(top, 1.8, ("A", "B"), "#f6c9a8")
chromosome(top, 2.6, ("a", "b"), "#b7d3ea")
top.text(2.25, 0.45, "F1 female (grey, normal wings)", ha="center", va="center", fontsize=12)
top.text(5.0, 2.05, "×", ha="center", va="center", fontsize=24)
chromosome(top, 7.4, ("a", "b"), "#b7d3ea")
chromosome(top, 8.2, ("a", "b"), "#b7d3ea")
top.text(7.85, 0.45, "tester male (black, vestigial)", ha="center", va="center", fontsize=12)
top.text(5.0, 3.75, "Testcross in Drosophila: body colour (A/a) and wing shape (B/b)", ha="center",
         va="center", fontsize=13)

ax = fig.add_axes([0.1, 0.1, 0.86, 0.42])
classes = [("AaBb", "grey, normal", 420), ("aabb", "black, vestigial", 422),
           ("Aabb", "grey, vestigial", 80), ("aaBb", "black, normal", 78)]
xs = range(len(classes))
ax.bar(xs, [c[2] for c in classes], width=0.55, color=["#9e9e9e", "#424242", "#9e9e9e", "#424242"],
       edgecolor="black")
for x, (genotype, phenotype, n) in zip(xs, classes):
    ax.text(x, n + 12, str(n), ha="center", va="bottom", fontsize=13, weight="bold")
ax.set_xticks(list(xs), [f"{g}\n{p}" for g, p, _ in classes], fontsize=11)
ax.set_ylabel("Number of offspring", fontsize=12)
ax.set_title("Testcross offspring", fontsize=12)
ax.set_ylim(0, 520)
ax.set_yticks([0, 100, 200, 300, 400, 500])
ax.tick_params(axis="y", labelsize=11)
ax.spines[["top", "right"]].set_visible(False)
fig.savefig("figure.png")
