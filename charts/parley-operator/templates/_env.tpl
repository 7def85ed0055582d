{{- define "parleyOperator.env" -}}
# The operator serves no service calls (only probes and metrics): it accepts no caller.
- name: SERVICE_TOKENS
  value: ""
- name: OPERATOR_NAMESPACE
  valueFrom: { fieldRef: { fieldPath: metadata.namespace } }
- name: OPERATOR_IDENTITY
  valueFrom: { fieldRef: { fieldPath: metadata.name } }
- name: OPERATOR_LEASE_NAME
  value: {{ printf "%s-leader" (include "parley-common.fullname" .) | quote }}
- name: OPERATOR_LEADER_ELECTION
  value: "true"
- name: OPERATOR_LEASE_DURATION_MS
  value: {{ .Values.leaderElection.leaseDurationMs | quote }}
- name: OPERATOR_RENEW_DEADLINE_MS
  value: {{ .Values.leaderElection.renewDeadlineMs | quote }}
- name: OPERATOR_RETRY_PERIOD_MS
  value: {{ .Values.leaderElection.retryPeriodMs | quote }}
{{- if .Values.watchNamespace }}
- name: OPERATOR_WATCH_NAMESPACE
  value: {{ .Values.watchNamespace | quote }}
{{- end }}
- name: OPERATOR_CONCURRENCY
  value: {{ .Values.concurrency | quote }}
- name: OPERATOR_RESYNC_MS
  value: {{ .Values.resyncMs | quote }}
- name: OPERATOR_STEP_TIMEOUT_MS
  value: {{ .Values.stepTimeoutMs | quote }}
- name: AUTH_SERVICE_URL
  value: {{ .Values.authServiceUrl | default (include "parley-common.peerUrl" (dict "context" . "chart" "auth" "port" 3007)) | quote }}
- name: ELASTICSEARCH_INDEX_REPLICAS
  value: {{ .Values.elasticsearchIndexReplicas | quote }}
{{- end -}}
