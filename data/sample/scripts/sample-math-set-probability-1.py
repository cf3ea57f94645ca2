# Venn diagram: a class of 40 students; 25 study French, 18 study Spanish, 9 study both.
import matplotlib.pyplot as plt
from matplotlib.patches import Circle, Rectangle

fig, ax = plt.subplots(figsize=(7.5, 5))
ax.add_patch(Rectangle((0, 0), 10, 6.4, fill=False, edgecolor="black", lw=2))
ax.text(0.25, 6.15, "U (40 students)", fontsize=14, ha="left", va="top")

french = Circle((3.9, 3.0), 2.3, facecolor="tab:blue", alpha=0.18, edgecolor="none")
spanish = Circle((6.1, 3.0), 2.3, facecolor="tab:orange", alpha=0.18, edgecolor="none")
for circle, colour in ((french, "tab:blue"), (spanish, "tab:orange")):
    ax.add_patch(circle)
    ax.add_patch(Circle(circle.center, circle.radius, fill=False, edgecolor=colour, lw=2))

ax.text(2.6, 5.55, "French (25)", fontsize=14, ha="center", va="center", color="tab:blue")
ax.text(7.4, 5.55, "Spanish (18)", fontsize=14, ha="center", va="center", color="#b35900")
ax.text(5.0, 3.0, "9", fontsize=16, ha="center", va="center", fontweight="bold")

ax.set_aspect("equal")
ax.set_xlim(-0.2, 10.2)
ax.set_ylim(-0.2, 6.6)
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
