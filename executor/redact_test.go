package executor

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func TestRedactValues(t *testing.T) {
	cause := &types.InvalidParameterValueException{Message: strPtr("bad value tok-123456 for API_TOKEN")}
	err := redactValues(cause, map[string]string{"API_TOKEN": "tok-123456", "EMPTY": ""})
	if got := err.Error(); got != "InvalidParameterValueException: bad value (redacted) for API_TOKEN" {
		t.Errorf("Error() = %q", got)
	}
	var ipv *types.InvalidParameterValueException
	if !errors.As(err, &ipv) {
		t.Errorf("the redacted error lost its type")
	}
	plain := errors.New("throttled")
	if redactValues(plain, map[string]string{"A": "tok-123456"}) != plain {
		t.Errorf("an error without the values was wrapped")
	}
	if redactValues(nil, nil) != nil {
		t.Errorf("nil became an error")
	}
}

func strPtr(s string) *string { return &s }
