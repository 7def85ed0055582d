{{- define "compliance.env" -}}
{{- $signing := .Values.auditSigningKey -}}
- name: KEY_CACHE_TTL_MS
  value: {{ .Values.keyCacheTtlMs | quote }}
- name: AUDIT_SIGNING_KEY_PATH
  value: {{ printf "%s/%s" $signing.mountPath $signing.key | quote }}
# A missing signing key must stop the pod: a new key would orphan every pinned verifier.
- name: AUDIT_SIGNING_KEY_CREATE_IF_MISSING
  value: "false"
{{- if $signing.previousKeys.existingSecret }}
- name: AUDIT_PREVIOUS_KEYS_PATH
  value: {{ printf "%s/%s" $signing.previousKeys.mountPath $signing.previousKeys.key | quote }}
{{- end }}
- name: CHECKPOINT_EVERY_RECORDS
  value: {{ .Values.checkpoint.everyRecords | quote }}
- name: CHECKPOINT_EVERY_MS
  value: {{ .Values.checkpoint.everyMs | quote }}
- name: INGEST_BATCH_SIZE
  value: {{ .Values.ingest.batchSize | quote }}
- name: INGEST_MAX_WAIT_MS
  value: {{ .Values.ingest.maxWaitMs | quote }}
- name: ERASURE_KEY_WAITING_DAYS
  value: {{ .Values.erasureKeyWaitingDays | quote }}
{{- end -}}

{{- define "compliance.volumes" -}}
{{- $signing := .Values.auditSigningKey -}}
- name: audit-signing-key
  secret:
    secretName: {{ $signing.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ $signing.key }}
        path: {{ $signing.key }}
{{- if $signing.previousKeys.existingSecret }}
- name: audit-previous-keys
  secret:
    secretName: {{ $signing.previousKeys.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ $signing.previousKeys.key }}
        path: {{ $signing.previousKeys.key }}
{{- end }}
{{- end -}}

{{- define "compliance.volumeMounts" -}}
{{- $signing := .Values.auditSigningKey -}}
- name: audit-signing-key
  mountPath: {{ $signing.mountPath }}
  readOnly: true
{{- if $signing.previousKeys.existingSecret }}
- name: audit-previous-keys
  mountPath: {{ $signing.previousKeys.mountPath }}
  readOnly: true
{{- end }}
{{- end -}}
