{{/*
Names. Every template here takes the chart's root context (`.`), so a service chart calls
`include "parley-common.fullname" .` and gets its own name, not the library's.
*/}}

{{/* The chart's name, overridable. */}}
{{- define "parley-common.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name: "parley-auth" for chart auth in the release "parley" or "parley-auth". */}}
{{- define "parley-common.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- include "parley-common.releaseQualified" (dict "release" .Release.Name "name" (default .Chart.Name .Values.nameOverride)) -}}
{{- end -}}
{{- end -}}

{{/* The fullname rule on its own: (dict "release" R "name" N). */}}
{{- define "parley-common.releaseQualified" -}}
{{- if contains .name .release -}}
{{- .release | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .release .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/*
The URL of another Parley service of the same release, from the release name (the umbrella
installs each chart under its own name): (dict "context" . "chart" "compliance" "port" 3008).
*/}}
{{- define "parley-common.peerUrl" -}}
{{- printf "http://%s:%v" (include "parley-common.releaseQualified" (dict "release" .context.Release.Name "name" .chart)) .port -}}
{{- end -}}

{{- define "parley-common.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "parley-common.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "parley-common.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The shared connections Secret, the umbrella's global.existingSecret first. */}}
{{- define "parley-common.connectionsSecret" -}}
{{- $global := .Values.global | default dict -}}
{{- $global.existingSecret | default .Values.existingSecret -}}
{{- end -}}
