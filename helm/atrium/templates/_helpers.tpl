{{/* Chart name, truncated to the 63 characters a label value may hold. */}}
{{- define "atrium.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects. Kept to 52 characters so suffixed names (-migrate, -background-work and the
CronJob's 11-character job suffix) stay within Kubernetes' limits.
*/}}
{{- define "atrium.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "atrium.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that select the serving pods. */}}
{{- define "atrium.selectorLabels" -}}
app.kubernetes.io/name: {{ include "atrium.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: api
{{- end }}

{{/* Labels of every object; atrium.dev/region names the cell. */}}
{{- define "atrium.labels" -}}
helm.sh/chart: {{ include "atrium.chart" . }}
app.kubernetes.io/name: {{ include "atrium.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: atrium
atrium.dev/region: {{ .Values.cell.region | quote }}
{{- end }}

{{- define "atrium.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "atrium.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "atrium.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Values.image.flavor .Values.image.tag) }}
{{- end }}

{{/* The image's working directory: Quarkus reads config/application.properties relative to it. */}}
{{- define "atrium.workdir" -}}
{{- if eq .Values.image.flavor "native" }}/work{{ else }}/deployments{{ end }}
{{- end }}

{{/* The non-root user each image is built for. */}}
{{- define "atrium.uid" -}}
{{- if eq .Values.image.flavor "native" }}1001{{ else }}185{{ end }}
{{- end }}

{{- define "atrium.configMapName" -}}
{{- printf "%s-cell" (include "atrium.fullname" .) }}
{{- end }}

{{/* The in-cluster address of the serving pods, for the background-work trigger and the chart test. */}}
{{- define "atrium.internalUrl" -}}
{{- if eq .Values.mode "knative" }}
{{- printf "http://%s.%s.svc.cluster.local" (include "atrium.fullname" .) .Release.Namespace }}
{{- else }}
{{- printf "http://%s.%s.svc.cluster.local:%d" (include "atrium.fullname" .) .Release.Namespace (int .Values.service.port) }}
{{- end }}
{{- end }}

{{/* Peers as one value, region=url,region=url (ATRIUM_CELL_PEER_LIST), sorted by region. */}}
{{- define "atrium.peerList" -}}
{{- $pairs := list }}
{{- range $region, $url := .Values.cell.peers }}
{{- $pairs = append $pairs (printf "%s=%s" $region $url) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}

{{/* Refuses values the schema cannot express. */}}
{{- define "atrium.validate" -}}
{{- if hasKey .Values.cell.peers .Values.cell.region }}
{{- fail (printf "cell.peers must not list the cell's own region %s" .Values.cell.region) }}
{{- end }}
{{- if and (eq .Values.mode "deployment") .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- if and (eq .Values.mode "knative") (gt (int .Values.knative.maxScale) 0) (gt (int .Values.knative.minScale) (int .Values.knative.maxScale)) }}
{{- fail "knative.minScale must not exceed knative.maxScale" }}
{{- end }}
{{- end }}

{{- define "atrium.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- end }}

{{/*
The environment of every Atrium container (serving pods and the migration Job): the cell, its own database and
the token verification key, all secrets by reference.
*/}}
{{- define "atrium.env" -}}
- name: ATRIUM_CELL_REGION
  value: {{ .Values.cell.region | quote }}
- name: ATRIUM_CELL_BASE_URL
  value: {{ .Values.cell.baseUrl | quote }}
- name: ATRIUM_CELL_PEER_LIST
  value: {{ include "atrium.peerList" . | quote }}
{{- $db := .Values.database }}
{{ include "atrium.secretEnv" (dict "name" "ATRIUM_DB_REACTIVE_URL" "secret" $db.secretName "key" $db.keys.reactiveUrl) }}
{{ include "atrium.secretEnv" (dict "name" "ATRIUM_DB_JDBC_URL" "secret" $db.secretName "key" $db.keys.jdbcUrl) }}
{{ include "atrium.secretEnv" (dict "name" "ATRIUM_DB_USER" "secret" $db.secretName "key" $db.keys.user) }}
{{ include "atrium.secretEnv" (dict "name" "ATRIUM_DB_PASSWORD" "secret" $db.secretName "key" $db.keys.password) }}
- name: ATRIUM_DB_POOL_SIZE
  value: {{ .Values.database.poolSize | quote }}
{{- if eq .Values.jwt.keySource "secret" }}
- name: ATRIUM_JWT_PUBLIC_KEY_LOCATION
  value: {{ printf "/etc/atrium/jwt/%s" .Values.jwt.publicKeySecret.key | quote }}
{{- else }}
{{ include "atrium.secretEnv" (dict "name" "ATRIUM_JWT_PUBLIC_KEY_LOCATION" "secret" .Values.jwt.jwksUrlSecret.name "key" .Values.jwt.jwksUrlSecret.key) }}
{{- end }}
- name: ATRIUM_JWT_ISSUER
  value: {{ .Values.jwt.issuer | quote }}
- name: ATRIUM_JWT_AUDIENCE
  value: {{ .Values.jwt.audience | quote }}
- name: ATRIUM_JWT_ALGORITHM
  value: {{ .Values.jwt.algorithm | quote }}
- name: ATRIUM_SERVICE_CLIENTS
  value: {{ join "," .Values.jwt.serviceClients | quote }}
{{- $app := .Values.appSecret }}
{{ include "atrium.secretEnv" (dict "name" "ATRIUM_API_KEY_PEPPER" "secret" $app.name "key" $app.keys.apiKeyPepper) }}
{{ include "atrium.secretEnv" (dict "name" "ATRIUM_IDEMPOTENCY_ENCRYPTION_KEY" "secret" $app.name "key" $app.keys.idempotencyEncryptionKey) }}
{{- if eq .Values.image.flavor "jvm" }}
- name: JAVA_MAX_MEM_RATIO
  value: {{ .Values.jvm.maxMemRatio | quote }}
- name: JAVA_OPTS_APPEND
  value: {{ trim (printf "-Dquarkus.http.host=0.0.0.0 -Djava.util.logging.manager=org.jboss.logmanager.LogManager %s" .Values.jvm.optsAppend) | quote }}
{{- end }}
{{- end }}

{{/* Container security: non-root, read-only root filesystem, no privilege escalation, no capabilities. */}}
{{- define "atrium.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ include "atrium.uid" . }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Pod security for pods Kubernetes runs directly (Knative restricts pod-level fields). */}}
{{- define "atrium.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ include "atrium.uid" . }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "atrium.resources" -}}
requests:
  cpu: {{ .Values.resources.requests.cpu | quote }}
  memory: {{ .Values.resources.requests.memory | quote }}
limits:
  cpu: {{ .Values.resources.limits.cpu | quote }}
  memory: {{ .Values.resources.limits.memory | quote }}
{{- end }}

{{/* Volumes of the Atrium containers: a writable /tmp, the JWT key, and (serving pods) the cell ConfigMap. */}}
{{- define "atrium.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if eq .root.Values.jwt.keySource "secret" }}
- name: jwt
  secret:
    secretName: {{ .root.Values.jwt.publicKeySecret.name }}
    items:
      - key: {{ .root.Values.jwt.publicKeySecret.key }}
        path: {{ .root.Values.jwt.publicKeySecret.key }}
{{- end }}
{{- if .config }}
- name: cell-config
  configMap:
    name: {{ include "atrium.configMapName" .root }}
{{- end }}
{{- end }}

{{- define "atrium.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if eq .root.Values.jwt.keySource "secret" }}
- name: jwt
  mountPath: /etc/atrium/jwt
  readOnly: true
{{- end }}
{{- if .config }}
- name: cell-config
  mountPath: {{ include "atrium.workdir" .root }}/config
  readOnly: true
{{- end }}
{{- end }}

{{/* Pod annotations of the serving pods: config checksum (rolls pods on change) and Prometheus scraping. */}}
{{- define "atrium.podAnnotations" -}}
checksum/cell-config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if .Values.metrics.podAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: "8080"
prometheus.io/path: /q/metrics
{{- end }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}
