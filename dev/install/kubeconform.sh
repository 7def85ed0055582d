#!/usr/bin/env bash
# Builds kubeconform from the Go module proxy (no release binaries can be fetched here), and puts
# beside it the prometheus-operator CRDs of the kinds the charts render (ServiceMonitor,
# PrometheusRule), taken from that project's module, so their schemas too are made offline.
# Usage: kubeconform.sh <version, e.g. v0.8.0> <destination dir>
set -euo pipefail
PS4="+ [$(basename "$0")] "; set -x  # the log shows each step, so a failure names its command
version="$1"; dest="$2"
# The prometheus-operator release whose CRDs the ServiceMonitors and PrometheusRules are checked
# against (its module carries them in example/prometheus-operator-crd).
prometheus_operator="v0.85.0"
mkdir -p "$dest/bin" "$dest/crds"
CGO_ENABLED=0 GOBIN="$dest/bin" go install -trimpath -ldflags "-X main.version=${version}" \
  "github.com/yannh/kubeconform/cmd/kubeconform@${version}"
module_dir="$(go mod download -json "github.com/prometheus-operator/prometheus-operator@${prometheus_operator}" \
  | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')"
for kind in servicemonitors prometheusrules; do
  cp "$module_dir/example/prometheus-operator-crd/monitoring.coreos.com_${kind}.yaml" "$dest/crds/"
done
chmod -R u+w "$dest/crds"  # the module cache is read-only; the cache folder must stay removable
"$dest/bin/kubeconform" -v
