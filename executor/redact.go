package executor

import "strings"

// redactedError is an error whose text hides some values (a function's
// environment), kept whole for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactValues hides the values of env in err's text: an AWS answer to a
// CreateFunction may quote what it was sent.
func redactValues(err error, env map[string]string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	hidden := msg
	for _, v := range env {
		if v != "" {
			hidden = strings.ReplaceAll(hidden, v, "(redacted)")
		}
	}
	if hidden == msg {
		return err
	}
	return &redactedError{msg: hidden, err: err}
}
