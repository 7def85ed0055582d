{{/*
The service's NetworkPolicy, default deny in both directions for its pods: only what is listed
passes.
- Ingress, on the http port only: from Parley's own pods (app.kubernetes.io/part-of=parley, in the
  release namespace) when networkPolicy.ingressFrom is `parley` (internal services, the crypto
  service), or from anywhere when it is `any` (the gateway and the socket service, which take
  outside traffic); networkPolicy.extraFrom adds peers (an ingress controller, Prometheus).
- Egress, when networkPolicy.egress.restrict: DNS, Parley's own pods, and each store of
  networkPolicy.egress.stores on its ports (to any address unless the store's `to` names its
  peers: an ipBlock or a namespaceSelector narrows it to the real servers); egress.extraTo adds
  rules.
*/}}
{{- define "parley-common.networkPolicy" -}}
{{- $n := .Values.networkPolicy -}}
{{- if $n.enabled }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "parley-common.fullname" . }}
  labels:
    {{- include "parley-common.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "parley-common.selectorLabels" . | nindent 6 }}
  policyTypes:
    - Ingress
    {{- if $n.egress.restrict }}
    - Egress
    {{- end }}
  ingress:
    {{- if eq $n.ingressFrom "any" }}
    - ports:
        - port: http
          protocol: TCP
    {{- else }}
    - from:
        - podSelector:
            matchLabels:
              app.kubernetes.io/part-of: parley
        {{- with $n.extraFrom }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        - port: http
          protocol: TCP
    {{- end }}
  {{- if $n.egress.restrict }}
  egress:
    # Name resolution, wherever the cluster's DNS runs.
    - ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
    # Calls to the other Parley services.
    - to:
        - podSelector:
            matchLabels:
              app.kubernetes.io/part-of: parley
    {{- range $name, $store := $n.egress.stores }}
    {{- if $store }}
    # {{ $name }}
    - ports:
        {{- range $store.ports }}
        - port: {{ . }}
          protocol: TCP
        {{- end }}
      {{- with $store.to }}
      to:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
    {{- end }}
    {{- with $n.egress.extraTo }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
{{- end }}
{{- end -}}
