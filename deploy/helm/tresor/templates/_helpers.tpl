{{/*
Names, labels and the decisions every template shares: which mode the server runs in, which
storage it uses, and the server config itself.
*/}}

{{- define "tresor.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The release name alone when it already says what it is: `helm install vault ...` must give
pods vault-0.. and the Service vault, as with vault-helm, because the tutorials name them.
*/}}
{{- define "tresor.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "tresor.name" . -}}
{{- if or (contains $name .Release.Name) (contains "vault" .Release.Name) -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "tresor.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tresor.namespace" -}}
{{- default .Release.Namespace .Values.global.namespace -}}
{{- end -}}

{{/* Labels on every object of the server side. */}}
{{- define "tresor.labels" -}}
app.kubernetes.io/name: {{ include "tresor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "tresor.chart" . }}
{{- end -}}

{{/* Server pods; the unprefixed `component` key is vault-helm's, kept for selectors users wrote. */}}
{{- define "tresor.server.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tresor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
component: server
{{- end -}}

{{- define "tresor.injector.name" -}}
{{- printf "%s-agent-injector" (include "tresor.name" .) -}}
{{- end -}}

{{- define "tresor.injector.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tresor.injector.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
component: webhook
{{- end -}}

{{- define "tresor.injector.labels" -}}
{{ include "tresor.injector.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "tresor.chart" . }}
{{- end -}}

{{- define "tresor.etcd.fullname" -}}
{{- printf "%s-etcd" (include "tresor.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tresor.etcd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tresor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
component: etcd
{{- end -}}

{{/* "true" when a tri-state value ("-" = follow global.enabled) is on. */}}
{{- define "tresor.enabled" -}}
{{- $v := toString .value -}}
{{- if or (eq $v "true") (and (eq $v "-") (eq (toString .global.enabled) "true")) -}}true{{- end -}}
{{- end -}}

{{- define "tresor.injector.enabled" -}}
{{- include "tresor.enabled" (dict "value" .Values.injector.enabled "global" .Values.global) -}}
{{- end -}}

{{- define "tresor.serverEnabled" -}}
{{- include "tresor.enabled" (dict "value" .Values.server.enabled "global" .Values.global) -}}
{{- end -}}

{{/*
The server's mode, in vault-helm's order: external, dev, ha, standalone, or "" (no server).
*/}}
{{- define "tresor.mode" -}}
{{- if or .Values.global.externalVaultAddr (ne (include "tresor.serverEnabled" .) "true") -}}external
{{- else if .Values.server.dev.enabled -}}dev
{{- else if .Values.server.ha.enabled -}}ha
{{- else if include "tresor.enabled" (dict "value" .Values.server.standalone.enabled "global" .Values.global) -}}standalone
{{- end -}}
{{- end -}}

{{- define "tresor.hasServer" -}}
{{- if has (include "tresor.mode" .) (list "dev" "ha" "standalone") -}}true{{- end -}}
{{- end -}}

{{- define "tresor.replicas" -}}
{{- if eq (include "tresor.mode" .) "ha" -}}{{ int (default 3 .Values.server.ha.replicas) }}{{- else -}}1{{- end -}}
{{- end -}}

{{/* Dev mode always serves plain HTTP, whatever global.tlsDisable says. */}}
{{- define "tresor.scheme" -}}
{{- if or .Values.global.tlsDisable (eq (include "tresor.mode" .) "dev") -}}http{{- else -}}https{{- end -}}
{{- end -}}

{{/*
Which storage the HA pods share: etcd (raft.enabled), postgresql, or the user's ha.config.
Anything else would be one private store per pod, which is not HA: fail instead.
*/}}
{{- define "tresor.haStorage" -}}
{{- $pg := .Values.server.ha.postgresql -}}
{{- if .Values.server.ha.raft.enabled -}}etcd
{{- else if and $pg.connectionURL $pg.connectionURLSecret.name -}}
{{- fail "set server.ha.postgresql.connectionURL or connectionURLSecret, not both" -}}
{{- else if or $pg.connectionURL $pg.connectionURLSecret.name -}}postgresql
{{- else if .Values.server.ha.config -}}config
{{- else -}}
{{- fail "server.ha.enabled=true needs storage that every replica shares: set server.ha.raft.enabled=true (the chart runs etcd), server.ha.postgresql.connectionURL (or connectionURLSecret), or server.ha.config with a shared storage stanza. Several replicas on private SQLite files would be separate servers, not HA." -}}
{{- end -}}
{{- end -}}

{{- define "tresor.etcd.enabled" -}}
{{- if and (eq (include "tresor.mode" .) "ha") .Values.server.ha.raft.enabled -}}true{{- end -}}
{{- end -}}

{{/* The DNS name of etcd member i, resolvable before the member is ready. */}}
{{- define "tresor.etcd.member" -}}
{{- printf "%s-%d.%s.%s.svc" (include "tresor.etcd.fullname" .root) .i (include "tresor.etcd.fullname" .root) (include "tresor.namespace" .root) -}}
{{- end -}}

{{- define "tresor.etcd.clientURLs" -}}
{{- $urls := list -}}
{{- range $i := until (int .Values.server.ha.raft.etcd.replicas) -}}
{{- $urls = append $urls (printf "http://%s:2379" (include "tresor.etcd.member" (dict "root" $ "i" $i))) -}}
{{- end -}}
{{- join "," $urls -}}
{{- end -}}

{{/* The listener the chart writes: plain HTTP, or TLS from server.tls.secretName. */}}
{{- define "tresor.listener" -}}
listener "tcp" {
  address = "0.0.0.0:8200"
  {{- if .cluster }}
  cluster_address = "0.0.0.0:8201"
  {{- end }}
  {{- if .root.Values.global.tlsDisable }}
  tls_disable = true
  {{- else }}
  {{- if not .root.Values.server.tls.secretName }}
  {{- fail "global.tlsDisable=false: set server.tls.secretName (a kubernetes.io/tls Secret), or give your own server config that names the certificate files" }}
  {{- end }}
  tls_cert_file = "/vault/tls/{{ .root.Values.server.tls.certName }}"
  tls_key_file = "/vault/tls/{{ .root.Values.server.tls.keyName }}"
  {{- end }}
}
{{- end -}}

{{/*
The server config as the chart would write it, before the user's own config is considered.
Only keys Tresor accepts: it refuses unknown ones at start (no service_registration).
disable_mlock because pods lack IPC_LOCK.
*/}}
{{- define "tresor.generatedConfig" -}}
{{- $mode := include "tresor.mode" . -}}
disable_mlock = true
{{ include "tresor.listener" (dict "root" . "cluster" (eq $mode "ha")) }}
{{- if eq $mode "standalone" }}
storage "sqlite" {
  path = "{{ .Values.server.dataStorage.mountPath }}/tresor.db"
}
{{- else if eq (include "tresor.haStorage" .) "etcd" }}
storage "etcd" {
  address    = "{{ include "tresor.etcd.clientURLs" . }}"
  etcd_api   = "v3"
  ha_enabled = "true"
  path       = "{{ .Values.server.ha.raft.etcd.path }}"
}
{{- else }}
{{- $pg := .Values.server.ha.postgresql }}
storage "postgresql" {
  {{- if $pg.connectionURL }}
  connection_url = {{ $pg.connectionURL | quote }}
  {{- end }}
  ha_enabled     = "true"
  table          = {{ $pg.table | quote }}
  ha_table       = {{ $pg.haTable | quote }}
}
{{- end }}
{{- if .Values.server.auditStorage.enabled }}
audit "file" "file" {
  file_path = "{{ .Values.server.auditStorage.mountPath }}/audit.log"
}
{{- end }}
{{- end -}}

{{/* The user's own config for this mode, or "" when the chart writes it. */}}
{{- define "tresor.userConfig" -}}
{{- $mode := include "tresor.mode" . -}}
{{- $c := "" -}}
{{- if eq $mode "standalone" -}}{{- $c = .Values.server.standalone.config -}}
{{- else if eq $mode "ha" -}}
{{- $storage := include "tresor.haStorage" . -}}
{{- if eq $storage "etcd" -}}{{- $c = .Values.server.ha.raft.config -}}
{{- else if eq $storage "config" -}}{{- $c = .Values.server.ha.config -}}
{{- end -}}
{{- end -}}
{{- if $c -}}
{{- if not (kindIs "string" $c) -}}
{{- fail "server config values must be HCL (or JSON) strings" -}}
{{- end -}}
{{- tpl $c . -}}
{{- end -}}
{{- end -}}

{{/*
A user's config that cannot work fails the install with the reason, instead of a pod that
crash-loops: HA on per-pod storage, keys Tresor refuses, vault-helm's shell placeholders.
*/}}
{{- define "tresor.checkUserConfig" -}}
{{- $user := .user -}}
{{- with .root -}}
{{- $perPod := or (regexMatch "(?m)^\\s*(storage|backend)\\s+\"(raft|file|sqlite|inmem)\"" $user) (regexMatch "\"(storage|backend)\"\\s*:\\s*\\{\\s*\"(raft|file|sqlite|inmem)\"" $user) -}}
{{- if and (eq (include "tresor.mode" .) "ha") $perPod -}}
{{- fail "the HA server config names per-pod storage (raft, file, sqlite or inmem): each replica would keep its own data. Tresor's HA needs shared storage: remove server.ha.raft.config to let the chart run etcd, or use storage \"postgresql\" or \"etcd\"." -}}
{{- end -}}
{{- /* Keys vault-helm's sample configs carry that Tresor refuses at start: say so at install instead. */ -}}
{{- range $key := list "service_registration" "ha_storage" -}}
{{- if regexMatch (printf "(?m)^\\s*\"?%s\"?\\s*[\"{:=]" $key) $user -}}
{{- fail (printf "the server config sets %s, which Tresor does not support and refuses at start: remove it from the config value" $key) -}}
{{- end -}}
{{- end -}}
{{- if regexMatch "(?m)^\\s*(storage|backend)\\s+\"consul\"" $user -}}
{{- fail "the server config uses storage \"consul\", which Tresor does not have: use server.ha.raft.enabled=true (the chart runs etcd) or server.ha.postgresql" -}}
{{- end -}}
{{- /* vault-helm's start-up script replaced these words with the pod's values; there is no shell here to do it. */ -}}
{{- with regexFind "\\b(HOST_IP|POD_IP|API_ADDR|TRANSIT_ADDR|RAFT_ADDR)\\b" $user -}}
{{- fail (printf "the server config uses the placeholder %s, which vault-helm's start-up script filled in; this chart's image has no shell to do so. Write the address (pods 0..n-1 are <fullname>-<i>.<fullname>-internal; each pod's api_addr and cluster_addr are set already, through VAULT_API_ADDR and VAULT_CLUSTER_ADDR)" .) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The config file the server reads: the user's (plus disable_mlock when it lacks one), or the chart's. */}}
{{- define "tresor.config" -}}
{{- $user := include "tresor.userConfig" . -}}
{{- if $user -}}
{{- include "tresor.checkUserConfig" (dict "user" $user "root" .) -}}
{{- $json := fromJson $user -}}
{{- if and $json (not (hasKey $json "Error")) -}}
{{- /* JSON config: add the key rather than append HCL to it. */ -}}
{{- if not (hasKey $json "disable_mlock") }}{{ $_ := set $json "disable_mlock" true }}{{ end -}}
{{- toPrettyJson $json -}}
{{- else -}}
{{- $user }}
{{- if not (regexMatch "(?m)^\\s*disable_mlock\\s*=" $user) }}

disable_mlock = true
{{- end }}
{{- end -}}
{{- else -}}
{{- include "tresor.generatedConfig" . -}}
{{- end -}}
{{- end -}}

{{/* A "string or YAML" value: a string goes through tpl, anything else through toYaml. */}}
{{- define "tresor.render" -}}
{{- if kindIs "string" .value -}}
{{- tpl .value .root -}}
{{- else if .value -}}
{{- toYaml .value -}}
{{- end -}}
{{- end -}}

{{/*
An affinity value, rendered as tresor.render does, or "" when there is none to render: as in
vault-helm, "", null, {} (and a template that renders to nothing or to {}) mean no affinity.
*/}}
{{- define "tresor.affinity" -}}
{{- $out := include "tresor.render" . | trim -}}
{{- if and $out (ne $out "{}") -}}{{ $out }}{{- end -}}
{{- end -}}

{{/* global.imagePullSecrets: names or {name: ...} maps, as vault-helm accepts. */}}
{{- define "tresor.imagePullSecrets" -}}
{{- range .Values.global.imagePullSecrets }}
- name: {{ if kindIs "string" . }}{{ . }}{{ else }}{{ .name }}{{ end }}
{{- end }}
{{- end -}}

{{/* extraEnvironmentVars: a map, keys upper-cased with "." replaced, as vault-helm does. */}}
{{- define "tresor.extraEnv" -}}
{{- range $k, $v := . }}
- name: {{ $k | upper | replace "." "_" }}
  value: {{ $v | toString | quote }}
{{- end }}
{{- end -}}

{{- define "tresor.serviceAccount.name" -}}
{{- if .Values.server.serviceAccount.create -}}
{{- default (include "tresor.fullname" .) .Values.server.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.server.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Where the injector and the in-cluster clients reach the server. */}}
{{- define "tresor.serverAddr" -}}
{{- if .Values.global.externalVaultAddr -}}
{{- .Values.global.externalVaultAddr -}}
{{- else -}}
{{- printf "%s://%s.%s.svc:%v" (include "tresor.scheme" .) (include "tresor.fullname" .) (include "tresor.namespace" .) .Values.server.service.port -}}
{{- end -}}
{{- end -}}

{{/* PDB maxUnavailable: ceil(n/2) - 1 keeps a majority of the replicas up, as vault-helm. */}}
{{- define "tresor.pdb.maxUnavailable" -}}
{{- $n := int (include "tresor.replicas" .) -}}
{{- if le $n 1 -}}0
{{- else if .Values.server.ha.disruptionBudget.maxUnavailable -}}{{ .Values.server.ha.disruptionBudget.maxUnavailable }}
{{- else -}}{{ sub (div (add $n 1) 2) 1 }}
{{- end -}}
{{- end -}}

{{/* One volumeClaimTemplates entry from a dataStorage-shaped value. */}}
{{- define "tresor.pvc" -}}
- apiVersion: v1
  kind: PersistentVolumeClaim
  metadata:
    name: {{ .name }}
    {{- with .spec.annotations }}
    annotations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with .spec.labels }}
    labels:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  spec:
    accessModes:
      - {{ .spec.accessMode | default "ReadWriteOnce" }}
    resources:
      requests:
        storage: {{ .spec.size }}
    {{- with .spec.storageClass }}
    storageClassName: {{ . }}
    {{- end }}
{{- end -}}

{{/*
vault-helm's helper names, for "string or YAML" values copied from a vault-helm values file:
its default affinity and objectSelector strings call {{ template "vault.name" . }}.
*/}}
{{- define "vault.name" -}}{{ include "tresor.name" . }}{{- end -}}
{{- define "vault.fullname" -}}{{ include "tresor.fullname" . }}{{- end -}}
{{- define "vault.chart" -}}{{ include "tresor.chart" . }}{{- end -}}
{{- define "vault.namespace" -}}{{ include "tresor.namespace" . }}{{- end -}}
