package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
)

// Error codes the proxy injects on its own.
const (
	CodeTooManyRequests    = "TooManyRequestsException"
	CodeResourceConflict   = "ResourceConflictException"
	CodePreconditionFailed = "PreconditionFailedException"
	CodeInvalidParameter   = "InvalidParameterValueException"
	CodeService            = "ServiceException"
	CodeResourceNotFound   = "ResourceNotFoundException"
	// CodeDropped is the InjectedByCode key of dropped connections.
	CodeDropped = "drop"
)

// defaultCode picks the Lambda error code that AWS sends with a status.
func defaultCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return CodeInvalidParameter
	case http.StatusNotFound:
		return CodeResourceNotFound
	case http.StatusConflict:
		return CodeResourceConflict
	case http.StatusPreconditionFailed:
		return CodePreconditionFailed
	case http.StatusTooManyRequests:
		return CodeTooManyRequests
	}
	if status >= 500 {
		return CodeService
	}
	return "UnknownError"
}

func defaultMessage(code string) string {
	switch code {
	case CodeTooManyRequests:
		return "Rate exceeded"
	case CodeResourceConflict:
		return "The operation cannot be performed at this time. An update is in progress for resource."
	case CodeService:
		return "An internal error occurred. Please try again."
	}
	return "Injected by testenv.FaultProxy"
}

// apiError is an error answer in the wire shape of the service that was
// called, so that the SDK deserializes it into its typed error.
type apiError struct {
	Status  int
	Code    string
	Message string
	Reason  string // TooManyRequestsException's Reason, e.g. CallerRateLimitExceeded
}

// protocol names the wire protocol of a request, which decides the error shape.
type protocol int

const (
	protoRestJSON protocol = iota // Lambda and other REST-JSON services
	protoRestXML                  // S3
	protoQuery                    // IAM, STS, CloudWatch (awsQuery)
	protoJSON                     // awsJson1.0/1.1 (CloudWatch Logs, ...)
	protoCBOR                     // rpcv2-CBOR (recent CloudWatch clients)
)

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// write sends e in the shape that the protocol's SDK deserializer reads.
//
// Lambda (REST-JSON): aws-sdk-go-v2 takes the code from the X-Amzn-ErrorType
// header first (then "__type"/"code" in the body) and fills the typed error's
// members from the body by their JSON names: "message", "Type", "Reason".
// That is the shape Lambda itself sends: {"Type":"User","message":"..."}.
func (e apiError) write(w http.ResponseWriter, p protocol) {
	h := w.Header()
	reqID := newRequestID()
	var body []byte
	switch p {
	case protoRestXML:
		h.Set("Content-Type", "application/xml")
		h.Set("X-Amz-Request-Id", reqID)
		type s3Error struct {
			XMLName   xml.Name `xml:"Error"`
			Code      string   `xml:"Code"`
			Message   string   `xml:"Message"`
			RequestID string   `xml:"RequestId"`
		}
		b, _ := xml.Marshal(s3Error{Code: e.Code, Message: e.Message, RequestID: reqID})
		body = append([]byte(xml.Header), b...)
	case protoQuery:
		h.Set("Content-Type", "text/xml")
		type queryError struct {
			Type    string `xml:"Type"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		}
		type errorResponse struct {
			XMLName   xml.Name   `xml:"ErrorResponse"`
			Error     queryError `xml:"Error"`
			RequestID string     `xml:"RequestId"`
		}
		typ := "Sender"
		if e.Status >= 500 {
			typ = "Receiver"
		}
		b, _ := xml.Marshal(errorResponse{Error: queryError{Type: typ, Code: e.Code, Message: e.Message}, RequestID: reqID})
		body = append([]byte(xml.Header), b...)
	case protoJSON:
		h.Set("Content-Type", "application/x-amz-json-1.1")
		h.Set("X-Amzn-ErrorType", e.Code)
		h.Set("X-Amzn-RequestId", reqID)
		body, _ = json.Marshal(map[string]string{"__type": e.Code, "message": e.Message})
	case protoCBOR:
		h.Set("Content-Type", "application/cbor")
		h.Set("Smithy-Protocol", "rpc-v2-cbor")
		h.Set("X-Amzn-RequestId", reqID)
		body = cborStringMap([][2]string{{"__type", e.Code}, {"message", e.Message}})
	default:
		h.Set("Content-Type", "application/json")
		h.Set("X-Amzn-ErrorType", e.Code)
		h.Set("X-Amzn-RequestId", reqID)
		typ := "User"
		if e.Status >= 500 {
			typ = "Service"
		}
		// Field order as Lambda sends it; Reason only for throttling.
		type lambdaError struct {
			Reason  string `json:"Reason,omitempty"`
			Type    string `json:"Type"`
			Message string `json:"message"`
		}
		body, _ = json.Marshal(lambdaError{Reason: e.Reason, Type: typ, Message: e.Message})
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

// cborStringMap encodes a CBOR map of text strings, enough for an rpcv2
// error body.
func cborStringMap(kv [][2]string) []byte {
	b := cborHead(nil, 5, len(kv))
	for _, p := range kv {
		for _, s := range p {
			b = cborHead(b, 3, len(s))
			b = append(b, s...)
		}
	}
	return b
}

func cborHead(b []byte, major byte, n int) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(b, m|byte(n))
	case n < 1<<8:
		return append(b, m|24, byte(n))
	case n < 1<<16:
		return append(b, m|25, byte(n>>8), byte(n))
	default:
		return append(b, m|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}
