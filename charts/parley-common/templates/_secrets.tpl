{{/*
The Secrets a chart needs but never creates must exist before its pods start, or they sit in
CreateContainerConfigError with no word in `helm install`'s output. When helm talks to a cluster
where the release namespace already exists (install, upgrade, `--dry-run=server`), a missing one
fails the render with its name and how to make it; offline (`helm template`, lint) and in a
namespace helm is about to create there is nothing to look up, and the NOTES list them instead.
global.verifySecrets=false turns the check off (an installer without `get` on Secrets).
Call: include "parley-common.requireSecrets" (dict "context" . "secrets" (list (list NAME HOW) ...))
*/}}
{{- define "parley-common.requireSecrets" -}}
{{- $ := .context -}}
{{- $global := $.Values.global | default dict -}}
{{- if ne (toString $global.verifySecrets) "false" -}}
{{- if lookup "v1" "Namespace" "" $.Release.Namespace -}}
{{- range .secrets -}}
{{- $name := index . 0 -}}
{{- if not (lookup "v1" "Secret" $.Release.Namespace $name) -}}
{{- fail (printf "%s: the Secret %q is missing in namespace %q (the chart never creates it): %s" $.Chart.Name $name $.Release.Namespace (index . 1)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
