#!/usr/bin/env python3
"""OR-Tools CP-SAT reference model for the Gantry scheduling problem (docs/solver.md).

Two models, same semantics as the Rust solver:

``full`` (the model the issue prescribes; default when it has at most MAX_ARCS circuit arcs):
  * per job: load L, end E, setup S, with E = L + S + sum_p d[j,p]·x[j,p] (always enforced);
  * an optional interval [L, E) per job and eligible printer (presence x[j,p]); NoOverlap per
    printer together with fixed intervals for the maintenance windows (the setup is inside the
    interval, so neither setup nor print can overlap a window);
  * an AddCircuit per printer over the jobs eligible on it; the arc i->j implies L_j >= E_i and
    carries setup[p][class i][class j]; the depot arc 0->j carries the setup from the printer's
    initial class (or none); S_j = sum of the setups on its incoming arcs;
  * operator shifts: the domain of L is the union of the shifts (a person loads the job). The
    bed-clearing rule (a job ending outside every shift blocks its printer until the next shift
    starts) is implied: the next load is >= that end and inside a shift, and with integer minutes
    the first shift point >= an unstaffed end is the next shift's start;
  * a redundant per-printer load constraint: available_from + sum of durations + setups of its
    jobs <= C (makespan variable), and C <= horizon;
  * L >= release, L >= available_from of the chosen printer.

``relaxed`` (for instances whose circuits would be too large, e.g. 100 x 1,000: 49.5 M arcs):
  no circuits. The interval of job j on p has the size d[j,p] + the least setup j can have on p
  (min over the initial class and the classes of the jobs eligible on p), and the objective counts
  those least setups. That is a relaxation; CP-SAT's solution is then turned into a real plan by
  keeping its assignment and its per-printer order and re-timing each sequence semi-actively with
  the true setups (each job at its earliest feasible load). The reported plan is feasible (checked
  by `gantry solve --check`), but CP-SAT's bound is not a bound for the real problem and is not
  reported (lower_bound 0).

``--hint PLAN.json`` gives CP-SAT a complete solution hint (the benchmark passes greedy dispatch's
plan, i.e. what any farm tool already has). Without it CP-SAT found a plan worse than greedy
dispatch at 10 x 50 within 10 s (docs/benchmarks.md).

Usage: cpsat_solve.py PROBLEM.json --time-limit SECONDS [--workers 2] [--model auto|full|relaxed]
       [--hint PLAN.json] [--output PLAN.json] [--[no-]presolve] [--[no-]fast-presolve] [--log]
Writes a plan in the solver's output format (status, assignments, unscheduled, objective,
lower_bound, gap, solve_ms, method="cpsat" / "cpsat-relaxed"); extra keys: cpsat_status,
build_ms (model building time in Python: included in solve_ms, not charged to the time limit,
which is CP-SAT's own search time).
"""

import argparse
import bisect
import json
import sys
import time

from ortools.sat.python import cp_model

MAX_ARCS = 3_000_000


class Pb:
    def __init__(self, pb):
        self.printers = pb["printers"]
        self.classes = pb.get("setup_classes", [])
        self.cidx = {c: i for i, c in enumerate(self.classes)}
        self.jobs = pb["jobs"]
        self.shifts = sorted(pb.get("operator_shifts") or []) or None
        self.horizon = pb.get("horizon")
        self.w = {"makespan": 0.0, "weighted_tardiness": 0.0, "setups": 0.0}
        self.w.update(pb.get("objective", {"makespan": 1.0}))
        self.nP = len(self.printers)
        self.pidx = {p["id"]: i for i, p in enumerate(self.printers)}
        self.setup = []
        for p in self.printers:
            m = pb.get("setup_times", {}).get(p["id"])
            self.setup.append(m if m is not None else [[0] * len(self.classes) for _ in self.classes])
        self.init = [self.cidx[p["initial_setup_class"]] if p.get("initial_setup_class") is not None else None
                     for p in self.printers]
        self.windows = [sorted([a, b] for a, b in p.get("unavailable", []) if b > a) for p in self.printers]
        self.cls = [self.cidx[j["setup_class"]] for j in self.jobs]
        self.elig = [[(self.pidx[k], v) for k, v in sorted(j["durations"].items())] for j in self.jobs]
        self.dur = [dict(e) for e in self.elig]
        self.per_p = [[] for _ in range(self.nP)]
        for k, e in enumerate(self.elig):
            for p, d in e:
                self.per_p[p].append(k)

    def st(self, p, a, b):
        return 0 if a is None else self.setup[p][a][b]

    def avail(self, p):
        return self.printers[p].get("available_from", 0)

    def release(self, k):
        return self.jobs[k].get("release", 0)

    # Semi-active timing, identical to the Rust `Cursor::push` (docs/solver.md, Algorithms).
    def ready_after(self, end):
        if not self.shifts:
            return end
        i = bisect.bisect_left([s[1] for s in self.shifts], end)
        return None if i == len(self.shifts) else max(end, self.shifts[i][0])

    def earliest_load(self, p, frm, length):
        l = frm
        ws = self.windows[p]
        ends = [s[1] for s in self.shifts] if self.shifts else None
        while True:
            if ends is not None:
                i = bisect.bisect_left(ends, l)
                if i == len(ends):
                    return None
                l = max(l, self.shifts[i][0])
            moved = False
            for a, b in ws:
                if b > l and a < l + length:
                    l = b
                    moved = True
                    break
            if not moved:
                break
        if self.horizon is not None and l + length > self.horizon:
            return None
        return l

    def time_sequence(self, p, seq):
        """[(job, load, setup, start, end)] or the index of the first job that does not fit."""
        ready, prev, out = self.avail(p), self.init[p], []
        for i, k in enumerate(seq):
            s = self.st(p, prev, self.cls[k])
            d = self.dur[k][p]
            if ready is None:
                return i
            load = self.earliest_load(p, max(ready, self.release(k)), s + d)
            if load is None:
                return i
            out.append((k, load, s, load + s, load + s + d))
            ready = self.ready_after(load + s + d)
            prev = self.cls[k]
        return out


def horizon_bound(pb):
    """Same bound as the Rust MILP: semi-active schedules never go beyond it."""
    point = max([pb.release(k) for k in range(len(pb.jobs))] + [pb.avail(p) for p in range(pb.nP)] +
                [w[1] for ws in pb.windows for w in ws] + [0])
    blocks = []
    for k in range(len(pb.jobs)):
        b = 0
        for p, d in pb.elig[k]:
            smax = max([pb.st(p, a, pb.cls[k]) for a in range(len(pb.classes))] + [0])
            b = max(b, smax + d)
        blocks.append(b)
    if pb.shifts:
        H = max(s[1] for s in pb.shifts) + max(blocks + [0])
    else:
        H = point + sum(blocks) + max(blocks + [0])
    if pb.horizon is not None:
        H = min(H, pb.horizon)
    return H


def least_setup(pb, k, p):
    """Least setup job k can have on printer p (as in the Rust lower bound)."""
    c = pb.cls[k]
    cands = [pb.st(p, pb.init[p], c)] if pb.init[p] is not None else [0]
    present = {pb.cls[i] for i in pb.per_p[p]}
    cands += [pb.st(p, a, c) for a in present]
    return min(cands)


def build(pb, relaxed, hint):
    H = horizon_bound(pb)
    scale = 1
    for v in pb.w.values():
        while abs(v * scale - round(v * scale)) > 1e-9 and scale < 10**6:
            scale *= 10
    m = cp_model.CpModel()
    load_dom = cp_model.Domain(0, H)
    if pb.shifts:
        load_dom = cp_model.Domain.from_intervals([[a, b] for a, b in pb.shifts]).intersection_with(load_dom)
    V = {"L": {}, "E": {}, "S": {}, "T": {}, "x": {}, "arc": {}, "empty": {}, "C": None}
    intervals = [[] for _ in range(pb.nP)]
    for k, j in enumerate(pb.jobs):
        if not pb.elig[k]:
            continue
        lo = m.new_int_var_from_domain(load_dom.intersection_with(cp_model.Domain(pb.release(k), H)), f"L{k}")
        en = m.new_int_var(0, H, f"E{k}")
        smax = max(pb.st(p, a, pb.cls[k]) for p, _ in pb.elig[k] for a in range(len(pb.classes)))
        sv = m.new_int_var(0, max(smax, 0), f"S{k}")
        V["L"][k], V["E"][k], V["S"][k] = lo, en, sv
        lits, dur_terms = [], []
        for p, d in pb.elig[k]:
            lit = m.new_bool_var(f"x{k}_{p}")
            V["x"][(k, p)] = lit
            lits.append(lit)
            if pb.avail(p) > 0:
                m.add(lo >= pb.avail(p)).only_enforce_if(lit)
            dd = d + (least_setup(pb, k, p) if relaxed else 0)
            dur_terms.append((lit, dd))
            size = dd if relaxed else sv + dd
            iv = m.new_optional_interval_var(lo, size, en, lit, f"I{k}_{p}")
            intervals[p].append(iv)
        m.add_exactly_one(lits)
        if relaxed:
            m.add(sv == sum(c * l for l, c in dur_terms) - sum(d * V["x"][(k, p)] for p, d in pb.elig[k]))
            m.add(en == lo + sum(c * l for l, c in dur_terms))
        else:
            m.add(en == lo + sv + sum(c * l for l, c in dur_terms))
        if j.get("due") is not None:
            t = m.new_int_var(0, H, f"T{k}")
            m.add(t >= en - j["due"])
            V["T"][k] = t
    for p in range(pb.nP):
        for a, b in pb.windows[p]:
            intervals[p].append(m.new_fixed_size_interval_var(a, b - a, f"W{p}_{a}"))
        if intervals[p]:
            m.add_no_overlap(intervals[p])
    cmax = m.new_int_var(0, H, "C")
    V["C"] = cmax
    for k, en in V["E"].items():
        m.add(cmax >= en)
    if not relaxed:
        setup_terms = {k: [] for k in V["S"]}
        for p in range(pb.nP):
            nodes = pb.per_p[p]
            if not nodes:
                continue
            arcs = []
            empty = m.new_bool_var(f"empty{p}")
            V["empty"][p] = empty
            arcs.append((0, 0, empty))
            load_terms = [(V["x"][(k, p)], pb.dur[k][p]) for k in nodes]
            for a_i, k in enumerate(nodes):
                node = a_i + 1
                xk = V["x"][(k, p)]
                arcs.append((node, node, ~xk))
                first = m.new_bool_var(f"f{p}_{k}")
                last = m.new_bool_var(f"g{p}_{k}")
                V["arc"][(p, None, k)] = first
                V["arc"][(p, k, None)] = last
                arcs.append((0, node, first))
                arcs.append((node, 0, last))
                s0 = pb.st(p, pb.init[p], pb.cls[k])
                if s0:
                    setup_terms[k].append((first, s0))
                    load_terms.append((first, s0))
                for b_i, k2 in enumerate(nodes):
                    if k2 == k:
                        continue
                    lit = m.new_bool_var(f"z{p}_{k}_{k2}")
                    V["arc"][(p, k, k2)] = lit
                    arcs.append((node, b_i + 1, lit))
                    s = pb.st(p, pb.cls[k], pb.cls[k2])
                    if s:
                        setup_terms[k2].append((lit, s))
                        load_terms.append((lit, s))
                    m.add(V["L"][k2] >= V["E"][k]).only_enforce_if(lit)
            m.add_circuit(arcs)
            # Redundant load: all work on p fits in [available_from, C].
            m.add(sum(c * v for v, c in load_terms) + pb.avail(p) * (1 - empty) <= cmax)
        for k, sv in V["S"].items():
            m.add(sv == sum(c * v for v, c in setup_terms[k]))
    else:
        for p in range(pb.nP):
            if pb.per_p[p]:
                m.add(sum((pb.dur[k][p] + least_setup(pb, k, p)) * V["x"][(k, p)] for k in pb.per_p[p])
                      + pb.avail(p) <= cmax)
    obj = []
    wm = round(pb.w.get("makespan", 0) * scale)
    wt = pb.w.get("weighted_tardiness", 0) * scale
    ws = round(pb.w.get("setups", 0) * scale)
    if wm:
        obj.append(wm * cmax)
    for k, j in enumerate(pb.jobs):
        if k in V["T"] and wt:
            obj.append(round(wt * j.get("weight", 1.0)) * V["T"][k])
        if k in V["S"] and ws:
            obj.append(ws * V["S"][k])
    m.minimize(sum(obj))
    if hint is not None:
        add_hint(pb, m, V, hint, relaxed)
    return m, V, scale


def add_hint(pb, m, V, plan, relaxed):
    """A complete hint from a plan (assignments with start/end/setup)."""
    jidx = {j["id"]: k for k, j in enumerate(pb.jobs)}
    seqs = [[] for _ in range(pb.nP)]
    for a in plan.get("assignments", []):
        seqs[pb.pidx[a["printer"]]].append((a["start"] - a["setup"], jidx[a["job"]], a))
    placed = set()
    cmax = 0
    for p, seq in enumerate(seqs):
        seq.sort()
        prev = None
        for load, k, a in seq:
            placed.add(k)
            for q, _ in pb.elig[k]:
                m.add_hint(V["x"][(k, q)], q == p)
            m.add_hint(V["L"][k], load)
            if relaxed:
                s = least_setup(pb, k, p)
                end = load + s + pb.dur[k][p]
            else:
                s, end = a["setup"], a["end"]
            m.add_hint(V["S"][k], s)
            m.add_hint(V["E"][k], end)
            cmax = max(cmax, end)
            if k in V["T"]:
                m.add_hint(V["T"][k], max(0, end - pb.jobs[k]["due"]))
            if not relaxed:
                m.add_hint(V["arc"][(p, prev, k)], True)
            prev = k
        if not relaxed:
            if prev is not None:
                m.add_hint(V["arc"][(p, prev, None)], True)
            if p in V["empty"]:
                m.add_hint(V["empty"][p], not seq)
    if not relaxed:
        used = {(p, a, b) for p, seq in enumerate(seqs)
                for a, b in zip([None] + [k for _, k, _ in seq], [k for _, k, _ in seq] + [None])}
        for key, lit in V["arc"].items():
            if key not in used:
                m.add_hint(lit, False)
    m.add_hint(V["C"], cmax)
    return placed


def extract(pb, solver, V, relaxed):
    assignments, unscheduled = [], []
    seqs = [[] for _ in range(pb.nP)]
    for k, j in enumerate(pb.jobs):
        if k not in V["L"]:
            unscheduled.append({"job": j["id"], "reason": "no printer can run it"})
            continue
        p = next(p for p, _ in pb.elig[k] if solver.value(V["x"][(k, p)]))
        seqs[p].append((solver.value(V["L"][k]), k))
    for p, seq in enumerate(seqs):
        seq.sort()
        order = [k for _, k in seq]
        if relaxed:
            timed = pb.time_sequence(p, order)
            if isinstance(timed, int):
                for k in order[timed:]:
                    unscheduled.append({"job": pb.jobs[k]["id"], "reason": "cpsat: no room after re-timing"})
                timed = pb.time_sequence(p, order[:timed])
        else:
            timed = [(k, solver.value(V["L"][k]), solver.value(V["S"][k]),
                      solver.value(V["L"][k]) + solver.value(V["S"][k]), solver.value(V["E"][k])) for k in order]
        for k, load, s, start, end in timed:
            assignments.append({"job": pb.jobs[k]["id"], "printer": pb.printers[p]["id"],
                                "start": start, "end": end, "setup": s})
    ms, tard, sets = 0, 0.0, 0
    jidx = {j["id"]: k for k, j in enumerate(pb.jobs)}
    for a in assignments:
        j = pb.jobs[jidx[a["job"]]]
        ms = max(ms, a["end"])
        if j.get("due") is not None:
            tard += j.get("weight", 1.0) * max(0, a["end"] - j["due"])
        sets += a["setup"]
    w = pb.w
    value = w.get("makespan", 0) * ms + w.get("weighted_tardiness", 0) * tard + w.get("setups", 0) * sets
    return assignments, unscheduled, {"makespan": ms, "weighted_tardiness": tard, "setups": sets, "value": value}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("problem")
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--model", choices=["auto", "full", "relaxed"], default="auto")
    ap.add_argument("--hint")
    ap.add_argument("--output")
    ap.add_argument("--log", action="store_true")
    ap.add_argument("--presolve", action=argparse.BooleanOptionalAction, default=None,
                    help="default: on, except for circuit models above 100,000 arcs (20 x 150: presolve "
                         "alone took 27 s of a 60 s run, and with it nothing at all was found in 10 s)")
    ap.add_argument("--fast-presolve", action=argparse.BooleanOptionalAction, default=True,
                    help="no probing, no symmetry detection in presolve (default on)")
    args = ap.parse_args()
    t0 = time.time()
    pb = Pb(json.load(open(args.problem)))
    arcs = sum(len(l) * len(l) for l in pb.per_p)
    relaxed = args.model == "relaxed" or (args.model == "auto" and arcs > MAX_ARCS)
    if args.model == "full" and arcs > MAX_ARCS:
        print(f"model too large: {arcs} circuit arcs (limit {MAX_ARCS})", file=sys.stderr)
        sys.exit(3)
    hint = json.load(open(args.hint)) if args.hint else None
    m, V, scale = build(pb, relaxed, hint)
    build_ms = int((time.time() - t0) * 1000)
    solver = cp_model.CpSolver()
    # The time limit is CP-SAT's own search time; building the model in Python is not charged
    # to it (reported separately as build_ms).
    solver.parameters.max_time_in_seconds = args.time_limit
    solver.parameters.num_workers = args.workers
    solver.parameters.random_seed = 0
    solver.parameters.log_search_progress = args.log
    if args.presolve is None:
        args.presolve = relaxed or arcs <= 100_000
    if not args.presolve:
        solver.parameters.cp_model_presolve = False
    if args.fast_presolve:
        # Probing and the symmetry graph alone took > 10 s on the 20 x 150 circuit model.
        solver.parameters.cp_model_probing_level = 0
        solver.parameters.symmetry_level = 0
    status = solver.solve(m)
    method = "cpsat-relaxed" if relaxed else "cpsat"
    out = {"method": method, "build_ms": build_ms, "circuit_arcs": 0 if relaxed else arcs}
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        out.update({"status": "infeasible", "assignments": [], "unscheduled": [
            {"job": j["id"], "reason": "cpsat: no solution in time"} for j in pb.jobs],
            "objective": {"makespan": 0, "weighted_tardiness": 0.0, "setups": 0, "value": 0.0},
            "lower_bound": 0.0, "gap": 0.0})
    else:
        assignments, unscheduled, objective = extract(pb, solver, V, relaxed)
        value = objective["value"]
        lb = 0.0 if relaxed else min(value, solver.best_objective_bound / scale)
        out.update({
            "status": "infeasible" if unscheduled else
            ("optimal" if status == cp_model.OPTIMAL and not relaxed else "feasible"),
            "assignments": assignments, "unscheduled": unscheduled, "objective": objective,
            "lower_bound": lb, "gap": 0.0 if value <= lb + 1e-9 else (value - lb) / max(abs(value), 1e-9)})
    out["cpsat_status"] = solver.status_name(status)
    out["solve_ms"] = int((time.time() - t0) * 1000)
    text = json.dumps(out, indent=1)
    if args.output:
        open(args.output, "w").write(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
