{{- define "notifier.env" -}}
{{- $smtp := .Values.smtp -}}
- name: KEY_CACHE_TTL_MS
  value: {{ .Values.keyCacheTtlMs | quote }}
- name: SMTP_HOST
  value: {{ $smtp.host | quote }}
- name: SMTP_PORT
  value: {{ $smtp.port | quote }}
- name: SMTP_SECURE
  value: {{ $smtp.secure | quote }}
- name: SMTP_REQUIRE_TLS
  value: {{ $smtp.requireTls | quote }}
{{- with $smtp.credentialsSecret }}
- name: SMTP_USERNAME
  valueFrom: { secretKeyRef: { name: {{ . }}, key: SMTP_USERNAME } }
- name: SMTP_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ . }}, key: SMTP_PASSWORD } }
{{- end }}
- name: MAIL_FROM_ADDRESS
  value: {{ .Values.mail.fromAddress | quote }}
- name: MAIL_ATTEMPTS
  value: {{ .Values.mail.attempts | quote }}
- name: MAIL_RETRY_INITIAL_MS
  value: {{ .Values.mail.retryInitialMs | quote }}
- name: MAIL_RETRY_MAX_MS
  value: {{ .Values.mail.retryMaxMs | quote }}
- name: WEB_URL
  value: {{ .Values.webUrl | quote }}
- name: TOPIC_REFRESH_MS
  value: {{ .Values.topicRefreshMs | quote }}
{{- end -}}
