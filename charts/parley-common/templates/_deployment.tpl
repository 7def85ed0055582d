{{/*
The Deployment of a Parley service. Called from the service chart with
  include "parley-common.deployment" (dict "context" . "env" (include "<chart>.env" .)
    "volumes" (include "<chart>.volumes" .) "volumeMounts" (include "<chart>.volumeMounts" .))
where env, volumes and volumeMounts are optional YAML lists the chart adds to the common ones:
- env: PARLEY_ENV=production (public development defaults make the process refuse to start),
  HOST, PORT, SHUTDOWN_TIMEOUT_MS, the master key settings when the chart mounts master keys,
  then the chart's own, then `config` (plain values) and `extraEnv` (full EnvVar entries);
- envFrom: the shared connections Secret, then the service's own credentials Secret (listed
  last, so its SERVICE_TOKEN wins);
- volumes: the master keys (read-only, mode 0440 with the pod's fsGroup), an emptyDir /tmp
  (the root filesystem is read-only);
- volumeClaimTemplates (optional YAML list): the workload becomes a StatefulSet, so each replica
  has a PersistentVolumeClaim of its own that its replacement gets back (the gateway's audit
  journal: one process per folder, and a new pod replays what the old one left).
*/}}
{{- define "parley-common.deployment" -}}
{{- $ := .context -}}
{{- $v := $.Values -}}
apiVersion: apps/v1
kind: {{ include "parley-common.workloadKind" . }}
metadata:
  name: {{ include "parley-common.fullname" $ }}
  labels:
    {{- include "parley-common.labels" $ | nindent 4 }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "parley-common.selectorLabels" $ | nindent 6 }}
  {{- if .volumeClaimTemplates }}
  # The Service in front of the replicas (no per-pod DNS is needed: nothing calls one replica).
  serviceName: {{ include "parley-common.fullname" $ }}
  # Replicas share nothing but the Service: start and replace them all at once, not in order.
  podManagementPolicy: Parallel
  # One replica at a time is replaced (a StatefulSet has no surge: the new pod needs the old one's
  # volume); the PodDisruptionBudget and a second replica keep the service answering.
  updateStrategy:
    type: RollingUpdate
  # A claim outlives its replica, on scale-down too: what it holds waits for the replica's return.
  persistentVolumeClaimRetentionPolicy:
    whenDeleted: Retain
    whenScaled: Retain
  volumeClaimTemplates:
    {{- .volumeClaimTemplates | nindent 4 }}
  {{- else }}
  strategy:
    type: RollingUpdate
    # A new pod is ready before an old one goes: capacity never drops during a rollout.
    rollingUpdate: { maxUnavailable: 0, maxSurge: 1 }
  {{- end }}
  template:
    metadata:
      labels:
        {{- include "parley-common.labels" $ | nindent 8 }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        # A changed setting rolls the pods (env is read once, at start).
        checksum/config: {{ toJson (list $v.config $v.extraEnv .env) | sha256sum }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "parley-common.serviceAccountName" $ }}
      automountServiceAccountToken: {{ $v.serviceAccount.automountToken | default false }}
      # Longer than SHUTDOWN_TIMEOUT_MS, so in-flight requests drain and workers stop cleanly.
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      securityContext:
        {{- toYaml $v.podSecurityContext | nindent 8 }}
      {{- with (include "parley-common.imagePullSecrets" $) }}
      {{- . | nindent 6 }}
      {{- end }}
      containers:
        - name: {{ $v.component | default $.Chart.Name }}
          image: {{ include "parley-common.image" $ | quote }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          securityContext:
            {{- toYaml $v.containerSecurityContext | nindent 12 }}
          ports:
            - name: http
              containerPort: {{ $v.service.port }}
              protocol: TCP
          envFrom:
            # Connection settings come from a Secret the chart never creates.
            - secretRef:
                name: {{ include "parley-common.connectionsSecret" $ }}
            {{- with $v.serviceCredentials }}
            # This service's own credential (SERVICE_TOKEN) and the callers it accepts
            # (SERVICE_TOKENS, name=token pairs). Listed last, so they win over the shared Secret.
            - secretRef:
                name: {{ .existingSecret }}
            {{- end }}
          env:
            - name: PARLEY_ENV
              value: production
            - name: HOST
              value: "0.0.0.0"
            - name: PORT
              value: {{ $v.service.port | quote }}
            - name: SHUTDOWN_TIMEOUT_MS
              value: {{ $v.shutdownTimeoutMs | quote }}
            {{- with $v.masterKeys }}
            - name: MASTER_KEY_PATH
              value: {{ .mountPath | quote }}
            # In a cluster a missing master key must stop the pod, never mint a new one.
            - name: MASTER_KEY_CREATE_IF_MISSING
              value: "false"
            {{- end }}
            {{- with .env }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- range $name, $value := $v.config }}
            - name: {{ $name }}
              value: {{ $value | quote }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          volumeMounts:
            {{- with $v.masterKeys }}
            - name: master-keys
              mountPath: {{ .mountPath }}
              readOnly: true
            {{- end }}
            - name: tmp
              mountPath: /tmp
            {{- with .volumeMounts }}
            {{- . | nindent 12 }}
            {{- end }}
          livenessProbe:
            httpGet: { path: /health, port: http }
            {{- toYaml $v.livenessProbe | nindent 12 }}
          readinessProbe:
            httpGet: { path: /ready, port: http }
            {{- toYaml $v.readinessProbe | nindent 12 }}
          startupProbe:
            httpGet: { path: /health, port: http }
            {{- toYaml $v.startupProbe | nindent 12 }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
      volumes:
        {{- with $v.masterKeys }}
        - name: master-keys
          secret:
            secretName: {{ .existingSecret }}
            defaultMode: 0440  # owner root, group fsGroup: readable by the service's user only
        {{- end }}
        - name: tmp
          emptyDir: { sizeLimit: 64Mi }
        {{- with .volumes }}
        {{- . | nindent 8 }}
        {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      affinity:
        {{- if $v.affinity }}
        {{- toYaml $v.affinity | nindent 8 }}
        {{- else }}
        # Replicas on different nodes, so one node's loss leaves the service answering.
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm:
                topologyKey: kubernetes.io/hostname
                labelSelector:
                  matchLabels:
                    {{- include "parley-common.selectorLabels" $ | nindent 20 }}
        {{- end }}
{{- end -}}

{{/* Deployment, or StatefulSet when the chart gives volumeClaimTemplates (the dict above). */}}
{{- define "parley-common.workloadKind" -}}
{{- ternary "StatefulSet" "Deployment" (not (empty .volumeClaimTemplates)) -}}
{{- end -}}
