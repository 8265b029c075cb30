"""The rows and the text tables of a :class:`fastbp.trace.Trace`."""
import numpy as np

__all__ = ["records", "render", "table", "unit_numbers"]


def unit_numbers(sizes):
    """The slides' unit numbers: a list per layer, counted from 1 over the
    inputs first, then each layer in turn."""
    first = np.concatenate([[1], 1 + np.cumsum(sizes)])
    return [list(range(int(first[l]), int(first[l]) + n)) for l, n in enumerate(sizes)]


def table(title, header, rows):
    """A titled text table: columns padded, separated by ' | '."""
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(r):
        return "  " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()

    return "\n".join([title, line(header), "  " + "-+-".join("-" * w for w in widths)]
                     + [line(r) for r in rows])


def _layer_of_params(sizes):
    """(layer from 1, is_bias, index in the layer's matrix or vector) per parameter."""
    out = []
    for l in range(1, len(sizes)):
        n_in, n_out = sizes[l - 1], sizes[l]
        out += [(l, False, divmod(k, n_out)) for k in range(n_in * n_out)]
        out += [(l, True, (None, j)) for j in range(n_out)]
    return out


def records(tr):
    """(unit rows, parameter rows) of the trace, as lists of dicts."""
    sizes = tr.net.layer_sizes
    numbers = unit_numbers(sizes)
    acts = ["input", *tr.net.hidden, tr.net.output]
    units = []
    for e in range(tr.X.shape[0]):
        for l, units_l in enumerate(numbers):
            for j, u in enumerate(units_l):
                units.append({
                    "example": e, "unit": u, "layer": l, "index": j, "activation": acts[l],
                    "I": float(tr.I[l - 1][e, j]) if l else None,
                    "O": float(tr.O[l][e, j]),
                    "Err": float(tr.err[l - 1][e, j]) if l else None,
                    "target": float(tr.T[e, j]) if l == len(sizes) - 1 else None})
    params = []
    for k, (l, bias, (i, j)) in enumerate(_layer_of_params(sizes)):
        row = {"name": tr.names[k], "layer": l, "kind": "bias" if bias else "weight",
               "from": None if bias else numbers[l - 1][i], "to": numbers[l][j],
               "old": float(tr.old[k]), "gradient": float(tr.grad[k])}
        row.update({name: float(s[k]) for name, s in tr.state.items()})
        row.update(update=float(tr.update[k]), new=float(tr.new[k]))
        params.append(row)
    return units, params


def _fmt(v, digits):
    return "" if v is None else f"{v:.{digits}g}"


def _describe(tr):
    net = tr.net
    hidden = ", ".join(dict.fromkeys(net.hidden)) or "no hidden layer"
    n = tr.X.shape[0]
    return (f"One training step of the {'-'.join(map(str, net.layer_sizes))} network ({hidden} "
            f"-> {net.output}, {net.loss_name} loss, {net.dtype.name}) on "
            f"{'1 example' if n == 1 else f'a batch of {n} examples (the mean loss)'}: "
            f"{tr.optimizer!r}, update {tr.step} at lr {tr.lr:g}, alpha {tr.alpha:g}.\n"
            f"Loss {tr.loss:.{8}g} before the step, {tr.loss_after:.{8}g} after.")


def _unit_tables(tr, digits):
    many = tr.X.shape[0] > 1
    lead = ["example"] if many else []
    forward, backward = [], []
    for r in tr.units:
        first = [r["example"]] if many else []
        forward.append(first + [r["unit"], r["layer"], r["activation"], _fmt(r["I"], digits),
                                _fmt(r["O"], digits)])
        if r["layer"]:
            backward.append(first + [r["unit"], _fmt(r["Err"], digits),
                                     _fmt(r["target"], digits)])
    return [
        table("Forward pass: I_j = sum_i w_ij O_i + b_j, O_j = f(I_j)",
              lead + ["unit j", "layer", "f", "I_j", "O_j"], forward),
        table("Backward pass: Err_j = -dE/dI_j of the example's loss E; at the output from "
              "E and f, below it Err_j = f'(I_j) sum_k Err_k w_jk",
              lead + ["unit j", "Err_j", "target T_j"], backward[::-1] if not many else backward),
    ]


def render(tr, digits=6):
    """The trace as text: a summary, then the forward, backward and update tables."""
    states = list(tr.state)
    rows = []
    order = sorted(range(len(tr.parameters)), key=lambda k: -tr.parameters[k]["layer"])
    for k in order:  # from the top layer down, as backpropagation visits them
        r = tr.parameters[k]
        rows.append([r["name"], _fmt(r["old"], digits), _fmt(r["gradient"], digits)]
                    + [_fmt(r[s], digits) for s in states]
                    + [_fmt(r["update"], digits), _fmt(r["new"], digits)])
    mean = "mean over the batch of " if tr.X.shape[0] > 1 else ""
    updates = table(
        f"Updates: gradient dE/dw_ij = {mean}-Err_j O_i + alpha w_ij, dE/db_j = {mean}-Err_j; "
        f"update = new - old" + (f"; optimizer state after the step: {', '.join(states)}"
                                 if states else ""),
        ["parameter", "old", "gradient", *states, "update", "new"], rows)
    return "\n\n".join([_describe(tr), *_unit_tables(tr, digits), updates])
