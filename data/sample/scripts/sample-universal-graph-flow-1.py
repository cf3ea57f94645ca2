# Weighted undirected graph (road network) on six nodes A-F; edge labels are travel times.
import matplotlib.pyplot as plt
import networkx as nx

pos = {"A": (0, 1), "B": (2, 2), "C": (2, 0), "D": (4, 2), "E": (4, 0), "F": (6, 1)}
edges = [
    ("A", "B", 4),
    ("A", "C", 2),
    ("B", "C", 1),
    ("B", "D", 5),
    ("C", "D", 8),
    ("C", "E", 10),
    ("D", "E", 2),
    ("D", "F", 6),
    ("E", "F", 3),
]
G = nx.Graph()
G.add_weighted_edges_from(edges)

fig, ax = plt.subplots(figsize=(8, 4.6))
nx.draw_networkx_edges(G, pos, ax=ax, width=1.8, edge_color="black")
nx.draw_networkx_nodes(G, pos, ax=ax, node_size=900, node_color="#dbe8f6", edgecolors="black", linewidths=1.8)
nx.draw_networkx_labels(G, pos, ax=ax, font_size=16, font_weight="bold")
nx.draw_networkx_edge_labels(
    G,
    pos,
    ax=ax,
    edge_labels={(u, v): str(w) for u, v, w in edges},
    font_size=14,
    rotate=False,
    bbox=dict(facecolor="white", edgecolor="none", pad=1.5),
)

ax.set_aspect("equal")
ax.set_xlim(-0.5, 6.5)
ax.set_ylim(-0.5, 2.5)
ax.axis("off")
fig.tight_layout()
fig.savefig("figure.png")
