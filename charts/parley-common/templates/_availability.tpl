{{/*
A PodDisruptionBudget whenever more than one replica may run (a node drain then takes one pod at
a time), and the HorizontalPodAutoscaler when autoscaling.enabled: CPU utilisation by default,
or the metrics given in autoscaling.metrics (the socket service scales on its connections).
*/}}
{{- define "parley-common.pdb" -}}
{{- $v := .Values -}}
{{- if and $v.podDisruptionBudget.enabled (or $v.autoscaling.enabled (gt (int $v.replicaCount) 1)) }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "parley-common.fullname" . }}
  labels:
    {{- include "parley-common.labels" . | nindent 4 }}
spec:
  {{- if $v.podDisruptionBudget.minAvailable }}
  minAvailable: {{ $v.podDisruptionBudget.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $v.podDisruptionBudget.maxUnavailable | default 1 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "parley-common.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end -}}

{{/* Called with (dict "context" . "kind" "Deployment"|"StatefulSet"): the workload it scales. */}}
{{- define "parley-common.hpa" -}}
{{- $kind := .kind -}}
{{- with .context -}}
{{- $a := .Values.autoscaling -}}
{{- if $a.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "parley-common.fullname" . }}
  labels:
    {{- include "parley-common.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: {{ $kind }}
    name: {{ include "parley-common.fullname" . }}
  minReplicas: {{ $a.minReplicas }}
  maxReplicas: {{ $a.maxReplicas }}
  metrics:
    {{- if $a.metrics }}
    {{- toYaml $a.metrics | nindent 4 }}
    {{- else }}
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $a.targetCPUUtilizationPercentage }}
    {{- end }}
  {{- with $a.behavior }}
  behavior:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end }}
{{- end -}}
