{{- define "integrations.env" -}}
- name: KEY_CACHE_TTL_MS
  value: {{ .Values.keyCacheTtlMs | quote }}
- name: TOPIC_REFRESH_MS
  value: {{ .Values.topicRefreshMs | quote }}
- name: WEBHOOK_ALLOWED_NETWORKS
  value: {{ .Values.webhooks.allowedNetworks | quote }}
- name: MESSAGING_URL
  value: {{ .Values.messagingUrl | default (include "parley-common.peerUrl" (dict "context" . "chart" "messaging" "port" 3004)) | quote }}
{{- end -}}
