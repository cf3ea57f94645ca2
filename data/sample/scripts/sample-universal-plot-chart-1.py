# Bar chart of monthly rainfall at a weather station, January to June.
import matplotlib.pyplot as plt

months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun"]
rainfall_mm = [62, 48, 75, 90, 55, 38]

fig, ax = plt.subplots(figsize=(7.5, 5))
bars = ax.bar(months, rainfall_mm, width=0.6, color="#6a9fd4", edgecolor="black", lw=1)
for bar, value in zip(bars, rainfall_mm, strict=True):
    ax.text(bar.get_x() + bar.get_width() / 2, value + 1.5, str(value), fontsize=13, ha="center", va="bottom")

ax.set_ylim(0, 100)
ax.set_yticks(range(0, 101, 20))
ax.set_ylabel("Rainfall (mm)", fontsize=13)
ax.set_xlabel("Month", fontsize=13)
ax.set_title("Monthly rainfall", fontsize=14)
ax.tick_params(labelsize=12)
ax.yaxis.grid(True, color="#dddddd", lw=0.8)
ax.set_axisbelow(True)
for side in ("top", "right"):
    ax.spines[side].set_visible(False)
fig.tight_layout()
fig.savefig("figure.png")
