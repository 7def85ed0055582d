#!/usr/bin/env bash
# Builds kwok (Kubernetes WithOut Kubelet: fake nodes that keep their leases and status, and mark
# the pods scheduled on them running) from the Go module proxy, and copies beside it the stages
# its module ships (kustomize/stage): node-fast (node-initialize) and node-heartbeat keep the nodes
# Ready, pod-fast (pod-ready, pod-complete, pod-delete) takes each pod to Running, a Job's pod to
# Succeeded, and a deleted pod away, so Deployments become Available and
# Jobs Complete with no container run.
# Usage: kwok.sh <version, e.g. v0.8.0> <destination dir>
set -euo pipefail
PS4="+ [$(basename "$0")] "; set -x  # the log shows each step, so a failure names its command
version="$1"; dest="$2"
mkdir -p "$dest/bin" "$dest/stages"
module_dir="$(go mod download -json "sigs.k8s.io/kwok@${version}" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')"
cd "$module_dir"
CGO_ENABLED=0 GOWORK=off GOFLAGS=-mod=readonly go build -trimpath -ldflags "-s -w" -o "$dest/bin/kwok" ./cmd/kwok
cp kustomize/stage/node/fast/node-initialize.yaml kustomize/stage/node/heartbeat/node-heartbeat.yaml \
  kustomize/stage/pod/fast/pod-ready.yaml kustomize/stage/pod/fast/pod-complete.yaml \
  kustomize/stage/pod/fast/pod-delete.yaml "$dest/stages/"
chmod -R u+w "$dest/stages"  # the module cache is read-only; the cache folder must stay removable
"$dest/bin/kwok" --version
