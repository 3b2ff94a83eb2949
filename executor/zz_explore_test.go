package executor

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

func TestZZExplore(t *testing.T) {
	for _, status := range []int{429, 409, 500, 400, 0} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if status == 0 {
				<-r.Context().Done()
				return
			}
			w.Header().Set("X-Amzn-ErrorType", map[int]string{429: "TooManyRequestsException", 409: "ResourceConflictException", 500: "ServiceException", 400: "InvalidParameterValueException"}[status])
			w.WriteHeader(status)
			fmt.Fprint(w, `{"message":"x"}`)
		}))
		c := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{}, Retryer: aws.NopRetryer{}})
		ctx, cancel := context.WithCancel(context.Background())
		if status == 0 {
			go func() { time.Sleep(100 * time.Millisecond); cancel() }()
		}
		_, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("f")})
		fmt.Printf("%d: %T %v => class %d\n", status, err, err, classify(err))
		cancel()
		ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
		if status == 0 {
			_, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("f")})
			fmt.Printf("deadline: %T %v => class %d\n", err, err, classify(err))
		}
		cancel()
		srv.Close()
	}
	fmt.Println(classify(context.DeadlineExceeded), classify(context.Canceled))
}
