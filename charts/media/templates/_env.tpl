{{- define "media.env" -}}
- name: KEY_CACHE_TTL_MS
  value: {{ .Values.keyCacheTtlMs | quote }}
- name: MESSAGING_URL
  value: {{ .Values.messagingUrl | default (include "parley-common.peerUrl" (dict "context" . "chart" "messaging" "port" 3004)) | quote }}
- name: COMPLIANCE_URL
  value: {{ .Values.complianceUrl | default (include "parley-common.peerUrl" (dict "context" . "chart" "compliance" "port" 3008)) | quote }}
- name: GDPR_ERASURE_MODE
  value: {{ .Values.gdprErasureMode | quote }}
- name: MEDIA_MAX_FILE_BYTES
  value: {{ .Values.maxFileBytes | int64 | quote }}
{{- with .Values.allowedTypes }}
- name: MEDIA_ALLOWED_TYPES
  value: {{ . | quote }}
{{- end }}
- name: MEDIA_CHUNK_BYTES
  value: {{ .Values.chunkBytes | int64 | quote }}
- name: MEDIA_PART_BYTES
  value: {{ .Values.partBytes | int64 | quote }}
- name: MEDIA_ABANDONED_AFTER_MS
  value: {{ .Values.abandonedAfterMs | int64 | quote }}
- name: MEDIA_UNATTACHED_TTL_MS
  value: {{ .Values.unattachedTtlMs | int64 | quote }}
- name: MEDIA_SWEEP_INTERVAL_MS
  value: {{ .Values.sweepIntervalMs | int64 | quote }}
- name: MEDIA_LINK_SECRET
  valueFrom: { secretKeyRef: { name: {{ .Values.linkSecret.existingSecret }}, key: MEDIA_LINK_SECRET } }
- name: MEDIA_LINK_TTL_S
  value: {{ .Values.linkTtlSeconds | int64 | quote }}
{{- end -}}
