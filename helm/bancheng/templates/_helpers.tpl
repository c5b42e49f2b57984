{{/* Names, labels, the image and the environment shared by every pod of the chart. */}}

{{- define "bancheng.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's name, unless it already contains the chart's: "bancheng" or "prod-bancheng". */}}
{{- define "bancheng.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "bancheng.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "web"). */}}
{{- define "bancheng.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bancheng.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* All labels of one component: (dict "root" $ "component" "web"). */}}
{{- define "bancheng.labels" -}}
{{ include "bancheng.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: bancheng
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "bancheng.chart" .root }}
{{- end -}}

{{- define "bancheng.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The ConfigMap's data, also written by the migration hook's own ConfigMap. */}}
{{- define "bancheng.configData" -}}
DJANGO_ENV: "production"
BASE_DOMAIN: {{ .Values.baseDomain | quote }}
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
LOG_FORMAT: {{ .Values.config.logFormat | quote }}
SMS_PROVIDER: {{ .Values.config.smsProvider | quote }}
EMAIL_PROVIDER: {{ .Values.config.emailProvider | quote }}
SENTRY_ENVIRONMENT: {{ .Values.config.sentryEnvironment | quote }}
METRICS_ALLOWED_CIDRS: {{ .Values.config.metricsAllowedCidrs | quote }}
TRUSTED_PROXIES: {{ .Values.config.trustedProxies | quote }}
REQUEST_BODY_MAX_BYTES: {{ .Values.config.requestBodyMaxBytes | int | quote }}
UPLOAD_BODY_MAX_BYTES: {{ .Values.config.uploadBodyMaxBytes | int | quote }}
{{- range $name, $value := .Values.config.extraEnv }}
{{ $name }}: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/* Environment variables from the existing Secrets named in .Values.secrets. */}}
{{- define "bancheng.secretEnv" -}}
{{- $secrets := .Values.secrets -}}
{{- $variables := dict "DJANGO_SECRET_KEY" $secrets.djangoSecretKey "DATABASE_URL" $secrets.databaseUrl "REDIS_URL" $secrets.redisUrl "FIELD_ENCRYPTION_KEYS" $secrets.fieldEncryptionKeys "BLIND_INDEX_KEY" $secrets.blindIndexKey "SENTRY_DSN" $secrets.sentryDsn "TENCENTCLOUD_SECRET_ID" $secrets.tencentCloudSecretId "TENCENTCLOUD_SECRET_KEY" $secrets.tencentCloudSecretKey "EMAIL_HOST_PASSWORD" $secrets.emailHostPassword "METRICS_TOKEN" $secrets.metricsToken -}}
{{- range $variable, $ref := $variables }}
{{- if $ref.name }}
- name: {{ $variable }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.name }}
      key: {{ $ref.key }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Pod-level settings shared by every pod. */}}
{{- define "bancheng.podCommon" -}}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The root file system is read-only: /tmp is a pod-local emptyDir. */}}
{{- define "bancheng.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- end -}}

{{- define "bancheng.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}
