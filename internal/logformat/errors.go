package logformat

import "strconv"

// ParseError reports a line that does not fit the compiled format. Parse
// returns a *ParseError created by Compile and shared by all failing calls
// for the same reason, so that failures do not allocate: its message names
// what failed but never quotes the line, and callers must not modify it.
// Use errors.As to recognise one.
type ParseError struct {
	v   Var
	msg string
}

// Error returns the message, e.g. `$status: not a 3-digit number`.
func (e *ParseError) Error() string { return e.msg }

// Var returns the known variable the error is about, or VarNone.
func (e *ParseError) Var() Var { return e.v }

func newParseError(v Var, msg string) *ParseError {
	return &ParseError{v: v, msg: msg}
}

// CompileError reports a format that cannot be compiled.
type CompileError struct {
	// Pos is the byte offset of the problem in the format passed to Compile.
	Pos int
	// Msg describes the problem.
	Msg string
}

// Error returns the message and the byte position.
func (e *CompileError) Error() string {
	return "log format: " + e.Msg + " at byte " + strconv.Itoa(e.Pos)
}
