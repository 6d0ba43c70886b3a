{{/* Names, labels and shared fragments. */}}

{{- define "sf.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sf.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "sf.enforcer.fullname" -}}
{{- printf "%s-enforcer" (include "sf.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sf.controlPlane.fullname" -}}
{{- printf "%s-control-plane" (include "sf.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sf.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sf.labels" -}}
helm.sh/chart: {{ include "sf.chart" . }}
app.kubernetes.io/name: {{ include "sf.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ include "sf.imageTag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: signal-factory
{{- end -}}

{{/* Selector labels; call with (dict "ctx" $ "component" "enforcer"). */}}
{{- define "sf.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sf.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "sf.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag -}}
{{- end -}}

{{- define "sf.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (include "sf.imageTag" .) -}}
{{- end -}}
{{- end -}}

{{- define "sf.enforcer.serviceAccountName" -}}
{{- if .Values.enforcer.serviceAccount.create -}}
{{- default (include "sf.enforcer.fullname" .) .Values.enforcer.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.enforcer.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "sf.controlPlane.serviceAccountName" -}}
{{- if .Values.controlPlane.serviceAccount.create -}}
{{- default (include "sf.controlPlane.fullname" .) .Values.controlPlane.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.controlPlane.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The consumer group actually used: a canary gets its own group (design 8.3). */}}
{{- define "sf.enforcer.groupId" -}}
{{- if eq .Values.enforcer.track "canary" -}}
{{- printf "%s%s" .Values.enforcer.groupId .Values.canary.groupIdSuffix -}}
{{- else -}}
{{- .Values.enforcer.groupId -}}
{{- end -}}
{{- end -}}

{{- define "sf.enforcer.controlPlaneUrl" -}}
{{- if .Values.enforcer.controlPlaneUrl -}}
{{- .Values.enforcer.controlPlaneUrl -}}
{{- else -}}
{{- printf "http://%s.%s.svc.cluster.local:%v" (include "sf.controlPlane.fullname" .) .Release.Namespace .Values.controlPlane.service.port -}}
{{- end -}}
{{- end -}}

{{/* Topics for the KEDA triggers: explicit list, else enforcer.topics split on commas. */}}
{{- define "sf.enforcer.scalerTopics" -}}
{{- $topics := .Values.enforcer.autoscaling.keda.topics -}}
{{- if not $topics -}}
{{- $topics = splitList "," .Values.enforcer.topics -}}
{{- end -}}
{{- range $topics }}{{ trim . }}
{{ end -}}
{{- end -}}

{{- define "sf.terminationGracePeriodSeconds" -}}
{{- $s := .Values.shutdown -}}
{{- $min := add (div (add (int $s.deadlineMs) 999) 1000) (int $s.preStopSleepSeconds) -}}
{{- if $s.terminationGracePeriodSeconds -}}
{{- if le (int $s.terminationGracePeriodSeconds) (int $min) -}}
{{- fail (printf "shutdown.terminationGracePeriodSeconds (%v) must be above preStopSleepSeconds + deadlineMs/1000 (%v)" $s.terminationGracePeriodSeconds $min) -}}
{{- end -}}
{{- $s.terminationGracePeriodSeconds -}}
{{- else -}}
{{- add $min (int $s.marginSeconds) -}}
{{- end -}}
{{- end -}}

{{/* OTEL_* and shared SF_* entries of a ConfigMap; call with (dict "ctx" $ "service" "name"). */}}
{{- define "sf.commonConfig" -}}
{{- $v := .ctx.Values -}}
SF_KAFKA_BROKERS: {{ $v.kafka.brokers | quote }}
SF_KAFKA_AUTH: {{ $v.kafka.auth.mode | quote }}
SF_GLUE_REGISTRY: {{ $v.glue.registry | quote }}
SF_LOG_LEVEL: {{ $v.logLevel | quote }}
SF_SHUTDOWN_DEADLINE_MS: {{ $v.shutdown.deadlineMs | quote }}
AWS_REGION: {{ $v.aws.region | quote }}
AWS_STS_REGIONAL_ENDPOINTS: "regional"
OTEL_SERVICE_NAME: {{ .service | quote }}
{{- $attrs := printf "service.namespace=signal-factory,service.version=%s,deployment.environment=%s,k8s.namespace.name=%s" (include "sf.imageTag" .ctx) $v.telemetry.environment .ctx.Release.Namespace }}
{{- if $v.telemetry.resourceAttributes }}
{{- $attrs = printf "%s,%s" $attrs $v.telemetry.resourceAttributes }}
{{- end }}
OTEL_RESOURCE_ATTRIBUTES: {{ $attrs | quote }}
{{- if $v.telemetry.otlp.endpoint }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ $v.telemetry.otlp.endpoint | quote }}
OTEL_EXPORTER_OTLP_PROTOCOL: {{ $v.telemetry.otlp.protocol | quote }}
OTEL_TRACES_EXPORTER: "otlp"
{{- else }}
OTEL_TRACES_EXPORTER: "none"
{{- end }}
{{- end -}}

{{/* Kafka SCRAM credentials from the existing Secret. */}}
{{- define "sf.kafkaSecretEnv" -}}
{{- $a := .Values.kafka.auth -}}
{{- if eq $a.mode "scram-sha-512" }}
- name: SF_KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ required "kafka.auth.scram.existingSecret is required when kafka.auth.mode=scram-sha-512" $a.scram.existingSecret }}
      key: {{ $a.scram.usernameKey }}
- name: SF_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $a.scram.existingSecret }}
      key: {{ $a.scram.passwordKey }}
{{- end }}
{{- end -}}

{{/* Pod-level pieces shared by both Deployments. */}}
{{- define "sf.podSecurity" -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{- define "sf.preStop" -}}
lifecycle:
  preStop:
    exec:
      command: ["/bin/sleep", "{{ .Values.shutdown.preStopSleepSeconds }}"]
{{- end -}}

{{- define "sf.tmpVolume" -}}
- name: tmp
  emptyDir:
    medium: ""
    sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
{{- end -}}

{{/* NetworkPolicy egress rules shared by both components. */}}
{{- define "sf.egress.dns" -}}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ .Values.networkPolicy.dns.namespace }}
      podSelector:
        matchLabels:
          {{- toYaml .Values.networkPolicy.dns.podSelector | nindent 10 }}
  ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
{{- end -}}

{{- define "sf.egress.cidrs" -}}
{{- if not .cidrs }}{{ fail (printf "networkPolicy.%s.cidrs must not be empty (an empty 'to' allows every destination)" .name) }}{{ end -}}
{{- if not .ports }}{{ fail (printf "networkPolicy.%s.ports must not be empty" .name) }}{{ end -}}
- to:
    {{- range .cidrs }}
    {{- if or (eq . "0.0.0.0/0") (eq . "::/0") }}{{ fail (printf "networkPolicy.%s.cidrs: %s is not a restriction" $.name .) }}{{ end }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  ports:
    {{- range .ports }}
    - protocol: TCP
      port: {{ . }}
    {{- end }}
{{- end -}}

{{- define "sf.egress.otlp" -}}
{{- $o := .Values.networkPolicy.otlp -}}
{{- if .Values.telemetry.otlp.endpoint -}}
{{- if not $o.to }}{{ fail "networkPolicy.otlp.to must list the collector's peers when telemetry.otlp.endpoint is set" }}{{ end -}}
- to:
    {{- toYaml $o.to | nindent 4 }}
  ports:
    {{- range $o.ports }}
    - protocol: TCP
      port: {{ . }}
    {{- end }}
{{- end -}}
{{- end -}}
