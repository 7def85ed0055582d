{{/*
The image reference: <registry>/<repository>:<tag>[@<digest>].
- registry: global.imageRegistry, else image.registry. There is no default, because an image
  without a registry resolves to Docker Hub's `parley/...`, a namespace Parley does not own:
  rendering fails until one is set, unless image.repository already names its registry (a first
  path component with a dot, a colon or `localhost`, as skaffold and Tilt pass it).
- tag: global.imageTag, else image.tag, else the chart's appVersion.
- digest: image.digest (sha256:...), appended so the node pulls exactly that image.
*/}}
{{- define "parley-common.image" -}}
{{- $global := .Values.global | default dict -}}
{{- $image := .Values.image -}}
{{- $registry := $global.imageRegistry | default $image.registry | default "" -}}
{{- $first := first (splitList "/" $image.repository) -}}
{{- $hasHost := and (gt (len (splitList "/" $image.repository)) 1) (or (contains "." $first) (contains ":" $first) (eq "localhost" $first)) -}}
{{- $repository := $image.repository -}}
{{- if not $hasHost -}}
{{- if not $registry -}}
{{- fail (printf "%s: set global.imageRegistry (or image.registry) to the registry your Parley images are pushed to; an unqualified %q would be pulled from Docker Hub, where Parley owns no namespace" .Chart.Name $image.repository) -}}
{{- end -}}
{{- $repository = printf "%s/%s" (trimSuffix "/" $registry) $image.repository -}}
{{- end -}}
{{- $tag := $global.imageTag | default $image.tag | default .Chart.AppVersion -}}
{{- if $image.digest -}}
{{- printf "%s:%s@%s" $repository $tag $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "parley-common.imagePullSecrets" -}}
{{- $global := .Values.global | default dict -}}
{{- $secrets := concat ($global.imagePullSecrets | default list) (.Values.imagePullSecrets | default list) -}}
{{- with $secrets -}}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end -}}
