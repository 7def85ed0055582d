{{/*
Everything a Parley service chart deploys, in one call from its templates/service.yaml:
  {{ include "parley-common.all" (dict "context" . "env" (include "<chart>.env" .)) }}
(the dict of parley-common.deployment). Empty documents are dropped by helm.
*/}}
{{- define "parley-common.all" -}}
{{- $ := .context -}}
{{ include "parley-common.deployment" . }}
---
{{ include "parley-common.service" $ }}
---
{{ include "parley-common.serviceAccount" $ }}
---
{{ include "parley-common.pdb" $ }}
---
{{ include "parley-common.hpa" (dict "context" $ "kind" (include "parley-common.workloadKind" .)) }}
---
{{ include "parley-common.networkPolicy" $ }}
---
{{ include "parley-common.serviceMonitor" $ }}
{{- end -}}
