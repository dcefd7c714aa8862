{{/* Chart name, truncated to the 63 characters a label value may hold. */}}
{{- define "atrium.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects. Kept to 52 characters so suffixed names (-migrate, -management, -chores and the
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

{{/*
The one image of the release, for the serving pods, the migration Job and the chores: the tag defaults to the
chart's appVersion ("-native" added for the native flavor), and a digest pins it.
*/}}
{{- define "atrium.image" -}}
{{- $suffix := ternary "-native" "" (eq .Values.image.flavor "native") }}
{{- $tag := default (printf "%s%s" .Chart.AppVersion $suffix) .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
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

{{/* The in-cluster address of the public API, for the chart test. */}}
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

{{/* The most pods that can hold a connection pool at once (see database.* in values.yaml). */}}
{{- define "atrium.maxPods" -}}
{{- if eq .Values.mode "knative" }}
{{- mul 2 (int .Values.knative.maxScale) }}
{{- else if .Values.autoscaling.enabled }}
{{- add 1 (int .Values.autoscaling.maxReplicas) }}
{{- else }}
{{- add 1 (int .Values.replicaCount) }}
{{- end }}
{{- end }}

{{/* Refuses values the schema cannot express. */}}
{{- define "atrium.validate" -}}
{{- if hasKey .Values.cell.peers .Values.cell.region }}
{{- fail (printf "cell.peers must not list the cell's own region %s" .Values.cell.region) }}
{{- end }}
{{- if not (or (eq .Values.cell.directoryRegion .Values.cell.region) (hasKey .Values.cell.peers .Values.cell.directoryRegion)) }}
{{- fail (printf "cell.directoryRegion %s is neither this cell's region nor one of its peers" .Values.cell.directoryRegion) }}
{{- end }}
{{- if and (eq .Values.mode "deployment") .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- if and (eq .Values.mode "knative") (gt (int .Values.knative.minScale) (int .Values.knative.maxScale)) }}
{{- fail "knative.minScale must not exceed knative.maxScale" }}
{{- end }}
{{- $db := .Values.database }}
{{- $pods := int (include "atrium.maxPods" .) }}
{{- $needed := add (mul $pods (int $db.poolSize)) (int $db.choresPoolSize) 2 }}
{{- if gt (int $needed) (int $db.maxConnections) }}
{{- fail (printf "database connections: %d pods x poolSize %d + choresPoolSize %d + 2 (migration) = %d exceeds database.maxConnections %d; lower the pool or the replica ceiling, or raise the budget (deploy/README.md, Sizing connections)" $pods (int $db.poolSize) (int $db.choresPoolSize) (int $needed) (int $db.maxConnections)) }}
{{- end }}
{{- $egress := .Values.networkPolicy.egress }}
{{- if and .Values.networkPolicy.enabled $egress.restrict }}
{{- if not $egress.database.cidrs }}
{{- fail "networkPolicy.egress.database.cidrs: name the addresses of this cell's own PostgreSQL" }}
{{- end }}
{{- if and .Values.cell.peers (not $egress.peers.cidrs) }}
{{- fail "networkPolicy.egress.peers.cidrs: name the addresses of the peers in cell.peers" }}
{{- end }}
{{- if and .Values.provisioning.dataplaneUrl (not $egress.dataplane.cidrs) }}
{{- fail "networkPolicy.egress.dataplane.cidrs: name the addresses of provisioning.dataplaneUrl" }}
{{- end }}
{{- if and .Values.tracing.otlpEndpoint (not $egress.collector.cidrs) }}
{{- fail "networkPolicy.egress.collector.cidrs: name the addresses of tracing.otlpEndpoint" }}
{{- end }}
{{- if and (eq .Values.jwt.keySource "jwksUrl") (not $egress.jwks.cidrs) }}
{{- fail "networkPolicy.egress.jwks.cidrs: name the addresses of the JWKS URL" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "atrium.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- end }}

{{/* The cell's identity, the same in every Atrium container (none of it secret). */}}
{{- define "atrium.cellEnv" -}}
- name: ATRIUM_CELL_REGION
  value: {{ .Values.cell.region | quote }}
- name: ATRIUM_CELL_BASE_URL
  value: {{ .Values.cell.baseUrl | quote }}
- name: ATRIUM_CELL_PEER_LIST
  value: {{ include "atrium.peerList" . | quote }}
{{- end }}

{{/* The cell's own database as the role in .secret (Secret references only), with a pool of .pool connections. */}}
{{- define "atrium.databaseEnv" -}}
{{- $db := .root.Values.database }}
{{ include "atrium.secretEnv" (dict "name" "ATRIUM_DB_REACTIVE_URL" "secret" .secret "key" $db.keys.reactiveUrl) }}
{{ include "atrium.secretEnv" (dict "name" "ATRIUM_DB_JDBC_URL" "secret" .secret "key" $db.keys.jdbcUrl) }}
{{ include "atrium.secretEnv" (dict "name" "ATRIUM_DB_USER" "secret" .secret "key" $db.keys.user) }}
{{ include "atrium.secretEnv" (dict "name" "ATRIUM_DB_PASSWORD" "secret" .secret "key" $db.keys.password) }}
- name: ATRIUM_DB_POOL_SIZE
  value: {{ .pool | quote }}
{{- end }}

{{/* What only the serving pods get: the token verification key, the service clients and the serving secrets. */}}
{{- define "atrium.servingEnv" -}}
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
- name: QUARKUS_MANAGEMENT_PORT
  value: {{ .Values.management.port | quote }}
{{- end }}

{{/* The runtime's memory settings: the JVM image's heap share, or nothing (the native binary takes -Xmx). */}}
{{- define "atrium.runtimeEnv" -}}
{{- if eq .Values.image.flavor "jvm" }}
- name: JAVA_MAX_MEM_RATIO
  value: {{ .Values.jvm.maxMemRatio | quote }}
- name: JAVA_OPTS_APPEND
  value: {{ .Values.jvm.optsAppend | quote }}
{{- end }}
{{- end }}

{{/* Arguments of an Atrium container: the native binary's heap ceiling, then the command (chores), if any. */}}
{{- define "atrium.args" -}}
{{- $args := list }}
{{- if eq .root.Values.image.flavor "native" }}
{{- $args = append $args (printf "-Xmx%s" .root.Values.native.maxHeap) }}
{{- end }}
{{- with .command }}
{{- $args = append $args . }}
{{- end }}
{{- if $args }}
args:
{{- range $args }}
  - {{ . | quote }}
{{- end }}
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

{{/* Memory request and limit are one value: the heap is sized from it. */}}
{{- define "atrium.resources" -}}
requests:
  cpu: {{ .Values.resources.cpu.request | quote }}
  memory: {{ .Values.resources.memory | quote }}
limits:
  cpu: {{ .Values.resources.cpu.limit | quote }}
  memory: {{ .Values.resources.memory | quote }}
{{- end }}

{{/* Volumes of the Atrium containers: a writable /tmp, the JWT key (.jwt: serving pods) and the cell ConfigMap (.config). */}}
{{- define "atrium.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if and .jwt (eq .root.Values.jwt.keySource "secret") }}
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
{{- if and .jwt (eq .root.Values.jwt.keySource "secret") }}
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

{{/* Pod annotations of the serving pods: config checksum (rolls pods on change) and Prometheus scraping (management port). */}}
{{- define "atrium.podAnnotations" -}}
checksum/cell-config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if .Values.metrics.podAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.management.port | quote }}
prometheus.io/path: /q/metrics
{{- end }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}


{{/* Scheduling of the serving pods: node selector, affinity, tolerations, spread (by default across zones in deployment mode). */}}
{{- define "atrium.scheduling" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .Values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml .Values.topologySpreadConstraints | nindent 2 }}
{{- else if eq .Values.mode "deployment" }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "atrium.selectorLabels" . | nindent 8 }}
{{- end }}
{{- end }}

{{/* Scheduling of the Jobs' pods (migration, chores): where the serving pods may go, without the spread. */}}
{{- define "atrium.jobScheduling" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Egress rules: DNS, then each of .targets (database, peers, dataplane, jwks) that has addresses. */}}
{{- define "atrium.egressRules" -}}
{{- $egress := .root.Values.networkPolicy.egress }}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- range .targets }}
{{- $target := get $egress . }}
{{- if $target.cidrs }}
# {{ . }}
- ports:
    - port: {{ $target.port }}
      protocol: TCP
  to:
    {{- range $target.cidrs }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
{{- end }}
{{- end }}
{{- end }}
