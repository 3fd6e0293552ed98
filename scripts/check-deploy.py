#!/usr/bin/env python3
"""Validates the deployment files without a cluster or a Docker engine (scripts/test.sh runs it).

- Kubernetes: renders infrastructure/k8s the way `kustomize build` does for what our
  kustomization.yaml uses (its `resources`, `namespace`, `labels` without selectors, `images`
  tags), then checks every rendered object against the Kubernetes OpenAPI schemas with
  `kubernetes-validate --strict` (schemas bundled in the PyPI package).
- docker-compose: infrastructure/docker-compose.yml against the Compose specification's JSON
  schema, vendored at infrastructure/schemas/compose-spec.json (source in its README).
- Dockerfiles: every infrastructure/docker/*.Dockerfile with `hadolint`.

Prints one `PASS`/`FAIL` line per check and closes with `deploy: N passed, M failed`.
Tools come from $GANTRY_DEPLOY_VENV (default ~/.cache/gantry-deploy, created by scripts/test.sh).
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "infrastructure" / "k8s"
COMPOSE = ROOT / "infrastructure" / "docker-compose.yml"
COMPOSE_SCHEMA = ROOT / "infrastructure" / "schemas" / "compose-spec.json"
DOCKER = ROOT / "infrastructure" / "docker"
VENV = Path(os.environ.get("GANTRY_DEPLOY_VENV", Path.home() / ".cache" / "gantry-deploy"))
KUBE_VERSION = os.environ.get("GANTRY_KUBE_VERSION", "1.32.0")

# Kinds without a namespace (kustomize's `namespace:` leaves them alone).
CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "PersistentVolume", "StorageClass", "PriorityClass", "IngressClass",
}
# Where pod templates keep their containers, per workload kind.
POD_SPEC = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}

results = []


def report(ok, name, detail=""):
    results.append(ok)
    line = f"{'PASS' if ok else 'FAIL'} {name}"
    if detail:
        line += f": {detail}"
    print(line, flush=True)


def image_name(image):
    """`repo/name:tag` or `repo/name@sha` → `repo/name` (a registry port stays)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    return name


def render(kdir):
    """The objects `kustomize build kdir` would print for the features our kustomizations use;
    refuses anything else, so a new kustomize feature is not silently skipped."""
    k = yaml.safe_load((kdir / "kustomization.yaml").read_text())
    known = {"apiVersion", "kind", "namespace", "labels", "resources", "images"}
    unknown = set(k) - known
    if unknown:
        raise ValueError(f"kustomization fields this renderer does not apply: {sorted(unknown)}")
    objects = []
    for res in k.get("resources", []):
        path = kdir / res
        if path.is_dir():
            objects.extend(render(path))
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                objects.append((res, doc))
    ns = k.get("namespace")
    for _, obj in objects:
        meta = obj.setdefault("metadata", {})
        if ns and obj.get("kind") not in CLUSTER_SCOPED:
            meta["namespace"] = ns
        for entry in k.get("labels", []):
            if entry.get("includeSelectors") or entry.get("includeTemplates"):
                raise ValueError("labels with includeSelectors/includeTemplates are not rendered here")
            meta.setdefault("labels", {}).update(entry.get("pairs", {}))
        spec_path = POD_SPEC.get(obj.get("kind"))
        if spec_path:
            pod = obj
            for key in spec_path:
                pod = (pod or {}).get(key)
            for c in (pod or {}).get("initContainers", []) + (pod or {}).get("containers", []):
                for img in k.get("images", []):
                    if image_name(c.get("image", "")) == img["name"]:
                        name = img.get("newName", img["name"])
                        if "digest" in img:
                            c["image"] = f"{name}@{img['digest']}"
                        else:
                            tag = img.get("newTag", c["image"].split(":")[-1] if ":" in c["image"] else "latest")
                            c["image"] = f"{name}:{tag}"
    return objects


def check_kubernetes():
    kv = VENV / "bin" / "kubernetes-validate"
    try:
        objects = render(K8S)
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        report(False, "kustomize render of infrastructure/k8s", str(e))
        return
    report(True, "kustomize render of infrastructure/k8s", f"{len(objects)} objects")
    seen = set()
    with tempfile.TemporaryDirectory() as tmp:
        for i, (src, obj) in enumerate(objects):
            ident = (obj.get("kind"), obj["metadata"].get("namespace"), obj["metadata"].get("name"))
            name = f"k8s {obj.get('kind')}/{obj['metadata'].get('name')} ({src})"
            if ident in seen:
                report(False, name, "defined twice")
                continue
            seen.add(ident)
            f = Path(tmp) / f"{i:03d}.yaml"
            f.write_text(yaml.safe_dump(obj))
            p = subprocess.run(
                [str(kv), "--strict", "--quiet", "-k", KUBE_VERSION, str(f)],
                capture_output=True, text=True,
            )
            out = (p.stdout + p.stderr).strip()
            report(p.returncode == 0, name, "" if p.returncode == 0 else out.replace(str(f), src))


def check_compose():
    try:
        schema = json.loads(COMPOSE_SCHEMA.read_text())
        doc = yaml.safe_load(COMPOSE.read_text())
        errors = sorted(
            jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.absolute_path)
        )
    except Exception as e:  # noqa: BLE001
        report(False, "compose specification schema", str(e))
        return
    detail = "; ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5])
    report(not errors, "docker-compose.yml against the Compose specification", detail)


def check_dockerfiles():
    hadolint = VENV / "bin" / "hadolint"
    files = sorted(DOCKER.glob("*Dockerfile"))
    if not files:
        report(False, "hadolint", "no Dockerfile under infrastructure/docker")
    for f in files:
        p = subprocess.run([str(hadolint), str(f)], capture_output=True, text=True)
        report(p.returncode == 0, f"hadolint {f.relative_to(ROOT)}", (p.stdout + p.stderr).strip())


def main():
    missing = [t for t in ("kubernetes-validate", "hadolint") if not (VENV / "bin" / t).exists()]
    if missing:
        print(f"missing {missing} in {VENV}: run scripts/test.sh (it creates the virtualenv)")
        report(False, "deployment tools installed")
    else:
        check_kubernetes()
    check_compose()
    if not missing:
        check_dockerfiles()
    passed = sum(results)
    failed = len(results) - passed
    print(f"deploy: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
