{{- define "socket.env" -}}
{{- $global := .Values.global | default dict -}}
{{- $up := .Values.upstreams -}}
# Clients connect, not services: the socket service accepts no service credential.
- name: SERVICE_TOKENS
  value: ""
# The replica's stable name is its pod's: its Kafka consumer groups are socket.*.<REPLICA_ID>.
- name: REPLICA_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: AUTH_URL
  value: {{ $up.authUrl | default (include "parley-common.peerUrl" (dict "context" . "chart" "auth" "port" 3007)) | quote }}
- name: MESSAGING_URL
  value: {{ $up.messagingUrl | default (include "parley-common.peerUrl" (dict "context" . "chart" "messaging" "port" 3004)) | quote }}
- name: CRYPTO_URL
  value: {{ $up.cryptoUrl | default (include "parley-common.peerUrl" (dict "context" . "chart" "crypto" "port" 3009)) | quote }}
- name: UPSTREAM_TIMEOUT_MS
  value: {{ $up.timeoutMs | quote }}
- name: AUTH_ISSUER
  value: {{ $global.authIssuer | default .Values.issuer | quote }}
- name: AUTH_AUDIENCE
  value: {{ $global.authAudience | default .Values.audience | quote }}
- name: MAX_PAYLOAD_BYTES
  value: {{ .Values.maxPayloadBytes | quote }}
- name: CLIENT_EVENTS_PER_SECOND
  value: {{ .Values.clientEventsPerSecond | quote }}
- name: TOPIC_REFRESH_MS
  value: {{ .Values.topicRefreshMs | quote }}
- name: REDIS_SHARDED_ADAPTER
  value: {{ .Values.redisShardedAdapter | quote }}
{{- end -}}
