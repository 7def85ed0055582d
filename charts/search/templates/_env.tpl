{{- define "search.env" -}}
- name: KEY_CACHE_TTL_MS
  value: {{ .Values.keyCacheTtlMs | quote }}
- name: MESSAGING_URL
  value: {{ .Values.messagingUrl | default (include "parley-common.peerUrl" (dict "context" . "chart" "messaging" "port" 3004)) | quote }}
- name: MEDIA_URL
  value: {{ .Values.mediaUrl | default (include "parley-common.peerUrl" (dict "context" . "chart" "media" "port" 3005)) | quote }}
- name: COMPLIANCE_URL
  value: {{ .Values.complianceUrl | default (include "parley-common.peerUrl" (dict "context" . "chart" "compliance" "port" 3008)) | quote }}
- name: TOPIC_REFRESH_MS
  value: {{ .Values.topicRefreshMs | quote }}
{{- end -}}
