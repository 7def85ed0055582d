{{/* The CRD upgrade Job's image: kubectl's own, not a Parley image (global.imageRegistry does not apply; mirror it with crdUpgrade.image.repository). */}}
{{- define "parley-operator.crdUpgradeImage" -}}
{{- $image := .Values.crdUpgrade.image -}}
{{- if $image.digest -}}
{{- printf "%s:%s@%s" $image.repository $image.tag $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository $image.tag -}}
{{- end -}}
{{- end -}}
