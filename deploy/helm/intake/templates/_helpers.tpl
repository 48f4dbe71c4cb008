{{/* The release's base name, at most 63 characters. */}}
{{- define "intake.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Selector labels of one component (serve, worker, migrate). */}}
{{- define "intake.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "intake.labels" -}}
{{ include "intake.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "intake.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* An env var from one of values.secrets: (list "NAME" .Values.secrets.x). */}}
{{- define "intake.secretEnv" -}}
{{- $name := index . 0 -}}
{{- $ref := index . 1 -}}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ required (printf "secrets: a Secret name for %s" $name) $ref.name }}
      key: {{ $ref.key }}
{{- end -}}

{{/* What serve and worker both read: database, Temporal, encryption, logs. */}}
{{- define "intake.commonEnv" -}}
{{ include "intake.secretEnv" (list "DATABASE_URL" .Values.secrets.databaseURL) }}
{{ include "intake.secretEnv" (list "INTAKE_ENCRYPTION_KEYS" .Values.secrets.encryptionKeys) }}
- name: TEMPORAL_ADDRESS
  value: {{ required "temporal.address" .Values.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
{{- with .Values.temporal.apiKey }}
{{- if .secretName }}
- name: TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{- with .Values.temporal.tls }}
{{- if .enabled }}
- name: TEMPORAL_TLS
  value: "true"
{{- if .certKey }}
- name: TEMPORAL_TLS_CLIENT_CERT_PATH
  value: {{ printf "%s/%s" .mountPath .certKey | quote }}
{{- end }}
{{- if .keyKey }}
- name: TEMPORAL_TLS_CLIENT_KEY_PATH
  value: {{ printf "%s/%s" .mountPath .keyKey | quote }}
{{- end }}
{{- if .caKey }}
- name: TEMPORAL_TLS_SERVER_CA_CERT_PATH
  value: {{ printf "%s/%s" .mountPath .caKey | quote }}
{{- end }}
{{- if .serverName }}
- name: TEMPORAL_TLS_SERVER_NAME
  value: {{ .serverName | quote }}
{{- end }}
{{- end }}
{{- end }}
- name: INTAKE_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: INTAKE_LOG_FORMAT
  value: {{ .Values.logFormat | quote }}
{{- end -}}

{{/* Volumes of serve and worker: a writable /tmp, and Temporal's TLS files. */}}
{{- define "intake.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- with .Values.temporal.tls }}
{{- if .enabled }}
- name: temporal-tls
  secret:
    secretName: {{ required "temporal.tls.secretName" .secretName }}
    defaultMode: 0440
{{- end }}
{{- end }}
{{- end -}}

{{- define "intake.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- with .Values.temporal.tls }}
{{- if .enabled }}
- name: temporal-tls
  mountPath: {{ .mountPath }}
  readOnly: true
{{- end }}
{{- end }}
{{- end -}}

{{/* Pod-level settings every pod of the chart shares. */}}
{{- define "intake.podSpec" -}}
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
