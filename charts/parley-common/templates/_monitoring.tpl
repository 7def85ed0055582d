{{/* A prometheus-operator ServiceMonitor for /metrics, when metrics.serviceMonitor.enabled. */}}
{{- define "parley-common.serviceMonitor" -}}
{{- $m := .Values.metrics.serviceMonitor -}}
{{- if $m.enabled }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "parley-common.fullname" . }}
  {{- with $m.namespace }}
  namespace: {{ . }}
  {{- end }}
  labels:
    {{- include "parley-common.labels" . | nindent 4 }}
    {{- with $m.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  namespaceSelector:
    matchNames: [{{ .Release.Namespace }}]
  selector:
    matchLabels:
      {{- include "parley-common.selectorLabels" . | nindent 6 }}
  endpoints:
    - port: http
      path: /metrics
      interval: {{ $m.interval }}
      scrapeTimeout: {{ $m.scrapeTimeout }}
{{- end }}
{{- end -}}
