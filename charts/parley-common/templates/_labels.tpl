{{/*
The Kubernetes recommended labels and helm.sh/chart. app.kubernetes.io/version is the chart's
appVersion, never an image reference: a tag such as skaffold's `<tag>@sha256:<digest>` is not a
valid label value, and the version a release runs is the chart's to say.
*/}}
{{- define "parley-common.labels" -}}
helm.sh/chart: {{ include "parley-common.chart" . }}
{{ include "parley-common.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: {{ .Values.component | default .Chart.Name }}
app.kubernetes.io/part-of: parley
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "parley-common.selectorLabels" -}}
app.kubernetes.io/name: {{ include "parley-common.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
