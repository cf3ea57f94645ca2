# Flowchart of a counting loop: k = 1, S = 0; repeat S = S + 3k, k = k + 1 until k > 5; output S.
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch, Polygon

fig, ax = plt.subplots(figsize=(7, 6))
FS = 14
W, H = 2.8, 0.7
XM = 3.6  # x of the main column
Y = {"start": 10.6, "init": 9.2, "add": 7.8, "inc": 6.4, "test": 4.7}
XR = 7.9  # x of the output column


def box(x, y, text, style):
    if style == "terminal":
        patch = FancyBboxPatch(
            (x - W / 2, y - H / 2),
            W,
            H,
            boxstyle=f"round,pad=0,rounding_size={H / 2}",
            facecolor="#e6e6e6",
            edgecolor="black",
            lw=1.5,
        )
    elif style == "io":  # parallelogram for input/output
        s = 0.25
        patch = Polygon(
            [
                (x - W / 2 + s, y + H / 2),
                (x + W / 2 + s, y + H / 2),
                (x + W / 2 - s, y - H / 2),
                (x - W / 2 - s, y - H / 2),
            ],
            facecolor="#fff2cc",
            edgecolor="black",
            lw=1.5,
        )
    else:  # process rectangle
        patch = FancyBboxPatch(
            (x - W / 2, y - H / 2),
            W,
            H,
            boxstyle="square,pad=0",
            facecolor="#dbe8f6",
            edgecolor="black",
            lw=1.5,
        )
    ax.add_patch(patch)
    ax.text(x, y, text, fontsize=FS, ha="center", va="center")


def arrow(points):
    """Polyline through the points with an arrowhead on the last segment."""
    xs, ys = zip(*points, strict=True)
    ax.plot(xs[:-1], ys[:-1], color="black", lw=1.4)
    ax.annotate(
        "",
        xy=points[-1],
        xytext=points[-2],
        arrowprops=dict(arrowstyle="-|>", color="black", lw=1.4, mutation_scale=14),
    )


box(XM, Y["start"], "Start", "terminal")
box(XM, Y["init"], "k = 1, S = 0", "process")
box(XM, Y["add"], "S = S + 3k", "process")
box(XM, Y["inc"], "k = k + 1", "process")
DW, DH = 1.6, 0.9  # half-width and half-height of the decision diamond
ax.add_patch(
    Polygon(
        [(XM, Y["test"] + DH), (XM + DW, Y["test"]), (XM, Y["test"] - DH), (XM - DW, Y["test"])],
        facecolor="#fde2e2",
        edgecolor="black",
        lw=1.5,
    )
)
ax.text(XM, Y["test"], "k > 5?", fontsize=FS, ha="center", va="center")
box(XR, Y["test"], "Output S", "io")
box(XR, Y["test"] - 1.7, "End", "terminal")

arrow([(XM, Y["start"] - H / 2), (XM, Y["init"] + H / 2)])
arrow([(XM, Y["init"] - H / 2), (XM, Y["add"] + H / 2)])
arrow([(XM, Y["add"] - H / 2), (XM, Y["inc"] + H / 2)])
arrow([(XM, Y["inc"] - H / 2), (XM, Y["test"] + DH)])
# "Yes" leaves to the right, "No" loops back up the left side to the adding step.
arrow([(XM + DW, Y["test"]), (XR - W / 2 - 0.25, Y["test"])])
ax.text(XM + DW + 0.2, Y["test"] + 0.15, "Yes", fontsize=FS, ha="left", va="bottom")
arrow([(XR, Y["test"] - H / 2), (XR, Y["test"] - 1.7 + H / 2)])
x_loop = 1.0
arrow([(XM - DW, Y["test"]), (x_loop, Y["test"]), (x_loop, Y["add"]), (XM - W / 2, Y["add"])])
ax.text((x_loop + XM - DW) / 2, Y["test"] + 0.15, "No", fontsize=FS, ha="center", va="bottom")

ax.set_xlim(0.6, 9.6)
ax.set_ylim(2.3, 11.2)
ax.set_aspect("equal")
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
