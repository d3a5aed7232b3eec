// Package layers holds no code: its test checks that the import graph
// follows the layers of docs/architecture.md, where each package imports
// only the packages listed above it, and that no non-test code imports a
// test helper (itest, headroomtest).
package layers
