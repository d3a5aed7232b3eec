//go:build !race

package route

// raceEnabled is true when tests run under the race detector.
const raceEnabled = false
