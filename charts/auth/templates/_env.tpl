{{- define "auth.env" -}}
{{- $global := .Values.global | default dict -}}
- name: KEY_CACHE_TTL_MS
  value: {{ .Values.keyCacheTtlMs | quote }}
- name: COMPLIANCE_URL
  value: {{ .Values.complianceUrl | default (include "parley-common.peerUrl" (dict "context" . "chart" "compliance" "port" 3008)) | quote }}
- name: AUTH_ISSUER
  value: {{ $global.authIssuer | default .Values.issuer | quote }}
- name: AUTH_AUDIENCE
  value: {{ $global.authAudience | default .Values.audience | quote }}
- name: ARGON2_MEMORY_KIB
  value: {{ .Values.argon2.memoryKiB | quote }}
- name: ARGON2_PASSES
  value: {{ .Values.argon2.passes | quote }}
{{- end -}}
