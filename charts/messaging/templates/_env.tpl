{{- define "messaging.env" -}}
- name: KEY_CACHE_TTL_MS
  value: {{ .Values.keyCacheTtlMs | quote }}
- name: SEQ_VOID_AFTER_MS
  value: {{ .Values.seq.voidAfterMs | quote }}
- name: REPAIR_INTERVAL_MS
  value: {{ .Values.repairIntervalMs | quote }}
- name: OUTBOX_INTERVAL_MS
  value: {{ .Values.outboxIntervalMs | quote }}
{{- end -}}
