"""A fitted model in words (the picture is ``composer_assist.figures.listeners``)."""

from __future__ import annotations

from typing import Any

from .model import ListenerPreferenceModel
from .profiles import CONTEXT_WORDS


def printable(text: str) -> str:
    """``text`` with what a terminal would act on escaped (line breaks kept).

    The model's own words are refused at loading when they hold control characters; the rest of a
    model file's metadata (creation time, versions, quality figures) is informational JSON shown
    as it is, and a listener id comes from whoever wrote the log: an escape sequence in either
    would set the terminal's title or clear its screen when printed."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch != "\n" and (code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code <= 0xDFFF):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def quality_lines(q: dict[str, Any]) -> list[str]:
    """The quality figures ``learn fit`` measured (saved in the model file's metadata)."""
    if not q:
        return ["Quality: not measured (fit with --holdout > 0 to measure)."]
    try:
        return _quality_lines(q)
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError):
        # the figures are informational JSON from the model file: a malformed entry must not
        # take the rest of the report down with a traceback
        return ["Quality: the figures in the model file are malformed."]


def _quality_lines(q: dict[str, Any]) -> list[str]:
    out = [f"Quality (measured on {q.get('train_listeners', '?')} listeners / {q.get('train_events', '?')} events"
           f"{'; SYNTHETIC population with planted clusters' if 'ari' in q else ''}):"]
    sel = q.get("selection", {})
    if sel.get("scores"):
        scores = ", ".join(f"{k}: {v:.4g}" for k, v in sorted(sel["scores"].items(), key=lambda kv: int(kv[0])))
        pick = min if sel["criterion"] == "bic" else max
        chosen = int(pick(sel["scores"].items(), key=lambda kv: kv[1])[0])
        merged = f"; {q['n_clusters']} after merging clusters under the minimum size" \
            if chosen != q["n_clusters"] else ""
        out.append(f"  number of clusters chosen by {sel['criterion']}: {chosen}{merged}  ({scores})")
    if "ari" in q:
        out.append(f"  adjusted Rand index vs planted clusters: {q['ari']:.3f}")
    nc = q.get("next_choice")
    if nc and nc.get("events"):
        out.append(f"  held-out next choice (variant kept): model {nc['model']:.1%} vs popularity baseline "
                   f"{nc['popularity']:.1%} over {nc['events']} kept events")
    nl = q.get("new_listeners")
    if nl:
        needed = nl["events_for_90"]
        curve = dict((int(n), a) for n, a in nl["curve"])
        pts = ", ".join(f"{n}: {curve[n]:.0%}" for n in (0, 1, 3, 5, 10, 20) if n in curve)
        out.append(f"  new listeners assigned right ({q.get('convergence_reference', '')}) after n events: {pts}")
        out.append(f"  events needed for 90% right: {needed if needed is not None else 'not reached'} "
                   f"({nl['listeners']} new listeners)")
    if q.get("profile_agreement") is not None:
        out.append(f"  policy rule with each profile picks the cluster's most-kept variant: "
                   f"{q['profile_agreement']:.0%} of scene points")
    return out


def text_report(model: ListenerPreferenceModel, meta: dict[str, Any] | None = None) -> str:
    """Clusters and profiles in words; quality figures from ``meta["quality"]`` (as ``learn fit``
    saves them), and the model file's details when ``meta`` is a saved model's metadata."""
    meta = meta or {}
    lines = [f"{model.n_clusters_} listener cluster{'' if model.n_clusters_ == 1 else 's'} ({model.method}), "
             f"{int(sum(model.cluster_sizes_))} listeners, variants: "
             + ", ".join(f"{v.cue}/{v.name}" for v in model.catalog_.variants)]
    for p in model.profiles_:
        lines.append("")
        lines.append(f"Cluster {p.cluster} [{p.name}]: {p.label} -- {p.size} listeners ({p.share:.0%})")
        lines += [f"  {s}" for s in p.description]
    notes = list(getattr(model, "privacy_notes_", []))
    if getattr(model, "min_cluster_size_", 0) > 1 or notes:
        lines += ["", f"Privacy: every cluster has at least {getattr(model, 'min_cluster_size_', 1)} listeners"]
        lines += [f"  {n}" for n in notes]
    lines.append("")
    lines += quality_lines(meta.get("quality") or {})
    if "created" in meta:
        v = meta["versions"] if isinstance(meta.get("versions"), dict) else {}
        lines.append(f"Model file: created {meta.get('created', '?')}, scikit-learn {v.get('scikit-learn', '?')}, "
                     f"sha256 {str(meta.get('sha256', ''))[:16]}...")
    return printable("\n".join(lines))


__all__ = ["text_report", "printable", "quality_lines", "CONTEXT_WORDS"]
