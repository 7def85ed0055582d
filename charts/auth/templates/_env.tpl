{{- define "auth.env" -}}
- name: KEY_CACHE_TTL_MS
  value: {{ .Values.keyCacheTtlMs | quote }}
- name: COMPLIANCE_URL
  value: {{ .Values.complianceUrl | default (include "parley-common.peerUrl" (dict "context" . "chart" "compliance" "port" 3008)) | quote }}
- name: AUTH_ISSUER
  value: {{ .Values.issuer | quote }}
- name: AUTH_AUDIENCE
  value: {{ .Values.audience | quote }}
- name: ARGON2_MEMORY_KIB
  value: {{ .Values.argon2.memoryKiB | quote }}
- name: ARGON2_PASSES
  value: {{ .Values.argon2.passes | quote }}
{{- end -}}
