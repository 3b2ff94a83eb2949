// audit-go: turn a DynamoDB stream (the orders table's, say) into an audit
// trail: one JSON line per changed item, saying who changed what from which
// value to which, for CloudWatch Logs to keep and Logs Insights to query.
//
// The stream must carry both images (StreamViewType NEW_AND_OLD_IMAGES);
// records that cannot be audited are reported in batchItemFailures, so that
// with ReportBatchItemFailures enabled on the event source mapping Lambda
// retries from the first of them instead of the whole batch.
//
// Built by lambdas' go preset (build { preset = "go" }): a static
// bootstrap for provided.al2023, built with -tags lambda.norpc.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	a := &Auditor{Ignore: ParseIgnore(os.Getenv("AUDIT_IGNORE")), Out: os.Stdout}
	lambda.Start(a.Handle)
}
