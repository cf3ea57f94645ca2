"""Three-generation pedigree of albinism (autosomal recessive), individual III-2 marked with '?'."""
import matplotlib.pyplot as plt
from matplotlib.patches import Circle, Rectangle

S = 0.5  # symbol size
fig, ax = plt.subplots(figsize=(8, 4.2))
ax.set_aspect("equal")
ax.axis("off")


def person(x, y, sex, affected, number):
    fc = "black" if affected else "white"
    if sex == "m":
        ax.add_patch(Rectangle((x - S / 2, y - S / 2), S, S, fc=fc, ec="black", lw=1.6, zorder=3))
    else:
        ax.add_patch(Circle((x, y), S / 2, fc=fc, ec="black", lw=1.6, zorder=3))
    ax.text(x, y - S / 2 - 0.12, str(number), ha="center", va="top", fontsize=12)


def line(xs, ys):
    ax.plot(xs, ys, color="black", lw=1.4, zorder=1)


YI, YII, YIII = 4.0, 2.4, 0.8
# generation I: two unaffected parents
person(3, YI, "m", False, 1)
person(5, YI, "f", False, 2)
line([3, 5], [YI, YI])
line([4, 4], [YI, YI - 0.8])
line([2, 6], [YI - 0.8, YI - 0.8])
for x in (2, 4, 6):
    line([x, x], [YI - 0.8, YII])
# generation II
person(2, YII, "f", False, 1)
person(4, YII, "m", True, 2)
person(6, YII, "m", False, 3)
person(8, YII, "f", False, 4)
line([6, 8], [YII, YII])
line([7, 7], [YII, YII - 0.8])
line([6, 8], [YII - 0.8, YII - 0.8])
for x in (6, 8):
    line([x, x], [YII - 0.8, YIII])
# generation III
person(6, YIII, "f", True, 1)
person(8, YIII, "m", False, 2)
ax.text(8.45, YIII + 0.05, "?", ha="left", va="center", fontsize=18, color="#b03a2e", weight="bold")

for y, roman in ((YI, "I"), (YII, "II"), (YIII, "III")):
    ax.text(0.6, y, roman, ha="center", va="center", fontsize=14, weight="bold")

# key
kx, ky = 10.0, 4.2
entries = [("m", False, "unaffected male"), ("f", False, "unaffected female"),
           ("m", True, "affected male"), ("f", True, "affected female")]
ax.text(kx - 0.3, ky + 0.55, "Key", fontsize=13, weight="bold", va="center")
for i, (sex, affected, text) in enumerate(entries):
    y = ky - 0.75 * i
    fc = "black" if affected else "white"
    if sex == "m":
        ax.add_patch(Rectangle((kx - 0.18, y - 0.18), 0.36, 0.36, fc=fc, ec="black", lw=1.3))
    else:
        ax.add_patch(Circle((kx, y), 0.18, fc=fc, ec="black", lw=1.3))
    ax.text(kx + 0.4, y, text, ha="left", va="center", fontsize=12)

ax.set_title("Pedigree of albinism (autosomal recessive)", fontsize=14)
ax.set_xlim(0, 13.6)
ax.set_ylim(0.0, 5.0)
fig.tight_layout()
fig.savefig("figure.png")
