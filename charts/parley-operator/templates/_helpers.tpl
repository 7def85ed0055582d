{{/* The chart's name, overridable. */}}
{{- define "parleyOperator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name ("parley-parley-operator" in the umbrella release "parley"). */}}
{{- define "parleyOperator.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "parleyOperator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Standard labels (Kubernetes recommended + helm.sh/chart). */}}
{{- define "parleyOperator.labels" -}}
helm.sh/chart: {{ include "parleyOperator.chart" . }}
{{ include "parleyOperator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: parley
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "parleyOperator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "parleyOperator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* registry/repository:tag, with global overrides from the umbrella chart. */}}
{{- define "parleyOperator.image" -}}
{{- $global := .Values.global | default dict -}}
{{- $registry := $global.imageRegistry | default .Values.image.registry -}}
{{- $tag := $global.imageTag | default .Values.image.tag | default .Chart.AppVersion -}}
{{- if $registry -}}
{{- printf "%s/%s:%s" $registry .Values.image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "parleyOperator.existingSecret" -}}
{{- $global := .Values.global | default dict -}}
{{- $global.existingSecret | default .Values.existingSecret -}}
{{- end -}}

{{- define "parleyOperator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "parleyOperator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}
