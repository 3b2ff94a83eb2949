package plan

import (
	"strings"
)

// LayerRecord is what the layer cache knows of a dependency fingerprint:
// the layer version published from the zip built for it. It is kept in
// the artifacts bucket (<prefix>/deps/<fingerprint>/layer.json) or, without
// one, in the state; plain values, so that the planner folds it into a
// plan without knowing S3.
type LayerRecord struct {
	DepsFingerprint string   `json:"deps_fingerprint"`
	LayerName       string   `json:"layer_name"`
	LayerVersionArn string   `json:"layer_version_arn"`
	Version         int64    `json:"version"`
	Runtimes        []string `json:"compatible_runtimes,omitempty"`
	Architectures   []string `json:"compatible_architectures,omitempty"`
	Zip             string   `json:"zip,omitempty"` // s3://bucket/key of layer.zip, "" when uploaded directly
	ZipSha256       string   `json:"zip_sha256,omitempty"`
	UnzippedSize    int64    `json:"unzipped_size"`
	Builder         string   `json:"builder,omitempty"`
	Image           string   `json:"image,omitempty"`
	PublishedAt     string   `json:"published_at,omitempty"` // RFC 3339
	Files           []string `json:"files,omitempty"`        // the descriptor and what it includes
}

// layerPrefix starts the name of every layer lambdas publishes.
const layerPrefix = "lambdas-"

// LayerName is the layer lambdas publishes a project's dependency layers
// to: one per runtime and architecture, "lambdas-<project>-deps-<runtime>-<arch>"
// with dots made dashes (python3.12 → python3-12). Versions of one name
// hold different descriptors; the description of each names its
// fingerprint. A function's layers whose names start with
// LayerNamePrefix(project) are this tool's: attach-layer replaces them and
// leaves every other layer in its place.
func LayerName(project, runtime, arch string) string {
	return LayerNamePrefix(project) + sanitizeLayer(runtime) + "-" + sanitizeLayer(arch)
}

// LayerNamePrefix is what every layer name of the project starts with.
func LayerNamePrefix(project string) string {
	return layerPrefix + sanitizeLayer(project) + "-deps-"
}

func sanitizeLayer(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

// LayerArnName is the layer name of a layer version ARN
// (arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION), "" when it is not one.
func LayerArnName(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) == 8 && parts[0] == "arn" && parts[5] == "layer" {
		return parts[6]
	}
	return ""
}

// IsOwnLayer reports whether a layer version ARN is one of the project's
// dependency layers.
func IsOwnLayer(project, arn string) bool {
	return strings.HasPrefix(LayerArnName(arn), LayerNamePrefix(project))
}
