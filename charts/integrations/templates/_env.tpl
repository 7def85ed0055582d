{{- define "integrations.env" -}}
- name: MESSAGING_URL
  value: {{ .Values.messagingUrl | default (include "parley-common.peerUrl" (dict "context" . "chart" "messaging" "port" 3004)) | quote }}
{{- end -}}
