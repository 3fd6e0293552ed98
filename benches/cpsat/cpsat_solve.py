#!/usr/bin/env python3
"""OR-Tools CP-SAT reference model for the Gantry scheduling problem (docs/solver.md).

Same semantics as the Rust solver:
  * an optional interval [load, end) per job and eligible printer (setup + print), NoOverlap per
    printer together with fixed intervals for the maintenance windows;
  * a circuit per printer whose arcs carry the sequence-dependent setups (depot arcs carry the
    setup from the printer's initial class, or none);
  * the load minute lies inside an operator shift (variable domain = union of shifts); this also
    implies the bed-clearing rule;
  * a redundant per-printer load constraint (durations + setups of the jobs it runs fit before the
    makespan / horizon).

Usage: cpsat_solve.py PROBLEM.json --time-limit SECONDS [--workers 2] [--output PLAN.json]
Writes a plan in the solver's output format (status, assignments, unscheduled, objective,
lower_bound, gap, solve_ms, method="cpsat"). Exit 3 when the model is too large to build.
"""

import argparse
import json
import math
import sys
import time

from ortools.sat.python import cp_model

MAX_ARCS = 3_000_000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("problem")
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--output")
    args = ap.parse_args()
    t0 = time.time()
    pb = json.load(open(args.problem))
    printers = pb["printers"]
    classes = pb.get("setup_classes", [])
    cidx = {c: i for i, c in enumerate(classes)}
    jobs = pb["jobs"]
    shifts = pb.get("operator_shifts")
    horizon_in = pb.get("horizon")
    w = {"makespan": 0.0, "weighted_tardiness": 0.0, "setups": 0.0}
    w.update(pb.get("objective", {"makespan": 1.0}))
    nP = len(printers)
    pidx = {p["id"]: i for i, p in enumerate(printers)}
    setup = []
    for p in printers:
        m = pb.get("setup_times", {}).get(p["id"])
        setup.append(m if m is not None else [[0] * len(classes) for _ in classes])

    def st(p, a, b):
        return 0 if a is None else setup[p][a][b]

    init = [cidx.get(p.get("initial_setup_class")) if p.get("initial_setup_class") is not None else None
            for p in printers]
    elig = []
    for j in jobs:
        elig.append([(pidx[k], v) for k, v in sorted(j["durations"].items())])
    per_p = [[] for _ in range(nP)]
    for k, e in enumerate(elig):
        for p, d in e:
            per_p[p].append((k, d))
    arcs = sum(len(l) * len(l) for l in per_p)
    if arcs > MAX_ARCS:
        print(f"model too large: {arcs} circuit arcs (limit {MAX_ARCS})", file=sys.stderr)
        sys.exit(3)

    # Horizon: same bound as the Rust MILP (semi-active schedules never go beyond it).
    point = max([j.get("release", 0) for j in jobs] + [p.get("available_from", 0) for p in printers] +
                [w_[1] for p in printers for w_ in p.get("unavailable", [])] + [0])
    blocks = []
    for k, j in enumerate(jobs):
        b = 0
        for p, d in elig[k]:
            c = cidx[j["setup_class"]]
            smax = max([st(p, a, c) for a in range(len(classes))] + [0])
            b = max(b, smax + d)
        blocks.append(b)
    if shifts:
        H = max(s[1] for s in shifts) + max(blocks + [0])
    else:
        H = point + sum(blocks) + max(blocks + [0])
    if horizon_in is not None:
        H = min(H, horizon_in)

    # Objective scaling: weights to integers.
    scale = 1
    for v in w.values():
        while abs(v * scale - round(v * scale)) > 1e-9 and scale < 10**6:
            scale *= 10

    m = cp_model.CpModel()
    load_dom = cp_model.Domain(0, H)
    if shifts:
        load_dom = cp_model.Domain.from_intervals([[a, b] for a, b in shifts])
    loads, ends, setups_v, tards = [], [], [], []
    x = {}
    intervals = [[] for _ in range(nP)]
    for k, j in enumerate(jobs):
        if not elig[k]:
            loads.append(None); ends.append(None); setups_v.append(None); tards.append(None)
            continue
        lo = m.new_int_var_from_domain(load_dom.intersection_with(cp_model.Domain(j.get("release", 0), H)), f"L{k}")
        en = m.new_int_var(0, H, f"E{k}")
        sv = m.new_int_var(0, H, f"S{k}")
        loads.append(lo); ends.append(en); setups_v.append(sv)
        lits = []
        for p, d in elig[k]:
            lit = m.new_bool_var(f"x{k}_{p}")
            x[(k, p)] = lit
            lits.append(lit)
            m.add(lo >= printers[p].get("available_from", 0)).only_enforce_if(lit)
            size = m.new_int_var(0, H, f"sz{k}_{p}")
            m.add(size == sv + d).only_enforce_if(lit)
            iv = m.new_optional_interval_var(lo, size, en, lit, f"I{k}_{p}")
            intervals[p].append(iv)
        m.add_exactly_one(lits)
        if j.get("due") is not None:
            t = m.new_int_var(0, H, f"T{k}")
            m.add(t >= en - j["due"])
            tards.append(t)
        else:
            tards.append(None)
    for p, pr in enumerate(printers):
        for a, b in pr.get("unavailable", []):
            if b > a:
                intervals[p].append(m.new_fixed_size_interval_var(a, b - a, f"W{p}_{a}"))
        m.add_no_overlap(intervals[p])
    cmax = m.new_int_var(0, H, "C")
    for k in range(len(jobs)):
        if ends[k] is not None:
            m.add(cmax >= ends[k])
    # Circuits with setups on arcs.
    setup_terms = [[] for _ in jobs]
    for p in range(nP):
        l = per_p[p]
        if not l:
            continue
        arcs = []
        empty = m.new_bool_var(f"empty{p}")
        arcs.append((0, 0, empty))
        load_terms = []
        for a_i, (k, d) in enumerate(l):
            node = a_i + 1
            xk = x[(k, p)]
            arcs.append((node, node, ~xk))
            ck = cidx[jobs[k]["setup_class"]]
            first = m.new_bool_var(f"f{p}_{k}")
            last = m.new_bool_var(f"g{p}_{k}")
            arcs.append((0, node, first))
            arcs.append((node, 0, last))
            s0 = st(p, init[p], ck)
            if s0:
                setup_terms[k].append((first, s0))
            load_terms.append((xk, d))
            if s0:
                load_terms.append((first, s0))
            for b_i, (k2, d2) in enumerate(l):
                if k2 == k:
                    continue
                lit = m.new_bool_var(f"z{p}_{k}_{k2}")
                arcs.append((node, b_i + 1, lit))
                c2 = cidx[jobs[k2]["setup_class"]]
                s = st(p, ck, c2)
                if s:
                    setup_terms[k2].append((lit, s))
                    load_terms.append((lit, s))
                m.add(loads[k2] >= ends[k]).only_enforce_if(lit)
        m.add_circuit(arcs)
        # Redundant load: all work on p fits in [available_from, C] (or the horizon).
        m.add(sum(c * v for v, c in load_terms) + printers[p].get("available_from", 0) * (1 - empty) <= cmax)
    for k in range(len(jobs)):
        if setups_v[k] is not None:
            m.add(setups_v[k] == sum(c * v for v, c in setup_terms[k]))
    obj = []
    wm = round(w.get("makespan", 0) * scale)
    wt = w.get("weighted_tardiness", 0) * scale
    ws = round(w.get("setups", 0) * scale)
    if wm:
        obj.append(wm * cmax)
    for k, j in enumerate(jobs):
        if tards[k] is not None and wt:
            obj.append(round(wt * j.get("weight", 1.0)) * tards[k])
        if setups_v[k] is not None and ws:
            obj.append(ws * setups_v[k])
    m.minimize(sum(obj))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, args.time_limit - (time.time() - t0))
    solver.parameters.num_search_workers = args.workers
    solver.parameters.random_seed = 0
    status = solver.solve(m)
    out = {"method": "cpsat", "solve_ms": int((time.time() - t0) * 1000)}
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        out.update({"status": "infeasible", "assignments": [], "unscheduled": [
            {"job": j["id"], "reason": "cpsat: no solution in time"} for j in jobs],
            "objective": {"makespan": 0, "weighted_tardiness": 0.0, "setups": 0, "value": 0.0},
            "lower_bound": 0.0, "gap": 0.0, "cpsat_status": solver.status_name(status)})
    else:
        assignments, unscheduled = [], []
        ms, tard, sets = 0, 0.0, 0
        for k, j in enumerate(jobs):
            if loads[k] is None:
                unscheduled.append({"job": j["id"], "reason": "no printer can run it"})
                continue
            p = next(p for p, _ in elig[k] if solver.value(x[(k, p)]))
            L, E, S = solver.value(loads[k]), solver.value(ends[k]), solver.value(setups_v[k])
            assignments.append({"job": j["id"], "printer": printers[p]["id"], "start": L + S, "end": E, "setup": S})
            ms = max(ms, E)
            if j.get("due") is not None:
                tard += j.get("weight", 1.0) * max(0, E - j["due"])
            sets += S
        value = w.get("makespan", 0) * ms + w.get("weighted_tardiness", 0) * tard + w.get("setups", 0) * sets
        lb = min(value, solver.best_objective_bound / scale)
        out.update({
            "status": "infeasible" if unscheduled else ("optimal" if status == cp_model.OPTIMAL else "feasible"),
            "assignments": assignments, "unscheduled": unscheduled,
            "objective": {"makespan": ms, "weighted_tardiness": tard, "setups": sets, "value": value},
            "lower_bound": lb, "gap": 0.0 if value <= lb + 1e-9 else (value - lb) / max(abs(value), 1e-9),
            "cpsat_status": solver.status_name(status)})
    text = json.dumps(out, indent=1)
    if args.output:
        open(args.output, "w").write(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
