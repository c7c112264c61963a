"""Figure of ``proofkit flow --out``: the energy against time, its jumps, Theorem 1's bound.

Drawn from the report dict alone (``series``, ``events``, ``lambda_star``), PDF and PNG, each
written to a temporary file in the output directory and moved into place.
"""

from __future__ import annotations

__all__ = ["energy_figure"]

_COLORS = {"crossing": "#1565c0", "sliding": "#c62828", "exit": "#2e7d32"}


def energy_figure(rep: dict, out_dir: str) -> dict:
    """Write ``flow_energy.pdf``/``.png`` into ``out_dir``; returns their file names."""
    import math
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = rep["series"]
    t, en, ent = s["times"], s["energy"], s["energy_theta"]
    lam = rep["lambda_star"]
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.semilogy(t, [max(v, 1e-300) for v in en], color="k", lw=1.2,
                label=r"$\|e\|^2+\|S\|^2$ ($\sigma'(0)=0$)")
    if any(abs(a - b) > 1e-15 * max(1.0, abs(a)) for a, b in zip(en, ent, strict=True)):
        ax.semilogy(t, [max(v, 1e-300) for v in ent], color="0.5", lw=0.9, ls=":",
                    label=r"$\|e\|^2+\|S_\theta\|^2$ (θ-weighted)")
    ax.semilogy(t, [en[0] * math.exp(-lam * u) for u in t], "--", color="#f9a825",
                label=r"Theorem 1: $e^{-\lambda_* t}(\|e(0)\|^2+\|S(0)\|^2)$")
    seen = set()
    for ev in rep.get("events", []):
        if ev["d_energy"] == 0 and ev["kind"] != "sliding":
            continue
        kind = ev["kind"]
        ax.axvline(ev["time"], color=_COLORS.get(kind, "0.3"), lw=0.4, alpha=0.5,
                   label=None if kind in seen else f"{kind} (jump of S)")
        seen.add(kind)
    ax.set_xlabel("t")
    ax.set_ylabel("residual energy")
    tr = rep.get("trajectory", {})
    ax.set_title(f"m={rep['m']}, {tr.get('integrator', '')}, status {tr.get('status', '')}, "
                 f"{len(rep.get('events', []))} events", fontsize=8)
    ax.legend(fontsize=6, loc="lower left")
    os.makedirs(out_dir, exist_ok=True)
    names = {}
    for ext in ("pdf", "png"):
        path = os.path.join(out_dir, f"flow_energy.{ext}")
        tmp = path + ".tmp"
        meta = {"CreationDate": None} if ext == "pdf" else {"Software": None}
        fig.savefig(tmp, format=ext, dpi=150, bbox_inches="tight", metadata=meta)
        os.replace(tmp, path)
        names[ext] = f"flow_energy.{ext}"
    plt.close(fig)
    return names
