package plan

// Live is what runs in AWS for one function, as read by a refresh (plan
// --refresh, apply) or by status: plain values, so that the planner folds
// them into a plan without knowing AWS.
type Live struct {
	// Exists is false when the function does not exist (then nothing else
	// is set).
	Exists bool `json:"exists"`
	// CodeSha256 is $LATEST's.
	CodeSha256 string `json:"code_sha256,omitempty"`
	// Account is the one in the function's ARN.
	Account string `json:"account,omitempty"`
	// AliasExists is false when the alias does not exist.
	AliasExists bool `json:"alias_exists"`
	// AliasVersion is the version the alias points at, and AliasCodeSha256
	// that version's CodeSha256.
	AliasVersion    string `json:"alias_version,omitempty"`
	AliasCodeSha256 string `json:"alias_code_sha256,omitempty"`
	// Weights are the alias's additional version weights; only read when
	// WeightsRead (status reads the alias itself; a refresh reads it through
	// GetFunction, which does not tell them).
	Weights     map[string]float64 `json:"routing_weights,omitempty"`
	WeightsRead bool               `json:"-"`
	// AliasDescription is the alias's description, read with the weights:
	// lambdas writes the release label there.
	AliasDescription string `json:"alias_description,omitempty"`
}
