{{/* The ClusterIP Service on the one http port (API, probes and /metrics). */}}
{{- define "parley-common.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "parley-common.fullname" . }}
  labels:
    {{- include "parley-common.labels" . | nindent 4 }}
  {{- with .Values.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ .Values.service.type }}
  ports:
    - name: http
      port: {{ .Values.service.port }}
      targetPort: http
      protocol: TCP
      {{- if and (eq .Values.service.type "NodePort") .Values.service.nodePort }}
      nodePort: {{ .Values.service.nodePort }}
      {{- end }}
  selector:
    {{- include "parley-common.selectorLabels" . | nindent 4 }}
{{- end -}}

{{- define "parley-common.serviceAccount" -}}
{{- if .Values.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "parley-common.serviceAccountName" . }}
  labels:
    {{- include "parley-common.labels" . | nindent 4 }}
automountServiceAccountToken: {{ .Values.serviceAccount.automountToken | default false }}
{{- end }}
{{- end -}}
