package testenv

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// reqInfo is what the proxy knows about a request before forwarding it.
type reqInfo struct {
	service   string // SigV4 scope service: lambda, s3, iam, monitoring, logs, sts...
	region    string
	operation string // "" when not recognised
	function  string // Lambda function name (ARNs and name:qualifier reduced)
	qualifier string
	layer     string
	alias     string // from the path (GetAlias, UpdateAlias, DeleteAlias)
	mutating  bool
	bucket    string // quota bucket, QuotaBucket(service, operation)
	proto     protocol

	// before is set for PublishVersion while versions are made Pending: the
	// version numbers moto had before it (nil if that lookup failed).
	before map[string]bool
}

// maxInspectBody bounds the request bodies the proxy reads to classify or
// check a request. CreateFunction with an inline zip is the big one (AWS
// refuses requests above about 70 MB).
const maxInspectBody = 80 << 20

// classify works out service, operation and function of r. It reads the body
// only of the few requests whose body names the operation or the function
// (query-protocol Action, CreateFunction's FunctionName) or that strict mode
// checks, and puts it back for forwarding.
func classify(r *http.Request) reqInfo {
	var info reqInfo
	info.region, info.service = credentialScope(r)
	switch {
	case strings.EqualFold(r.Header.Get("Smithy-Protocol"), "rpc-v2-cbor"):
		info.proto = protoCBOR
		if i := strings.LastIndex(r.URL.Path, "/operation/"); i >= 0 {
			info.operation = r.URL.Path[i+len("/operation/"):]
		}
	case r.Header.Get("X-Amz-Target") != "":
		info.proto = protoJSON
		t := r.Header.Get("X-Amz-Target")
		info.operation = t[strings.LastIndex(t, ".")+1:]
	case info.service == "lambda":
		info.proto = protoRestJSON
		classifyLambda(r, &info)
	case info.service == "s3":
		info.proto = protoRestXML
		info.operation = s3Operation(r)
	case isForm(r) || r.URL.Query().Get("Action") != "":
		info.proto = protoQuery
		info.operation = r.URL.Query().Get("Action")
		if info.operation == "" && isForm(r) {
			if body, ok := readBody(r, 1<<20); ok {
				if v, err := url.ParseQuery(string(body)); err == nil {
					info.operation = v.Get("Action")
				}
			}
		}
	}
	info.bucket = QuotaBucket(info.service, info.operation)
	return info
}

func isForm(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/x-www-form-urlencoded"
}

// credentialScope reads region and service from the SigV4 credential scope
// (AKID/DATE/REGION/SERVICE/aws4_request), in the Authorization header or, for
// presigned URLs, the X-Amz-Credential query parameter.
func credentialScope(r *http.Request) (region, service string) {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if auth := r.Header.Get("Authorization"); auth != "" {
		if i := strings.Index(auth, "Credential="); i >= 0 {
			cred = auth[i+len("Credential="):]
			if j := strings.IndexAny(cred, ", "); j >= 0 {
				cred = cred[:j]
			}
		}
	}
	parts := strings.Split(cred, "/")
	if len(parts) < 5 || parts[len(parts)-1] != "aws4_request" {
		return "", ""
	}
	return parts[len(parts)-3], parts[len(parts)-2]
}

// pathSegments splits the escaped path and unescapes each segment, so that an
// ARN sent as arn%3Aaws%3Alambda... stays one segment.
func pathSegments(u *url.URL) []string {
	p := strings.Trim(u.EscapedPath(), "/")
	if p == "" {
		return nil
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if v, err := url.PathUnescape(s); err == nil {
			segs[i] = v
		}
	}
	return segs
}

// lambdaOps maps (first path segment after the function name, method) to the
// operation, for /VERSION/functions/NAME/SUB[/...].
var lambdaFunctionOps = map[string]map[string]string{
	"":                               {"GET": "GetFunction", "DELETE": "DeleteFunction"},
	"code":                           {"PUT": "UpdateFunctionCode"},
	"configuration":                  {"GET": "GetFunctionConfiguration", "PUT": "UpdateFunctionConfiguration"},
	"versions":                       {"POST": "PublishVersion", "GET": "ListVersionsByFunction"},
	"aliases":                        {"POST": "CreateAlias", "GET": "ListAliases"},
	"aliases/":                       {"GET": "GetAlias", "PUT": "UpdateAlias", "DELETE": "DeleteAlias"},
	"invocations":                    {"POST": "Invoke"},
	"invoke-async":                   {"POST": "InvokeAsync"},
	"response-streaming-invocations": {"POST": "InvokeWithResponseStream"},
	"policy":                         {"GET": "GetPolicy", "POST": "AddPermission"},
	"policy/":                        {"DELETE": "RemovePermission"},
	"concurrency":                    {"GET": "GetFunctionConcurrency", "PUT": "PutFunctionConcurrency", "DELETE": "DeleteFunctionConcurrency"},
	"url":                            {"GET": "GetFunctionUrlConfig", "POST": "CreateFunctionUrlConfig", "PUT": "UpdateFunctionUrlConfig", "DELETE": "DeleteFunctionUrlConfig"},
	"event-invoke-config":            {"GET": "GetFunctionEventInvokeConfig", "PUT": "PutFunctionEventInvokeConfig", "POST": "UpdateFunctionEventInvokeConfig", "DELETE": "DeleteFunctionEventInvokeConfig"},
	"event-invoke-config/":           {"GET": "ListFunctionEventInvokeConfigs"},
	"code-signing-config":            {"GET": "GetFunctionCodeSigningConfig", "PUT": "PutFunctionCodeSigningConfig", "DELETE": "DeleteFunctionCodeSigningConfig"},
	"provisioned-concurrency":        {"GET": "GetProvisionedConcurrencyConfig", "PUT": "PutProvisionedConcurrencyConfig", "DELETE": "DeleteProvisionedConcurrencyConfig"},
	"recursion-config":               {"GET": "GetFunctionRecursionConfig", "PUT": "PutFunctionRecursionConfig"},
	"runtime-management-config":      {"GET": "GetRuntimeManagementConfig", "PUT": "PutRuntimeManagementConfig"},
	"scaling-config":                 {"GET": "GetFunctionScalingConfig", "PUT": "PutFunctionScalingConfig"},
}

var lambdaLayerOps = map[string]map[string]string{
	"":                 {"GET": "ListLayers"},
	"versions":         {"POST": "PublishLayerVersion", "GET": "ListLayerVersions"},
	"versions/":        {"GET": "GetLayerVersion", "DELETE": "DeleteLayerVersion"},
	"versions/policy":  {"GET": "GetLayerVersionPolicy", "POST": "AddLayerVersionPermission"},
	"versions/policy/": {"DELETE": "RemoveLayerVersionPermission"},
}

func classifyLambda(r *http.Request, info *reqInfo) {
	segs := pathSegments(r.URL)
	m := r.Method
	info.qualifier = r.URL.Query().Get("Qualifier")
	if len(segs) >= 2 {
		switch segs[1] {
		case "functions":
			if len(segs) == 2 {
				info.operation = map[string]string{"GET": "ListFunctions", "POST": "CreateFunction"}[m]
				if info.operation == "CreateFunction" {
					// The name is only in the body.
					if body, ok := readBody(r, maxInspectBody); ok {
						var in struct{ FunctionName string }
						if json.Unmarshal(body, &in) == nil {
							info.function, _ = splitFunction(in.FunctionName)
						}
					}
				}
				break
			}
			name, q := splitFunction(segs[2])
			info.function = name
			if info.qualifier == "" {
				info.qualifier = q
			}
			sub := ""
			if len(segs) > 3 {
				sub = segs[3]
				if len(segs) > 4 {
					sub += "/"
					if sub == "aliases/" {
						info.alias = segs[4]
					}
				}
			}
			info.operation = lambdaFunctionOps[sub][m]
		case "layers":
			sub := ""
			if len(segs) > 2 {
				info.layer = segs[2]
			}
			switch {
			case len(segs) == 4:
				sub = segs[3]
			case len(segs) == 5:
				sub = segs[3] + "/"
			case len(segs) == 6:
				sub = segs[3] + "/" + segs[5]
			case len(segs) > 6:
				sub = segs[3] + "/" + segs[5] + "/"
			}
			if len(segs) == 3 {
				sub = "?" // GET /layers/NAME is not an operation
			}
			info.operation = lambdaLayerOps[sub][m]
		case "tags":
			info.operation = map[string]string{"GET": "ListTags", "POST": "TagResource", "DELETE": "UntagResource"}[m]
			if len(segs) > 2 {
				info.function, _ = splitFunction(strings.Join(segs[2:], "/"))
			}
		case "event-source-mappings":
			if len(segs) == 2 {
				info.operation = map[string]string{"GET": "ListEventSourceMappings", "POST": "CreateEventSourceMapping"}[m]
			} else {
				info.operation = map[string]string{"GET": "GetEventSourceMapping", "PUT": "UpdateEventSourceMapping", "DELETE": "DeleteEventSourceMapping"}[m]
			}
		case "account-settings":
			info.operation = "GetAccountSettings"
		}
	}
	switch info.operation {
	case "Invoke", "InvokeAsync", "InvokeWithResponseStream":
	default:
		info.mutating = m != http.MethodGet && m != http.MethodHead
	}
}

// splitFunction reduces the forms Lambda accepts for FunctionName to the
// function's name and qualifier: NAME, NAME:QUAL, ACCOUNT:function:NAME[:QUAL],
// arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUAL].
func splitFunction(s string) (name, qualifier string) {
	parts := strings.Split(s, ":")
	if len(parts) >= 7 && parts[0] == "arn" && parts[5] == "function" {
		name = parts[6]
		if len(parts) > 7 {
			qualifier = parts[7]
		}
		return name, qualifier
	}
	if len(parts) >= 3 && parts[1] == "function" {
		name = parts[2]
		if len(parts) > 3 {
			qualifier = parts[3]
		}
		return name, qualifier
	}
	if len(parts) == 2 {
		return parts[0], parts[1]
	}
	return s, ""
}

// s3Operation names the common S3 operations of a path-style request; others
// get "".
func s3Operation(r *http.Request) string {
	segs := strings.SplitN(strings.Trim(r.URL.Path, "/"), "/", 2)
	q := r.URL.Query()
	switch {
	case segs[0] == "":
		if r.Method == http.MethodGet {
			return "ListBuckets"
		}
	case len(segs) == 1:
		switch r.Method {
		case http.MethodPut:
			if len(q) == 0 {
				return "CreateBucket"
			}
		case http.MethodDelete:
			if len(q) == 0 {
				return "DeleteBucket"
			}
		case http.MethodHead:
			return "HeadBucket"
		case http.MethodPost:
			if q.Has("delete") {
				return "DeleteObjects"
			}
		case http.MethodGet:
			if q.Get("list-type") == "2" {
				return "ListObjectsV2"
			}
			if q.Has("versions") {
				return "ListObjectVersions"
			}
			if q.Has("location") {
				return "GetBucketLocation"
			}
			if !q.Has("acl") && !q.Has("policy") && !q.Has("versioning") && !q.Has("tagging") {
				return "ListObjects"
			}
		}
	default:
		switch r.Method {
		case http.MethodPut:
			switch {
			case q.Has("uploadId"):
				return "UploadPart"
			case r.Header.Get("X-Amz-Copy-Source") != "":
				return "CopyObject"
			case q.Has("tagging"):
				return "PutObjectTagging"
			case len(q) == 0 || q.Has("x-id"):
				return "PutObject"
			}
		case http.MethodGet:
			if q.Has("uploadId") {
				return "ListParts"
			}
			if !q.Has("tagging") && !q.Has("acl") {
				return "GetObject"
			}
		case http.MethodHead:
			return "HeadObject"
		case http.MethodDelete:
			if q.Has("uploadId") {
				return "AbortMultipartUpload"
			}
			return "DeleteObject"
		case http.MethodPost:
			if q.Has("uploads") {
				return "CreateMultipartUpload"
			}
			if q.Has("uploadId") {
				return "CompleteMultipartUpload"
			}
		}
	}
	return ""
}

// readBody reads the whole body if it is at most limit bytes, and puts it
// back so the request can still be forwarded. A body over the limit is put
// back unread (ok = false).
func readBody(r *http.Request, limit int64) (body []byte, ok bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true
	}
	if r.ContentLength > limit {
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil || int64(len(b)) > limit {
		// Put back what was read in front of the rest.
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
		return nil, false
	}
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	return b, true
}
