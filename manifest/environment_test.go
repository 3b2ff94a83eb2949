package manifest

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const envManifest = `
variable "env" { default = "dev" }
variable "bucket" { default = "shop-lambdas" }

project {
  name   = "shop"
  region = "eu-west-1"
  state  = ".lambdas/${var.env}.json"
}

environment "qa" {
  state     = "s3://${var.bucket}/qa/state.json"
  variables = { env = "qa" }
  release { branch = "main" }
}

environment "prod" {
  region             = "us-east-1"
  artifacts          = "s3://shop-artifacts-prod/lambdas"
  state              = "s3://${var.bucket}/prod/state.json"
  state_region       = "eu-central-1"
  state_kms_key      = "alias/lambdas-state"
  state_bucket_owner = "123456789012"
  variables          = { env = "prod" }
  release { tag = "v*" }
}

function "orders-api" {
  function_name = "${var.env}-orders-api"
  source        = "functions/orders-api"
  runtime       = "python3.12"
  handler       = "app.handler"
}
`

func TestEnvironments(t *testing.T) {
	type result struct {
		Environment  string
		Environments []string
		Project      Project
		Name         string
	}
	ignore := cmpopts.IgnoreFields(Project{}, "Name", "APIRateLimit", "GetFunctionRateLimit")
	tests := []struct {
		name string
		opts Options
		want func(repo string) result
	}{
		{name: "no environment chosen: the project block", want: func(repo string) result {
			return result{Environments: []string{"qa", "prod"}, Name: "dev-orders-api",
				Project: Project{Region: "eu-west-1", StateFile: filepath.Join(repo, ".lambdas", "dev.json")}}
		}},
		{name: "qa", opts: Options{Environment: "qa"}, want: func(string) result {
			return result{Environment: "qa", Environments: []string{"qa", "prod"}, Name: "qa-orders-api",
				Project: Project{Region: "eu-west-1", StateS3: &S3Location{Bucket: "shop-lambdas", Prefix: "qa/state.json"},
					Release: &ReleaseRule{Branch: "main", Where: `environment "qa"`}}}
		}},
		{name: "prod", opts: Options{Environment: "prod"}, want: func(string) result {
			return result{Environment: "prod", Environments: []string{"qa", "prod"}, Name: "prod-orders-api",
				Project: Project{Region: "us-east-1", Artifacts: &S3Location{Bucket: "shop-artifacts-prod", Prefix: "lambdas"},
					StateS3:     &S3Location{Bucket: "shop-lambdas", Prefix: "prod/state.json"},
					StateRegion: "eu-central-1", StateKMSKey: "alias/lambdas-state", StateBucketOwner: "123456789012",
					Release: &ReleaseRule{Tag: "v*", Where: `environment "prod"`}}}
		}},
		{name: "LAMBDAS_VAR_ beats the environment's variables", opts: Options{Environment: "prod", LookupEnv: fakeEnv(map[string]string{"LAMBDAS_VAR_env": "staging"})},
			want: func(string) result {
				return result{Environment: "prod", Environments: []string{"qa", "prod"}, Name: "staging-orders-api",
					Project: Project{Region: "us-east-1", Artifacts: &S3Location{Bucket: "shop-artifacts-prod", Prefix: "lambdas"},
						StateS3:     &S3Location{Bucket: "shop-lambdas", Prefix: "prod/state.json"},
						StateRegion: "eu-central-1", StateKMSKey: "alias/lambdas-state", StateBucketOwner: "123456789012",
						Release: &ReleaseRule{Tag: "v*", Where: `environment "prod"`}}}
			}},
		{name: "--var beats both", opts: Options{Environment: "qa", Vars: map[string]string{"env": "qa2", "bucket": "other"}}, want: func(string) result {
			return result{Environment: "qa", Environments: []string{"qa", "prod"}, Name: "qa2-orders-api",
				Project: Project{Region: "eu-west-1", StateS3: &S3Location{Bucket: "other", Prefix: "qa/state.json"},
					Release: &ReleaseRule{Branch: "main", Where: `environment "qa"`}}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, repo := load(t, envManifest, tt.opts)
			repo, _ = filepath.EvalSymlinks(repo)
			got := result{Environment: m.Environment, Environments: m.Environments, Project: m.Project, Name: m.Functions[0].Name}
			if diff := cmp.Diff(tt.want(repo), got, ignoreRanges, ignore); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEnvironmentIsInTheHash(t *testing.T) {
	qa, _ := load(t, envManifest, Options{Environment: "qa"})
	prod, _ := load(t, envManifest, Options{Environment: "prod"})
	qa2, _ := load(t, envManifest, Options{Environment: "qa"})
	if qa.Hash == prod.Hash || qa.Hash != qa2.Hash {
		t.Errorf("hashes: qa %s, prod %s, qa again %s; want the environment in the hash", qa.Hash, prod.Hash, qa2.Hash)
	}
}

func TestReleaseRuleString(t *testing.T) {
	for _, tt := range []struct {
		r    ReleaseRule
		want string
	}{
		{ReleaseRule{Branch: "main"}, `release { branch = "main" }`},
		{ReleaseRule{Tag: "v*"}, `release { tag = "v*" }`},
	} {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("String() = %s, want %s", got, tt.want)
		}
	}
}
