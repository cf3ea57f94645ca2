# Cooling curve: temperature of a cup of tea measured every 5 minutes.
import matplotlib.pyplot as plt

time_min = [0, 5, 10, 15, 20]
temp_c = [90, 72, 59, 50, 43]
temp_labels = ["90 °C", "72 °C", "59 °C", "50 °C", "43 °C"]

fig, ax = plt.subplots(figsize=(7.5, 5))
ax.plot(time_min, temp_c, color="tab:red", lw=1.8, marker="o", ms=7, mfc="white", mew=1.8)
for t, T, label in zip(time_min, temp_c, temp_labels, strict=True):
    ax.annotate(label, (t, T), xytext=(8, 8), textcoords="offset points", fontsize=12, ha="left", va="bottom")

ax.set_xlim(-1, 23)
ax.set_ylim(30, 100)
ax.set_xticks(time_min)
ax.set_yticks(range(30, 101, 10))
ax.set_xlabel("Time (min)", fontsize=13)
ax.set_ylabel("Temperature (°C)", fontsize=13)
ax.set_title("Cooling of a cup of tea", fontsize=14)
ax.tick_params(labelsize=12)
ax.grid(True, color="#dddddd", lw=0.8)
for side in ("top", "right"):
    ax.spines[side].set_visible(False)
fig.tight_layout()
fig.savefig("figure.png")
