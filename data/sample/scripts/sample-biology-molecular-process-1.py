"""A DNA template strand (3' -> 5') bound by RNA polymerase, with a partial mRNA codon table."""
import matplotlib.pyplot as plt
from matplotlib.patches import Ellipse, FancyBboxPatch, Rectangle

TRIPLETS = ["TAC", "GGA", "CTT", "ATC"]
SEG = 1.6

fig, ax = plt.subplots(figsize=(8, 4.6))
ax.set_xlim(0, 10)
ax.set_ylim(0.8, 5.9)
ax.axis("off")

x0, y0 = 1.7, 4.2
ax.add_patch(Ellipse((x0 + 1.55, y0 + 0.3), 3.0, 1.9, fc="#fff59d", ec="#f9a825", lw=1.5, alpha=0.85, zorder=1))
ax.text(x0 + 1.55, y0 + 0.85, "RNA polymerase", ha="center", va="center", fontsize=12, color="#5d4300", zorder=4)
for i, triplet in enumerate(TRIPLETS):
    x = x0 + i * SEG
    fc = "#bbdefb" if i % 2 == 0 else "#e3f2fd"
    ax.add_patch(Rectangle((x, y0 - 0.3), SEG, 0.6, fc=fc, ec="#0d47a1", lw=1.4, zorder=2))
    ax.text(x + SEG / 2, y0, triplet, ha="center", va="center", fontsize=17, family="monospace",
            weight="bold", zorder=3)
ax.text(x0 - 0.25, y0, "3'", ha="right", va="center", fontsize=16, weight="bold")
ax.text(x0 + 4 * SEG + 0.25, y0, "5'", ha="left", va="center", fontsize=16, weight="bold")
ax.text(x0 + 2 * SEG, y0 - 0.75, "template strand (DNA)", ha="center", va="center", fontsize=13)

# part of the genetic code (mRNA codons)
table = [("AUG", "Met"), ("CCU", "Pro"), ("GAA", "Glu"), ("UAG", "stop"),
         ("GGA", "Gly"), ("CUU", "Leu"), ("AUC", "Ile"), ("UUU", "Phe")]
tx, ty = 1.4, 2.0
ax.text(5.0, ty + 0.75, "Codon table (mRNA codon: amino acid)", ha="center", va="center", fontsize=12)
for k, (codon, aa) in enumerate(table):
    col, row = k % 4, k // 4
    cx, cy = tx + col * 1.9, ty - row * 0.75
    ax.add_patch(FancyBboxPatch((cx, cy - 0.28), 1.7, 0.56, boxstyle="round,pad=0.02",
                                fc="#f5f5f5", ec="grey", lw=0.8))
    ax.text(cx + 0.85, cy, f"{codon}: {aa}", ha="center", va="center", fontsize=12, family="monospace")

ax.set_title("Transcription and translation", fontsize=14)
fig.tight_layout()
fig.savefig("figure.png")
