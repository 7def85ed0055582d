{{- define "crypto.env" -}}
- name: KEY_CACHE_TTL_MS
  value: {{ .Values.keyCacheTtlMs | quote }}
{{- end -}}
