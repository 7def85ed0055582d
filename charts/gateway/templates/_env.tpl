{{- define "gateway.env" -}}
{{- $global := .Values.global | default dict -}}
{{- $up := .Values.upstreams -}}
# The public door serves people, not services: it accepts no service credential.
- name: SERVICE_TOKENS
  value: ""
- name: AUTH_URL
  value: {{ $up.authUrl | default (include "parley-common.peerUrl" (dict "context" . "chart" "auth" "port" 3007)) | quote }}
- name: COMPLIANCE_URL
  value: {{ $up.complianceUrl | default (include "parley-common.peerUrl" (dict "context" . "chart" "compliance" "port" 3008)) | quote }}
- name: MESSAGING_URL
  value: {{ $up.messagingUrl | default (include "parley-common.peerUrl" (dict "context" . "chart" "messaging" "port" 3004)) | quote }}
- name: SEARCH_URL
  value: {{ $up.searchUrl | default (include "parley-common.peerUrl" (dict "context" . "chart" "search" "port" 3006)) | quote }}
- name: MEDIA_URL
  value: {{ $up.mediaUrl | default (include "parley-common.peerUrl" (dict "context" . "chart" "media" "port" 3005)) | quote }}
- name: INTEGRATIONS_URL
  value: {{ $up.integrationsUrl | default (include "parley-common.peerUrl" (dict "context" . "chart" "integrations" "port" 3012)) | quote }}
# One Service in front of every socket replica: the socket service takes websockets only, so any
# replica may take any upgrade and no sticky sessions are needed.
- name: SOCKET_URLS
  value: {{ $up.socketUrls | default (include "parley-common.peerUrl" (dict "context" . "chart" "socket" "port" 3002)) | quote }}
- name: UPSTREAM_TIMEOUT_MS
  value: {{ $up.timeoutMs | quote }}
- name: AUTH_ISSUER
  value: {{ $global.authIssuer | default .Values.issuer | quote }}
- name: AUTH_AUDIENCE
  value: {{ $global.authAudience | default .Values.audience | quote }}
- name: CORS_ORIGINS
  value: {{ join "," .Values.corsOrigins | quote }}
- name: TENANT_HOSTS
  value: {{ include "gateway.tenantHosts" . | quote }}
- name: TRUSTED_PROXIES
  value: {{ join "," .Values.trustedProxies | quote }}
- name: AUDIT_DIR
  value: {{ .Values.auditJournal.mountPath | quote }}
{{- end -}}

{{/*
The audit journal's volume: a claim per replica (volumeClaimTemplates: the chart becomes a
StatefulSet), or an emptyDir when persistence is off.
*/}}
{{- define "gateway.volumeClaimTemplates" -}}
{{- $p := .Values.auditJournal.persistence -}}
{{- if $p.enabled -}}
- metadata:
    name: audit-journal
    labels:
      {{- include "parley-common.selectorLabels" . | nindent 6 }}
    {{- with $p.annotations }}
    annotations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  spec:
    accessModes:
      {{- toYaml $p.accessModes | nindent 6 }}
    {{- with $p.storageClassName }}
    storageClassName: {{ . | quote }}
    {{- end }}
    resources:
      requests:
        storage: {{ $p.size | quote }}
{{- end -}}
{{- end -}}

{{- define "gateway.volumes" -}}
{{- if not .Values.auditJournal.persistence.enabled -}}
- name: audit-journal
  emptyDir: { sizeLimit: {{ .Values.auditJournal.persistence.size | quote }} }
{{- end -}}
{{- end -}}

{{- define "gateway.volumeMounts" -}}
- name: audit-journal
  mountPath: {{ .Values.auditJournal.mountPath }}
{{- end -}}

{{/* { acme.chat.example: acme } -> "acme.chat.example=acme" (sorted, so the checksum is stable). */}}
{{- define "gateway.tenantHosts" -}}
{{- $pairs := list -}}
{{- range $host, $tenant := .Values.tenantHosts -}}
{{- $pairs = append $pairs (printf "%s=%s" $host $tenant) -}}
{{- end -}}
{{- join "," $pairs -}}
{{- end -}}
