#!/usr/bin/env bash
# Builds kube-scheduler of one Kubernetes release, the same way and from the same module as the
# apiserver (kubernetes.sh): it places the pods of a `helm install` on the stack's kwok nodes.
# A catalog entry of its own, so a cache that already holds kubernetes-<version> gains it.
# Usage: kube-scheduler.sh <version, e.g. v1.36.3> <destination dir>
set -euo pipefail
KUBE_PACKAGES="k8s.io/kubernetes/cmd/kube-scheduler" exec bash "$(dirname "$0")/kubernetes.sh" "$@"
